"""A real HTTP receiver of webhook notifications on 127.0.0.1, run in a thread by a test.

It answers ``failures`` requests with 503 before it accepts (or every one, ``dead``), records
every request it saw, and keeps one accepted notification per Idempotency-Key, as the REST
binding's subscriber should."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int = 0

    @property
    def document(self) -> Any:
        return orjson.loads(self.body)

    @property
    def events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.document["epcisBody"]["queryResults"]["resultsBody"][
            "eventList"
        ]
        return events


@dataclass
class Receiver:
    url: str
    failures: int = 0
    dead: bool = False
    seen: list[Received] = field(default_factory=list)
    accepted: dict[str, Received] = field(default_factory=dict)  # by Idempotency-Key
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, received: Received) -> int:
        with self.lock:
            self.seen.append(received)
            if self.dead or self.failures > 0:
                self.failures -= 1
                received.status = 503
            else:
                received.status = 200
                self.accepted.setdefault(received.headers.get("idempotency-key", ""), received)
            return received.status

    @property
    def delivered(self) -> list[Received]:
        """Every request answered 200, duplicates included (as a receiver that did not
        look at the Idempotency-Key would have taken them)."""
        with self.lock:
            return [r for r in self.seen if r.status == 200]


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # a deliverer may connect many times at once


@contextmanager
def webhook_receiver(*, failures: int = 0, dead: bool = False) -> Iterator[Receiver]:
    receiver: Receiver | None = None

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            assert receiver is not None
            status = receiver.answer(Received(headers, body))
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet test output

    server = _Server(("127.0.0.1", 0), Handler)
    receiver = Receiver(f"http://127.0.0.1:{server.server_address[1]}/epcis/callback")
    receiver.failures = failures
    receiver.dead = dead
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
