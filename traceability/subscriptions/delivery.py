"""How a webhook delivery is signed, where it may go, and when a failed one is tried again.

The REST binding leaves the signature's form to the implementation, naming HMAC with SHA-256
as an example; here ``GS1-Signature: sha256=<hex>`` is HMAC-SHA256 keyed with the
subscription's ``signatureToken`` (its UTF-8 bytes) over the request body exactly as sent,
so a receiver recomputes it over the bytes it read and compares in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
from urllib.parse import urlsplit

SIGNATURE_HEADER = "GS1-Signature"
SIGNATURE_PREFIX = "sha256="


def gs1_signature(token: str, body: bytes) -> str:
    digest = hmac.new(token.encode(), body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def signature_matches(token: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(gs1_signature(token, body), header)


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def dest_problem(url: str, *, allow_private: bool) -> str | None:
    """Why ``url`` may not receive notifications, or None. Only http(s) with a host; and,
    unless ``allow_private``, every address the host resolves to must be public, so a
    subscription cannot make the portal call into its own network (SSRF)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http or https URL with a host"
    if parts.username or parts.password:
        return "must not carry credentials"
    if allow_private:
        return None
    try:
        infos = socket.getaddrinfo(parts.hostname, port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return f"names a host that does not resolve: {parts.hostname}"
    if not infos or not all(_is_public(str(info[4][0])) for info in infos):
        return "resolves to a private, loopback or reserved address, which is refused"
    return None


def retry_delay(attempts: int, first: float, longest: float) -> float:
    """Seconds before try ``attempts + 1`` after ``attempts`` failed: doubling, capped."""
    return float(min(first * 2 ** max(attempts - 1, 0), longest))
