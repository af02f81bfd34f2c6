"""An item (serial) page: whether its producer ever issued the serial.

A serial printed on none of the owner's label sheets and named by none of its commissioning
events is a code the producer does not know (guessed, or a forger's): its page says so and
offers the lot's (or product's) page, and its scans are not counted, so a made-up serial
neither reads as a verified item nor as a copied label.
"""

from __future__ import annotations

import dataclasses

from gateway.deps import SnapshotOnDemand
from traceability.identifiers.digital_link import DigitalLink
from traceability.portal import Portal
from traceability.services.provenance.model import Provenance


async def with_issue(
    portal: Portal, snapshot: SnapshotOnDemand, view: Provenance, link: DigitalLink
) -> Provenance:
    """An item's view saying whether its serial was issued (read on every scan: item pages
    are never cached)."""
    lot = view.lot.lot if view.lot is not None else link.lot
    issued = await portal.provenance.issued(await snapshot.session(), link, lot)
    return dataclasses.replace(view, issued=issued)
