"""A small client for businesses: keep your own Ed25519 key, sign events locally, submit them.

The private key never leaves the business. The client asks the portal where the
named lots' chains stand, builds the record the portal will hash, signs the
hash, and submits record and signature; if another writer moved a chain head in
between, the portal answers 409 and the client signs again.

    async with PortalClient("https://portal.example.vn", api_key) as portal:
        key = load_signing_key(Path("my-key.ed25519"))
        result = await portal.submit_signed(event, key)
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from traceability.chain.record import EventRecord, LotKey, format_record_time, link_event
from traceability.clock import Clock, utc_now
from traceability.crypto.signing import SigningKey, private_key_raw
from traceability.epcis.event_hash import event_hash_id
from traceability.epcis.lots import lots_of
from traceability.errors import Conflict, InvalidInput, TraceabilityError


class PortalError(TraceabilityError):
    """The portal refused a request; ``status`` and ``problem`` say why."""

    def __init__(self, status: int, problem: Mapping[str, Any]) -> None:
        super().__init__(str(problem.get("detail") or problem), field=problem.get("field"))
        self.status = status
        self.problem = dict(problem)

    def __str__(self) -> str:
        return f"{self.status}: {self.message}"  # the portal's detail already names the field


def save_signing_key(key: SigningKey, path: Path) -> None:
    """Write a private key readable by its owner only; refuses to overwrite one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(private_key_raw(key.private_key)).decode() + "\n")


def load_signing_key(path: Path) -> SigningKey:
    try:
        raw = base64.b64decode(path.read_text().strip(), validate=True)
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"cannot read a key from {path}: {exc}", field="key") from exc
    if len(raw) != 32:
        raise InvalidInput(f"{path} does not hold a 32-byte Ed25519 private key", field="key")
    return SigningKey.from_raw(raw)


class PortalClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        clock: Clock = utc_now,
    ) -> None:
        self.clock = clock
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}"},
            transport=transport,
            timeout=timeout,
        )
        self._organization_id: str | None = None

    async def __aenter__(self) -> PortalClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._http.aclose()

    async def _json(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"detail": response.text}
            raise PortalError(response.status_code, problem)
        return response.json()

    async def organization_id(self) -> str:
        if self._organization_id is None:
            me = await self._json(await self._http.get("/api/v1/me"))
            self._organization_id = str(me["organization_id"])
        return self._organization_id

    async def upload_links(self, body: bytes, media_type: str, *, dry_run: bool) -> dict[str, Any]:
        """Add or change resolver links from a CSV or JSON upload; with ``dry_run`` only say
        what would change. A refused upload's problem lists its wrong ``rows``."""
        response = await self._http.post(
            "/api/v1/resolver/links/bulk",
            params={"dry_run": "true" if dry_run else "false"},
            content=body,
            headers={"Content-Type": media_type},
        )
        result: dict[str, Any] = await self._json(response)
        return result

    async def register_key(self, key: SigningKey) -> dict[str, Any]:
        response = await self._http.post(
            "/api/v1/signing-keys", json={"public_key": key.public_b64}
        )
        result: dict[str, Any] = await self._json(response)
        return result

    async def submit_signed(
        self, event: Mapping[str, Any], key: SigningKey, *, attempts: int = 5
    ) -> dict[str, Any]:
        """Sign ``event`` locally and record it; re-signs when a chain head moved meanwhile."""
        event = dict(event)
        event.setdefault("eventID", event_hash_id(event))
        lots = lots_of(event)
        organization_id = await self.organization_id()
        for attempt in range(attempts):
            heads = await self._heads(lots)
            record = EventRecord(
                event, organization_id, key.key_id, link_event(heads, lots), self.clock()
            )
            body = {
                "event": event,
                "key_id": key.key_id,
                "recorded_at": format_record_time(record.recorded_at),
                "links": [link.to_json() for link in record.links],
                "signature": base64.b64encode(key.sign(record.hash())).decode(),
            }
            response = await self._http.post("/api/v1/epcis/signed-events", json=body)
            if (
                response.status_code == 409
                and "heads moved" in response.text
                and attempt + 1 < attempts
            ):
                continue
            result: dict[str, Any] = await self._json(response)
            return result
        raise Conflict("the chain heads kept moving; try again later")

    async def _heads(self, lots: list[LotKey]) -> dict[LotKey, tuple[int, bytes | None]]:
        if not lots:
            return {}
        params = {"lot": [f"01/{lot.gtin}/10/{lot.lot}" for lot in lots]}
        rows = await self._json(await self._http.get("/api/v1/epcis/heads", params=params))
        return {
            LotKey(row["gtin"], row["lot"]): (
                int(row["seq"]),
                bytes.fromhex(row["hash"]) if row["hash"] else None,
            )
            for row in rows
        }
