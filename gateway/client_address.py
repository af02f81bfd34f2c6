"""Who the client is: the socket peer, or, when that peer is a trusted proxy, the address the
proxies in front of us saw.

Anyone can send X-Forwarded-For or Forwarded, so they are read only from peers named in
TRACE_TRUSTED_PROXIES, and even then only the part those proxies wrote: each proxy appends the
address it received the request from, so walking the list from the right, past our own
proxies, the first address that is not one of them is the client. What lies further left was
written by the client itself and is never believed. The result replaces ``scope["client"]``,
so the rate limit, the logs and anything else reading the client see the same address.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Final

from starlette.types import ASGIApp, Receive, Scope, Send

from traceability.config import IPNetwork

# A forwarded element is short; a longer one is not an address, however it is written.
_MAX_NODE: Final = 64
_SCHEMES: Final = frozenset({"http", "https"})


class TrustedProxies:
    """The peers whose forwarding headers are believed."""

    def __init__(self, networks: Sequence[IPNetwork]) -> None:
        self.networks = tuple(networks)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, address: str) -> bool:
        parsed = _address(address)
        return parsed is not None and any(parsed in network for network in self.networks)

    def client(self, peer: str, headers: Iterable[tuple[bytes, bytes]]) -> str:
        """The client's address for a request that reached us from ``peer``."""
        if not self.trusts(peer):
            return peer
        client = _canonical(peer)
        for node in reversed(_forwarded_nodes(headers)):
            address = _address(node)
            if address is None:
                # "unknown", an obfuscated name or garbage: nothing further left can be
                # tied to a proxy we trust, so the nearest trusted hop stands for the client.
                break
            client = str(address)
            if not any(address in network for network in self.networks):
                break
        return client


def _forwarded_nodes(headers: Iterable[tuple[bytes, bytes]]) -> list[str]:
    """The hops, oldest first: X-Forwarded-For when given (what nginx writes), else the
    ``for=`` parameters of Forwarded (RFC 7239). Several header lines are one list."""
    forwarded_for: list[str] = []
    forwarded: list[str] = []
    for name, value in headers:
        if name == b"x-forwarded-for":
            forwarded_for.extend(value.decode("latin-1").split(","))
        elif name == b"forwarded":
            for element in value.decode("latin-1").split(","):
                for pair in element.split(";"):
                    key, _, node = pair.strip().partition("=")
                    if key.lower() == "for":
                        forwarded.append(node.strip().strip('"'))
    nodes = forwarded_for if forwarded_for else forwarded
    return [node.strip() for node in nodes]


def _address(node: str) -> IPv4Address | IPv6Address | None:
    """The IP address of a forwarded node (``1.2.3.4``, ``1.2.3.4:80``, ``[::1]:80``, ``::1``),
    or None when it is not one."""
    if not node or len(node) > _MAX_NODE:
        return None
    if node.startswith("["):
        node = node[1:].partition("]")[0]
    elif node.count(":") == 1:
        node = node.partition(":")[0]
    try:
        address = ip_address(node)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _canonical(peer: str) -> str:
    address = _address(peer)
    return str(address) if address is not None else peer


class ClientAddressMiddleware:
    """Pure ASGI, outermost: sets ``scope["client"]`` (and the scheme a trusted proxy was
    reached by) before anything reads them. Does nothing when no proxy is trusted."""

    def __init__(self, app: ASGIApp, trusted: TrustedProxies) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client")
        if self.trusted and scope["type"] == "http" and peer and self.trusted.trusts(peer[0]):
            headers = scope["headers"]
            client = self.trusted.client(peer[0], headers)
            if client != peer[0]:
                scope["client"] = (client, 0)
            proto = dict(headers).get(b"x-forwarded-proto", b"").decode("latin-1").strip()
            if proto in _SCHEMES:
                scope["scheme"] = proto
        await self.app(scope, receive, send)
