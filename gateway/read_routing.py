"""Which database a request reads: the one place the gateway decides it.

Every request runs inside :meth:`Portal.request_reads`. Its reads go to the read replica
(when one is configured and usable) unless the caller's API key wrote within the last few
seconds (its read-back must see the write; see Portal.recent_write_seconds). A request whose
read failed on the replica, having written nothing, is run again on the primary before its
answer leaves: the caller sees an answer, never the replica's failure. A request that wrote
notes its API key, so its next reads stay on the primary.

Pure ASGI, innermost: the routes' error map has turned the replica's failure into a 503 by
the time its answer passes here, so that answer is held back and replaced.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from traceability.portal import Portal


def _credential(scope: Scope) -> str | None:
    scheme, _, credential = Headers(scope=scope).get("authorization", "").partition(" ")
    return (credential.strip() or None) if scheme.lower() == "bearer" else None


class ReplicaReads:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        portal: Portal | None = getattr(scope["app"].state, "portal", None)
        if scope["type"] != "http" or portal is None or not portal.has_replica:
            await self.app(scope, receive, send)
            return
        credential = _credential(scope)
        wrote_recently = credential is not None and await portal.wrote_recently(credential)
        received: list[Message] = []

        async def receive_and_keep() -> Message:
            message = await receive()
            received.append(message)
            return message

        held_back = False

        async def send_unless_failed(message: Message) -> None:
            nonlocal held_back
            if message["type"] == "http.response.start" and routing.must_run_again:
                held_back = True
            if not held_back:
                await send(message)

        with portal.request_reads(may_use_replica=not wrote_recently) as routing:
            try:
                await self.app(scope, receive_and_keep, send_unless_failed)
            except Exception:
                if not routing.must_run_again:
                    raise
                held_back = True
        wrote = routing.wrote
        if held_back:
            replay = iter(received)

            async def receive_again() -> Message:
                return next(replay, None) or await receive()

            with portal.request_reads(may_use_replica=False) as routing:
                await self.app(scope, receive_again, send)
            wrote = routing.wrote
        if credential is not None and wrote:
            await portal.note_write(credential)
