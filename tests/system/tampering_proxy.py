"""A loopback proxy in front of a served portal that changes one byte of chosen answers: the
network between a phone and the portal, in the hands of someone who alters what passes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "host", "transfer-encoding", "content-encoding", "content-length"}
)
Alteration = Callable[[str, bytes], bytes]


def one_digit_changed(marker: bytes) -> Alteration:
    """Changes the last digit of the first value after ``marker`` (``"recorded_at":"``): one
    byte, and the JSON stays JSON."""

    def alter(path: str, body: bytes) -> bytes:
        start = body.find(marker)
        if start < 0:
            return body
        end = body.index(b'"', start + len(marker))
        at = end - 2  # the last digit before the closing "Z"
        digit = body[at : at + 1]
        assert digit.isdigit(), body[start:end]
        changed = str((int(digit) + 1) % 10).encode()
        return body[:at] + changed + body[at + 1 :]

    return alter


@contextmanager
def tampering(
    target: str, prefix: str, alter: Alteration, *, status: int | None = None
) -> Iterator[str]:
    """A proxy to ``target`` that passes every GET through, and the answers to paths under
    ``prefix`` through ``alter`` (and with ``status`` instead of theirs, when given); its URL,
    the proxy stopped afterwards. ``altered`` counts the answers changed."""
    client = httpx.Client(base_url=target, timeout=60, follow_redirects=False)

    class Forward(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            sent = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            sent["accept-encoding"] = "identity"
            answer = client.get(self.path, headers=sent)
            body = answer.content
            if self.path.startswith(prefix) and answer.status_code == 200:
                body = alter(self.path, body)
                tampering.altered += 1  # type: ignore[attr-defined]
            self.send_response(
                status
                if status is not None and self.path.startswith(prefix)
                else answer.status_code
            )
            for name, value in answer.headers.multi_items():
                if name.lower() not in _HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return None

    tampering.altered = 0  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        client.close()
