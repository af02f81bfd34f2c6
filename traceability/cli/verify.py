"""`traceability verify BUNDLE`: an inspector's offline check of a lot's evidence bundle.

Exit status: 0 when
everything checks, 1 when the bundle fails verification (including a file that is
not JSON), 2 for a usage error (no such file, unreadable file, unusable --log-key).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from traceability.chain.bundle_verify import (
    FAIL_MARK,
    OK_MARK,
    BundleReport,
    WitnessPolicy,
    verify_bundle,
)
from traceability.cli._common import console, error_exit, errors
from traceability.errors import TraceabilityError
from traceability.log.cosignature import CosignatureVerifier
from traceability.log.note import NoteVerifier

# Bundles with more events than this show a progress bar while verifying.
PROGRESS_THRESHOLD = 200


def _read_bundle(path: Path) -> tuple[Any, str | None]:
    """The parsed JSON, or None and why it is not JSON. Raises typer.Exit(2) if unreadable."""
    if not path.exists():
        raise error_exit(f"bundle file {path} does not exist; pass the path of a bundle JSON")
    if path.is_dir():
        raise error_exit(f"{path} is a directory; pass the path of a bundle JSON file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error_exit(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return json.loads(raw), None
    except UnicodeDecodeError as exc:
        return None, f"{path} is not UTF-8 text: {exc.reason} at byte {exc.start}"
    except json.JSONDecodeError as exc:
        return None, f"{path} is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
    except (ValueError, RecursionError) as exc:
        return None, f"{path} is not usable JSON: {exc}"


def _resolve_log_key(value: str) -> str:
    """The verifier key itself, or read from the file ``value`` names. Raises typer.Exit(2)."""
    candidate = value.strip()
    try:
        is_file = Path(candidate).is_file()
    except (OSError, ValueError):
        is_file = False
    if is_file:
        try:
            candidate = Path(candidate).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise error_exit(f"cannot read the log key file {value}: {exc}") from exc
    try:
        NoteVerifier.from_key(candidate)
    except TraceabilityError as exc:
        where = f"the file {value} does not hold" if is_file else "--log-key is neither a file nor"
        raise error_exit(
            f"{where} a log verifier key (name+keyid+base64, as served at /log/key): {exc}"
        ) from exc
    return candidate


def _resolve_witness_key(value: str) -> str:
    """A witness's verifier key, itself or read from the file ``value`` names (as
    `witness serve` writes it). Raises typer.Exit(2)."""
    candidate = value.strip()
    try:
        if Path(candidate).is_file():
            candidate = Path(candidate).read_text(encoding="utf-8").strip()
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise error_exit(f"cannot read the witness key file {value}: {exc}") from exc
    try:
        CosignatureVerifier.from_key(candidate)
    except TraceabilityError as exc:
        raise error_exit(
            f"--witness {value} is not a witness verifier key (name+keyid+base64 of 0x04 and "
            f"the public key, as `traceability witness serve` prints it): {exc}"
        ) from exc
    return candidate


def _witness_policy(witness: list[str] | None, quorum: int | None) -> WitnessPolicy | None:
    keys = tuple(_resolve_witness_key(value) for value in witness or [])
    if not keys and quorum is None:
        return None
    wanted = len(keys) if quorum is None else quorum
    if wanted > len(keys):
        raise error_exit(
            f"--quorum {wanted} needs at least {wanted} --witness keys, {len(keys)} given"
        )
    return WitnessPolicy(keys, wanted)


def _verify_with_progress(
    bundle: Any, log_key: str | None, witnesses: WitnessPolicy | None = None
) -> BundleReport:
    events = bundle.get("events") if isinstance(bundle, dict) else None
    total = len(events) if isinstance(events, list) else 0
    if total <= PROGRESS_THRESHOLD:
        return verify_bundle(bundle, log_key, witnesses=witnesses)
    with Progress(
        TextColumn("Verifying events"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as progress:
        task = progress.add_task("verify", total=total)
        return verify_bundle(
            bundle,
            log_key,
            progress=lambda done, _total: progress.update(task, completed=done),
            witnesses=witnesses,
        )


WitnessOption = Annotated[
    list[str] | None,
    typer.Option(
        "--witness",
        help=(
            "A witness you trust: its verifier key (as `traceability witness serve` prints "
            "it, C2SP cosignature/v1) or a file holding it. Repeat for each witness."
        ),
    ),
]
QuorumOption = Annotated[
    int | None,
    typer.Option(
        min=0,
        help=(
            "How many of the --witness keys must have cosigned the bundle's checkpoint "
            "(default: all of them)."
        ),
    ),
]


def verify(
    bundle: Annotated[
        Path,
        typer.Argument(
            metavar="BUNDLE", help="The lot's bundle JSON file, as downloaded.", show_default=False
        ),
    ],
    log_key: Annotated[
        str | None,
        typer.Option(
            "--log-key",
            help=(
                "The portal's log verifier key (name+keyid+base64, as published at /log/key), "
                "or a file holding it. Get it independently of the bundle: without it the "
                "bundle's own key is used, which proves nothing about the portal."
            ),
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print one JSON object: ok, the lot, events checked, the failure."
        ),
    ] = False,
    witness: WitnessOption = None,
    quorum: QuorumOption = None,
) -> None:
    """Verify a lot's evidence bundle offline, trusting only the portal's log key.

    Checks the signed checkpoint, then each event: hash, chain link, signature, key, log inclusion.

    With --witness, the checkpoint must also be cosigned by a quorum of those witnesses.

    Stops at the first bad event and names it. The format is described in docs/BUNDLE.md.

    Exit status: 0 when everything checks, 1 when something fails, 2 for a usage error.
    """
    trusted = _resolve_log_key(log_key) if log_key is not None else None
    policy = _witness_policy(witness, quorum)
    parsed, not_json = _read_bundle(bundle)
    if not_json is not None:
        if as_json:
            failure = {"kind": "malformed", "seq": None, "event_id": None, "message": not_json}
            typer.echo(json.dumps({"ok": False, "failure": failure}, ensure_ascii=False))
            raise typer.Exit(code=1)
        console.print(f"{FAIL_MARK} malformed: {not_json}", markup=False, soft_wrap=True)
        console.print(
            Text.assemble(("FAILED", "bold red"), f": malformed: {not_json}"), soft_wrap=True
        )
        raise typer.Exit(code=1)
    report = _verify_with_progress(parsed, trusted, policy)
    if as_json:
        typer.echo(json.dumps(_report_json(report), ensure_ascii=False))
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(code=1)


def _print_report(report: BundleReport) -> None:
    for line in report.lines:
        if line.startswith(OK_MARK):
            style = "green"
        elif line.startswith(FAIL_MARK):
            style = "red"
        else:
            style = "yellow"
        console.print(Text(line, style=style), soft_wrap=True)
    summary = report.summary()
    word = "OK" if report.ok else "FAILED"
    if not report.ok:
        colour = "bold red"
    elif report.log_key_supplied:
        colour = "bold green"
    else:
        colour = "bold yellow"
    console.print(Text.assemble((word, colour), summary[len(word) :]), soft_wrap=True)


def _report_json(report: BundleReport) -> dict[str, Any]:
    failure = report.failure
    return {
        "ok": report.ok,
        "lot": {"gtin": report.lot.gtin, "lot": report.lot.lot} if report.lot else None,
        "checked": report.checked,
        "checkpoint_size": report.checkpoint_size,
        "log_key_supplied": report.log_key_supplied,
        "failure": None
        if failure is None
        else {
            "kind": failure.kind,
            "seq": failure.seq,
            "event_id": failure.event_id,
            "message": failure.message,
        },
        "summary": report.summary(),
        "lines": list(report.lines),
    }
