"""Whether a serialised item's scans look like a copied label."""

from __future__ import annotations

from datetime import UTC, datetime

from traceability.services.provenance.model import ScanInfo, ScanWarning


def judge_scans(
    count: int, first_seen: float | None, now: float, *, often: int, old_days: int
) -> ScanInfo:
    """One genuine item is scanned a few times (shop, home); a label printed on thousands of
    fakes is scanned far more often, or keeps being scanned long after the first scan."""
    first = datetime.fromtimestamp(first_seen, UTC) if first_seen is not None else None
    warning: ScanWarning | None = None
    if count > often:
        warning = "often"
    elif first_seen is not None and now - first_seen > old_days * 86400:
        warning = "old"
    return ScanInfo(count=count, first_seen=first, warning=warning)
