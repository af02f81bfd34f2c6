"""Producers recording their supply chain: single events, EPCIS documents, new lots.

Each user acts for one of the seeded producer organisations (its API key) and records only
on that organisation's own lots, as the portal requires. Every event carries a fresh
``eventID``, so retries of the load test never collide with earlier runs (a 409).
"""

from __future__ import annotations

import random
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Final

from locust import FastHttpUser, task

from loadtests.scenarios.common import Lot, Producer, bearer, configuration, think_time
from loadtests.scenarios.consumer_scan import expect

EPCIS_CONTEXT: Final = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
VIETNAM: Final = timezone(timedelta(hours=7))
EVENTS: Final = "/api/v1/epcis/events"
CAPTURE: Final = "/api/v1/epcis/capture"
CAPTURE_JOB: Final = "/api/v1/epcis/capture/[id]"
# Not a request: from the POST until the job reports its events recorded.
CAPTURE_DONE: Final = "/api/v1/epcis/capture until recorded"
LOTS: Final = "/api/v1/lots"
# (bizStep, disposition) of what a business records day to day about its own lots.
STEPS: Final = (
    ("inspecting", "active"),
    ("storing", "sellable_not_accessible"),
    ("packing", "in_progress"),
    ("shipping", "in_transit"),
)
JOB_POLLS: Final = 40
JOB_POLL_INTERVAL: Final = 0.25


def now() -> str:
    return datetime.now(VIETNAM).isoformat(timespec="milliseconds")


def object_event(
    lot: Lot,
    rng: random.Random,
    *,
    biz_step: str | None = None,
    disposition: str | None = None,
    action: str = "OBSERVE",
    location_gln: str | None = None,
) -> dict[str, Any]:
    step, status = rng.choice(STEPS)
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventID": f"urn:uuid:{uuid.uuid4()}",
        "eventTime": now(),
        "eventTimeZoneOffset": "+07:00",
        "action": action,
        "bizStep": biz_step or step,
        "disposition": disposition or status,
        "quantityList": [
            {
                "epcClass": f"https://id.gs1.org/01/{lot.gtin}/10/{lot.lot}",
                "quantity": rng.randrange(10, 500),
                "uom": "KGM",
            }
        ],
    }
    if location_gln:
        event["readPoint"] = {"id": f"https://id.gs1.org/414/{location_gln}"}
        event["bizLocation"] = {"id": f"https://id.gs1.org/414/{location_gln}"}
    return event


def epcis_document(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "@context": [EPCIS_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": now(),
        "epcisBody": {"eventList": events},
    }


class ProducerCapture(FastHttpUser):
    """A business's ERP or app sending what happened on its lots."""

    weight = configuration().weights["producer"]
    abstract = weight == 0 or not configuration().seed.producers

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.rng = random.Random()
        self.producer: Producer = self.rng.choice(configuration().seed.producers)
        self.headers = bearer(self.producer.api_key)
        self.lots: list[Lot] = list(self.producer.lots)

    def wait_time(self) -> float:
        return think_time(self.rng, 0.5, 2.0)

    def _event(self, lot: Lot, **kwargs: Any) -> dict[str, Any]:
        return object_event(lot, self.rng, location_gln=self.producer.location_gln, **kwargs)

    @task(6)
    def single_event(self) -> None:
        event = self._event(self.rng.choice(self.lots))
        with self.client.post(
            EVENTS, json=event, headers=self.headers, name=EVENTS, catch_response=True
        ) as response:
            expect(response, 201)

    @task(3)
    def document(self) -> None:
        """A batch from an ERP: 5 to 20 events in one EPCIS document, then its capture job."""
        events = [self._event(self.rng.choice(self.lots)) for _ in range(self.rng.randint(5, 20))]
        started = time.perf_counter()
        with self.client.post(
            CAPTURE,
            json=epcis_document(events),
            headers=self.headers,
            name=CAPTURE,
            catch_response=True,
        ) as response:
            expect(response, 202)
            location = response.headers.get("location") if response.headers else None
        if response.status_code == 202 and location:
            error = self._wait_for(location, len(events))
            # The time until the events are recorded, as its own line in the statistics.
            self.environment.events.request.fire(
                request_type="JOB",
                name=CAPTURE_DONE,
                response_time=(time.perf_counter() - started) * 1000,
                response_length=0,
                exception=error,
                context={},
            )

    def _wait_for(self, location: str, count: int) -> Exception | None:
        """Polls the capture job until it ends; what went wrong, or None."""
        for attempt in range(JOB_POLLS):
            # 50 ms, 100 ms, 200 ms, then every 250 ms. time.sleep is gevent's here: Locust
            # patches the standard library.
            time.sleep(min(JOB_POLL_INTERVAL, 0.05 * 2**attempt))
            with self.client.get(
                location, headers=self.headers, name=CAPTURE_JOB, catch_response=True
            ) as response:
                expect(response, 200)
                if response.status_code != 200:
                    return RuntimeError(f"capture job answered {response.status_code}")
                job = response.json()
            if job.get("running"):
                continue
            if job.get("status") == "success" and job.get("capturedCount") == count:
                return None
            return RuntimeError(
                f"capture job {job.get('status')}: {job.get('capturedCount')} of {count} "
                f"events captured; {str(job.get('errors'))[:200]}"
            )
        return TimeoutError(f"capture job still running after {JOB_POLLS} polls (about 10 s)")

    @task(1)
    def new_lot(self) -> None:
        """A new lot of one of its products, and the event that commissions it."""
        lot = Lot(self.rng.choice(self.producer.gtins), f"LT-{self.rng.getrandbits(40):010X}")
        body = {"gtin": lot.gtin, "lot": lot.lot, "quantity": 1000, "unit": "KGM"}
        with self.client.post(
            LOTS, json=body, headers=self.headers, name=LOTS, catch_response=True
        ) as response:
            expect(response, 201)
        if response.status_code != 201:
            return
        event = self._event(lot, biz_step="commissioning", disposition="active", action="ADD")
        with self.client.post(
            EVENTS, json=event, headers=self.headers, name=EVENTS, catch_response=True
        ) as response:
            expect(response, 201)
        self.lots.append(lot)
