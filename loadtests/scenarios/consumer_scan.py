"""Consumers scanning the QR code on a package with a phone.

Lots are chosen by Zipf-like popularity (the demo's lots are the hot ones, the seeded long
tail the rest); the ``storm`` profile sends most scans to one lot once it starts. A few
scans are of damaged or fake codes: a bad check digit must be a 400 and an unknown lot or
product a 404, so those answers count as successes here and anything else as a failure.
"""

from __future__ import annotations

import random
from typing import Final

from locust import FastHttpUser, task
from locust.contrib.fasthttp import ResponseContextManager

from loadtests.scenarios.common import RUN_CLOCK, Lot, configuration, think_time
from traceability.identifiers.gs1 import gs1_check_digit

HTML_ACCEPT: Final = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
JSON_ACCEPT: Final = "application/json"
# Page names group the statistics by endpoint kind, not by URL.
LOT_HTML: Final = "/01/[gtin]/10/[lot] html"
LOT_HTML_REVISIT: Final = "/01/[gtin]/10/[lot] html revisit"
LOT_JSON: Final = "/01/[gtin]/10/[lot] json"
ITEM_HTML: Final = "/01/[gtin]/10/[lot]/21/[serial] html"
ITEM_JSON: Final = "/01/[gtin]/10/[lot]/21/[serial] json"
QR_PNG: Final = "/qr/01/[gtin]/10/[lot].png"
BAD_CHECK_DIGIT: Final = "/01/[bad check digit]/10/[lot] (400)"
UNKNOWN_LOT: Final = "/01/[gtin]/10/[unknown lot] (307 up to the product)"
UNKNOWN_GTIN: Final = "/01/[unknown gtin]/10/[lot] (404)"
# A GS1 company prefix no organisation in a seeded run holds (Vietnam's 893, then 9s).
UNKNOWN_PREFIX: Final = "893999999"


def expect(response: ResponseContextManager, *statuses: int) -> None:
    """Success when the status is one of ``statuses``; otherwise a failure that says why."""
    # Locust leaves success() and failure() unannotated, hence the two ignores.
    if response.status_code in statuses:
        response.success()  # type: ignore[no-untyped-call]
        return
    body = (response.text or "")[:200].replace("\n", " ")
    expected = " or ".join(str(s) for s in statuses)
    response.failure(f"expected {expected}, got {response.status_code}: {body}")  # type: ignore[no-untyped-call]


def bad_check_digit(gtin: str) -> str:
    return gtin[:-1] + str((int(gtin[-1]) + 1) % 10)


def unknown_gtin(rng: random.Random) -> str:
    body = "0" + UNKNOWN_PREFIX + f"{rng.randrange(1000):03d}"
    return body + gs1_check_digit(body)


class ConsumerScan(FastHttpUser):
    """One phone scanning package after package; pages in Vietnamese, some in English."""

    weight = configuration().weights["consumer"]
    abstract = weight == 0

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.rng = random.Random()
        self.chooser = configuration().chooser()
        self.etags: dict[Lot, str] = {}

    def on_start(self) -> None:
        RUN_CLOCK.start()

    def wait_time(self) -> float:
        # Reading a page; a crowd of phones, so short pauses.
        return think_time(self.rng, 0.05, 0.5)

    def _lot(self) -> Lot:
        return self.chooser.choose(self.rng, RUN_CLOCK.elapsed())

    def _html_headers(self) -> dict[str, str]:
        language = "en-GB,en;q=0.8" if self.rng.random() < 0.2 else "vi-VN,vi;q=0.9"
        return {"Accept": HTML_ACCEPT, "Accept-Language": language}

    @task(40)
    def lot_page(self) -> None:
        lot = self._lot()
        with self.client.get(
            lot.path, headers=self._html_headers(), name=LOT_HTML, catch_response=True
        ) as response:
            expect(response, 200)
            etag = response.headers.get("etag") if response.headers else None
            if etag:
                self.etags[lot] = etag

    @task(8)
    def lot_page_again(self) -> None:
        """The same phone opening a page it has seen: a conditional request, 304 when fresh."""
        if not self.etags:
            self.lot_page()
            return
        lot = self.rng.choice(list(self.etags))
        headers = self._html_headers() | {"If-None-Match": self.etags[lot]}
        with self.client.get(
            lot.path, headers=headers, name=LOT_HTML_REVISIT, catch_response=True
        ) as response:
            expect(response, 200, 304)

    @task(20)
    def lot_json(self) -> None:
        with self.client.get(
            self._lot().path,
            headers={"Accept": JSON_ACCEPT},
            name=LOT_JSON,
            catch_response=True,
        ) as response:
            expect(response, 200)

    @task(10)
    def item_page(self) -> None:
        """A serialised item: each scan is counted (copied labels are scanned too often)."""
        path = f"{self._lot().path}/21/SN{self.rng.randrange(100_000):06d}"
        html = self.rng.random() < 0.7
        headers = self._html_headers() if html else {"Accept": JSON_ACCEPT}
        name = ITEM_HTML if html else ITEM_JSON
        with self.client.get(path, headers=headers, name=name, catch_response=True) as response:
            expect(response, 200)

    @task(5)
    def qr_image(self) -> None:
        """A shop printing or showing the code."""
        with self.client.get(
            f"/qr{self._lot().path}.png", name=QR_PNG, catch_response=True
        ) as response:
            expect(response, 200)

    @task(2)
    def damaged_code(self) -> None:
        lot = self._lot()
        path = f"/01/{bad_check_digit(lot.gtin)}/10/{lot.path.rsplit('/', 1)[1]}"
        with self.client.get(
            path, headers={"Accept": JSON_ACCEPT}, name=BAD_CHECK_DIGIT, catch_response=True
        ) as response:
            expect(response, 400)

    @task(2)
    def unknown_lot(self) -> None:
        lot = self._lot()
        path = f"/01/{lot.gtin}/10/FAKE{self.rng.randrange(10**8):08d}"
        # It walks up to its product (GS1 Resolver standard 1.2): the redirect is measured,
        # the product's page is another request.
        with self.client.get(
            path,
            headers=self._html_headers(),
            name=UNKNOWN_LOT,
            catch_response=True,
            allow_redirects=False,
        ) as response:
            expect(response, 307)

    @task(1)
    def unknown_product(self) -> None:
        path = f"/01/{unknown_gtin(self.rng)}/10/X{self.rng.randrange(1000)}"
        with self.client.get(
            path, headers={"Accept": JSON_ACCEPT}, name=UNKNOWN_GTIN, catch_response=True
        ) as response:
            expect(response, 404)
