"""Inspectors (market surveillance, food safety, customs) auditing lots.

Mostly the demo's lots, whose chains span several organisations (a transformation from
paddy to milled rice to bags, an export pallet); sometimes a lot from the long tail. An
audit rechecks every hash, link and signature against a signed checkpoint, so these are
the portal's most expensive reads.
"""

from __future__ import annotations

import random
from typing import Final

from locust import FastHttpUser, task

from loadtests.scenarios.common import Lot, bearer, configuration, think_time
from loadtests.scenarios.consumer_scan import expect

AUDIT: Final = "/api/v1/audit/lots/[gtin]/[lot]"
BUNDLE: Final = "/api/v1/audit/lots/[gtin]/[lot]/bundle"
TRACE: Final = "/api/v1/audit/lots/[gtin]/[lot]/trace?direction=both"
RECALL: Final = "/api/v1/audit/lots/[gtin]/[lot]/recall"
# Share of audits that pick a lot from the long tail instead of the demo's chains.
TAIL_SHARE: Final = 0.2


class InspectorAudit(FastHttpUser):
    """An inspector's desk: audit a chain, download its evidence, walk its genealogy."""

    weight = configuration().weights["inspector"]
    abstract = weight == 0 or not configuration().seed.inspectors

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.rng = random.Random()
        seed = configuration().seed
        self.headers = bearer(self.rng.choice(seed.inspectors).api_key)
        self.hot = seed.lots[: seed.hot] or seed.lots
        self.tail = seed.lots[seed.hot :] or seed.lots

    def wait_time(self) -> float:
        return think_time(self.rng, 1.0, 3.0)

    def _lot(self) -> Lot:
        return self.rng.choice(self.tail if self.rng.random() < TAIL_SHARE else self.hot)

    def _get(self, path: str, name: str) -> None:
        with self.client.get(
            path, headers=self.headers, name=name, catch_response=True
        ) as response:
            expect(response, 200)
            if response.status_code == 200 and name == AUDIT:
                # Under load the chains must still check: a broken one is a failure here.
                body = response.json()
                if body.get("intact") is not True:
                    problem = body.get("first_bad") or body.get("log_problem")
                    response.failure(f"the audit found a broken chain: {str(problem)[:200]}")

    @task(4)
    def audit(self) -> None:
        self._get(f"/api/v1/audit/lots/{self._lot().api_path}", AUDIT)

    @task(3)
    def trace(self) -> None:
        self._get(f"/api/v1/audit/lots/{self._lot().api_path}/trace?direction=both", TRACE)

    @task(2)
    def bundle(self) -> None:
        self._get(f"/api/v1/audit/lots/{self._lot().api_path}/bundle", BUNDLE)

    @task(1)
    def recall(self) -> None:
        self._get(f"/api/v1/audit/lots/{self._lot().api_path}/recall", RECALL)
