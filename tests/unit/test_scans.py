"""When an item's scans look like a copied label, and who counts as one scanner a day."""

from __future__ import annotations

from datetime import datetime

from traceability.services.provenance.scans import judge_scans, scan_day, scanner, scanner_key_of

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


def test_a_day_is_vietnams_day() -> None:
    before_midnight = datetime.fromisoformat("2026-12-03T23:59:59+07:00").timestamp()
    midnight = datetime.fromisoformat("2026-12-04T00:00:00+07:00").timestamp()
    assert scan_day(midnight) == scan_day(before_midnight) + 1
    # 17:00 UTC is already the next day in Vietnam.
    utc_evening = datetime.fromisoformat("2026-12-03T17:00:00+00:00").timestamp()
    assert scan_day(utc_evening) == scan_day(midnight)


def test_a_scanner_is_a_keyed_hash_never_the_address() -> None:
    key = scanner_key_of(bytes(32))
    who = scanner(key, "203.0.113.7", 20000)
    assert "203.0.113.7" not in who and len(who) == 32
    assert who == scanner(key, "203.0.113.7", 20000)
    assert who != scanner(key, "203.0.113.8", 20000)
    # Not linkable from one day to the next, nor computable without the master key.
    assert who != scanner(key, "203.0.113.7", 20001)
    assert who != scanner(scanner_key_of(bytes([1]) * 32), "203.0.113.7", 20000)


def test_an_ipv6_client_is_its_slash_64_so_new_addresses_are_not_new_people() -> None:
    key = scanner_key_of(bytes(32))
    phone = scanner(key, "2001:db8:1:2::1", 20000)
    assert scanner(key, "2001:db8:1:2:abcd:ef01:2345:6789", 20000) == phone
    assert scanner(key, "2001:db8:1:3::1", 20000) != phone
    # IPv4 addresses stay whole.
    assert scanner(key, "198.51.100.1", 20000) != scanner(key, "198.51.100.2", 20000)
