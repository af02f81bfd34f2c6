"""An item (serial) page: whether its producer ever issued the serial.

A serial printed on none of the owner's label sheets and named by none of its commissioning
events is a code the producer does not know (guessed, or a forger's): its page says so and
offers the lot's (or product's) page, and its scans are not counted, so a made-up serial
neither reads as a verified item nor as a copied label.
"""

from __future__ import annotations

import dataclasses
import time

from gateway.deps import SnapshotOnDemand
from traceability.identifiers.digital_link import DigitalLink
from traceability.portal import Portal
from traceability.services.provenance.model import Provenance
from traceability.services.provenance.scans import judge_scans, scan_day, scanner, scanner_key_of


async def with_issue(
    portal: Portal, snapshot: SnapshotOnDemand, view: Provenance, link: DigitalLink
) -> Provenance:
    """An item's view saying whether its serial was issued (read on every scan: item pages
    are never cached)."""
    lot = view.lot.lot if view.lot is not None else link.lot
    issued = await portal.provenance.issued(await snapshot.session(), link, lot)
    return dataclasses.replace(view, issued=issued)


async def with_scans(
    portal: Portal, view: Provenance, link: DigitalLink, client: str
) -> Provenance:
    """An item's view with this scan counted (once per client a day) and judged (scanned by
    many, or first long ago). ``client`` is the address the gateway resolved (behind a
    trusted proxy, the one it names), stored only as a keyed hash."""
    settings, now = portal.settings, time.time()
    day = scan_day(now)
    who = scanner(scanner_key_of(portal.keyring.master_key), client, day)
    item = f"{link.gtin}:{view.serial or ''}"
    count, first = await portal.cache.record_scan(item, who, day, now)
    scans = judge_scans(
        count,
        first if count else None,
        now,
        often=settings.scan_warn_count,
        old_days=settings.scan_warn_days,
    )
    return dataclasses.replace(view, scans=scans)
