"""The witness's HTTP service: ``POST <prefix>/add-checkpoint`` as C2SP tlog-witness defines it.

The standard library's threading HTTP server, with HTTP/1.1 keep-alive (the spec asks
witnesses to support it: a log sends one request per checkpoint). One lock covers each
request from reading the state to storing the new one, which the spec requires: two
requests checked at once could otherwise roll the stored tree back.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from traceability.errors import InvalidInput
from traceability.log.cosignature import CosignatureSigner, note_text
from traceability.log.note import NoteVerifier
from traceability.log.witness_protocol import (
    MAX_BODY_BYTES,
    SIZE_MEDIA_TYPE,
    WitnessedTree,
    WitnessRefusal,
    check_add_checkpoint,
    parse_add_checkpoint,
)
from traceability.witness.state import WitnessState

ENDPOINT = "/add-checkpoint"


class Witness:
    """The witness itself: its key, the logs it trusts, and its state."""

    def __init__(
        self,
        signer: CosignatureSigner,
        logs: Mapping[str, NoteVerifier],
        state: WitnessState,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.signer = signer
        self.logs = dict(logs)
        self.state = state
        self.clock = clock
        self._lock = threading.Lock()

    def add_checkpoint(self, body: bytes) -> str:
        """The cosignature line for the request, or WitnessRefusal."""
        try:
            request = parse_add_checkpoint(body)
        except InvalidInput as exc:
            raise WitnessRefusal(400, str(exc)) from exc
        with self._lock:
            origin = request.note.split("\n", 1)[0]
            checkpoint = check_add_checkpoint(request, self.logs, self.state.latest(origin))
            # The cosigned message is the whole note text, extension lines included.
            text = note_text(request.note)
            line = self.signer.cosign(text, int(self.clock()))
            self.state.record(origin, WitnessedTree(checkpoint.size, checkpoint.root_hash))
        return line


def _handler(witness: Witness, quiet: bool) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive
        # The answer goes out as headers then body, two small writes on a kept-alive
        # connection: with Nagle's algorithm the body waits for the client's delayed ACK
        # (some 40 ms), most of a round trip.
        disable_nagle_algorithm = True
        server_version = "traceability-witness"

        def do_POST(self) -> None:
            if not self.path.split("?", 1)[0].endswith(ENDPOINT):
                self._answer(404, "no such endpoint: POST .../add-checkpoint\n")
                return
            length_text = self.headers.get("Content-Length")
            if length_text is None or not length_text.isdigit():
                self._answer(411, "a Content-Length is required\n")
                return
            length = int(length_text)
            if length > MAX_BODY_BYTES:
                self._answer(413, f"the body is over {MAX_BODY_BYTES} bytes\n")
                self.close_connection = True
                return
            body = self.rfile.read(length)
            try:
                line = witness.add_checkpoint(body)
            except WitnessRefusal as refusal:
                if refusal.status == 409 and refusal.size is not None:
                    self._answer(409, f"{refusal.size}\n", SIZE_MEDIA_TYPE)
                else:
                    self._answer(refusal.status, refusal.message + "\n")
                if not quiet:
                    sys.stderr.write(f"refused ({refusal.status}): {refusal.message}\n")
                return
            except OSError as exc:
                # The state could not be stored: nothing was cosigned, and the client may retry.
                sys.stderr.write(f"cannot store the witness state: {exc}\n")
                self._answer(500, "the witness could not store its state; nothing was cosigned\n")
                return
            self._answer(200, line)

        def do_GET(self) -> None:
            self._answer(405, "the witness answers POST .../add-checkpoint only\n")

        def _answer(
            self, status: int, text: str, media_type: str = "text/plain; charset=utf-8"
        ) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", media_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            if not quiet:
                super().log_message(format, *args)

    return Handler


def make_server(
    witness: Witness, host: str, port: int, *, quiet: bool = True
) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), _handler(witness, quiet))
    server.daemon_threads = True
    return server
