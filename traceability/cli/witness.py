"""`traceability witness serve`: run a C2SP tlog-witness for the portal's log.

A province, GS1 Vietnam or a ministry runs one with this package alone: it cosigns each
checkpoint of the log that extends the last one it cosigned, and refuses anything else.
"""

from __future__ import annotations

import signal
import socket
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from traceability.cli._common import fail
from traceability.client import load_signing_key
from traceability.errors import TraceabilityError
from traceability.log.cosignature import CosignatureSigner
from traceability.log.note import NoteVerifier
from traceability.witness.server import Witness, make_server
from traceability.witness.state import WitnessState

witness_app = typer.Typer(
    help="Run a witness that cosigns the portal log's checkpoints (C2SP tlog-witness).",
    no_args_is_help=True,
)


def _log_verifiers(keys: list[str], origins: list[str]) -> dict[str, NoteVerifier]:
    if origins and len(origins) != len(keys):
        raise fail("give one --origin per --log, or none (each log's origin is its key name)")
    logs: dict[str, NoteVerifier] = {}
    for index, value in enumerate(keys):
        text = value.strip()
        candidate = Path(text)
        try:
            if candidate.is_file():
                text = candidate.read_text(encoding="utf-8").strip()
        except OSError:
            pass
        try:
            verifier = NoteVerifier.from_key(text)
        except TraceabilityError as exc:
            raise fail(
                f"--log {value!r} is not a log verifier key (as at /log/key): {exc}"
            ) from exc
        logs[origins[index] if origins else verifier.name] = verifier
    return logs


KeyOption = Annotated[
    Path,
    typer.Option(help="The witness's private key, as 'traceability keys generate' writes."),
]
LogOption = Annotated[
    list[str],
    typer.Option(
        "--log",
        help="Verifier key of a log to witness (as served at /log/key), or a file holding "
        "it. Repeat for several logs.",
    ),
]
NameOption = Annotated[
    str | None,
    typer.Option(
        help="The witness's key name, a schema-less URL (default: this host's name, then /witness)."
    ),
]
StateOption = Annotated[
    Path | None,
    typer.Option(
        help="The state file: the latest tree cosigned per log "
        "(default: KEY.state, beside the key)."
    ),
]
OriginOption = Annotated[
    list[str] | None,
    typer.Option(help="The origin line of each --log, when it is not the key's name."),
]


@witness_app.command("serve")
def serve(
    port: Annotated[int, typer.Option(help="TCP port to listen on.")],
    key: KeyOption,
    log: LogOption,
    name: NameOption = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    state: StateOption = None,
    origin: OriginOption = None,
    quiet: Annotated[bool, typer.Option(help="Do not log each request.")] = False,
) -> None:
    """Cosign checkpoints that extend the last one this witness cosigned (C2SP tlog-witness).

    Prints the witness's verifier key (name+keyid+base64(0x04 || public key), C2SP
    tlog-cosignature) and writes it to KEY.vkey; give it and this witness's URL to the portal
    in TRACE_WITNESSES. Answers POST URL/add-checkpoint until stopped (Ctrl-C or SIGTERM)."""
    try:
        private_key = load_signing_key(key).private_key
    except TraceabilityError as exc:
        raise fail(str(exc)) from exc
    logs = _log_verifiers(log, origin or [])
    try:
        signer = CosignatureSigner(name or f"{socket.getfqdn()}/witness", private_key)
        witness_state = WitnessState(state or key.with_name(key.name + ".state"))
    except TraceabilityError as exc:
        raise fail(str(exc)) from exc
    vkey = signer.verifier_key()
    key.with_name(key.name + ".vkey").write_text(vkey + "\n", encoding="utf-8")
    try:
        server = make_server(Witness(signer, logs, witness_state), host, port, quiet=quiet)
    except OSError as exc:
        raise fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    typer.echo(vkey)
    bound_host, bound_port = server.server_address[:2]
    typer.echo(f"witnessing {', '.join(sorted(logs))} on http://{bound_host!s}:{bound_port}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
