"""Whether a serialised item's scans look like a copied label, and who counts as a scanner.

A scan counts once per client a day: one person refreshing a page is one scan, a label
copied onto many fakes is scanned by many people. The client is never kept as its address:
it is a keyed hash (HMAC-SHA256 under a key derived from the master key) of the address and
the day, so the stored values cannot be turned back into addresses without the master key,
nor one client followed from one day to the next.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from datetime import UTC, datetime
from ipaddress import IPv6Address, IPv6Network, ip_address
from typing import Final

from traceability.services.provenance.model import ScanInfo, ScanWarning

# Days are Vietnam's (UTC+7, no daylight saving): a scan counts once per client per such day.
VIETNAM_UTC_OFFSET_SECONDS: Final = 7 * 3600
_DAY_SECONDS: Final = 86400
# Separates this key from anything else ever derived from the master key.
_SCANNER_KEY_LABEL: Final = b"traceability/scan-counts/v1"
# 128 bits tell the clients of one item on one day apart; shorter values keep the sets small.
_SCANNER_HEX_CHARS: Final = 32
_IPV6_CLIENT_PREFIX: Final = 64


def scan_day(now: float) -> int:
    """The day (days since 1970-01-01, Vietnam time) that a scan at ``now`` falls on."""
    return int((now + VIETNAM_UTC_OFFSET_SECONDS) // _DAY_SECONDS)


@functools.lru_cache(maxsize=4)
def scanner_key_of(master_key: bytes) -> bytes:
    """The key that hashes client addresses, derived from the portal's master key."""
    return hmac.new(master_key, _SCANNER_KEY_LABEL, hashlib.sha256).digest()


def scanner(key: bytes, client: str, day: int) -> str:
    """Who scanned, as stored: a keyed hash of the client's address and the day."""
    message = f"{day}\n{client_of(client)}"
    digest = hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
    return digest[:_SCANNER_HEX_CHARS]


def client_of(address: str) -> str:
    """The client an address stands for. An IPv6 client is its /64: a network hands each
    subscriber one /64 and a phone picks new addresses in it at will, so one person must not
    count as many by changing address (nor make a genuine item look copied)."""
    try:
        parsed = ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, IPv6Address) and parsed.ipv4_mapped is None:
        return str(IPv6Network((parsed, _IPV6_CLIENT_PREFIX), strict=False))
    return str(parsed)


def judge_scans(
    count: int, first_seen: float | None, now: float, *, often: int, old_days: int
) -> ScanInfo:
    """One genuine item is scanned by a few people (shop, home); a label printed on thousands
    of fakes is scanned by far more, or keeps being scanned long after the first scan."""
    first = datetime.fromtimestamp(first_seen, UTC) if first_seen is not None else None
    warning: ScanWarning | None = None
    if count > often:
        warning = "often"
    elif first_seen is not None and now - first_seen > old_days * _DAY_SECONDS:
        warning = "old"
    return ScanInfo(count=count, first_seen=first, warning=warning)
