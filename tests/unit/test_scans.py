"""When an item's scans look like a copied label."""

from __future__ import annotations

from traceability.services.provenance.scans import judge_scans

DAY = 86400.0


def test_a_few_recent_scans_are_normal() -> None:
    info = judge_scans(3, 1000.0, 1000.0 + DAY, often=20, old_days=365)
    assert info.warning is None and info.count == 3 and info.first_seen is not None


def test_more_scans_than_the_threshold_warn() -> None:
    assert judge_scans(21, 0.0, DAY, often=20, old_days=365).warning == "often"


def test_a_first_scan_older_than_the_threshold_warns() -> None:
    assert judge_scans(2, 0.0, 400 * DAY, often=20, old_days=365).warning == "old"


def test_the_first_scan_is_not_a_warning_whatever_the_time() -> None:
    assert judge_scans(1, None, 400 * DAY, often=20, old_days=365).warning is None
