"""The client's address: the one answer that the audit log, every rate limit, login lockout and
union card signatures use.

A reverse proxy appends the address it received the request from to X-Forwarded-For; anything to
the left of that was written by the client and proves nothing. So the client is the rightmost
address that the operator's own proxies did not add: with N trusted hops, the (N+1)th from the
right of `X-Forwarded-For + [REMOTE_ADDR]`; with a list of trusted proxy networks, the rightmost
address outside them. What is returned is always a valid IP address (or None).
"""

from __future__ import annotations

import ipaddress
from functools import cache

from django.conf import settings
from django.http import HttpRequest

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _as_ip(value: str) -> str | None:
    """The address in one header entry, normalized, or None when it is no IP address
    ("203.0.113.9", "203.0.113.9:4711", "[2001:db8::1]:4711" and "2001:db8::1" are read)."""
    value = value.strip().strip('"')
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None:
            return None  # a link-local zone ("%eth0") is no client's address, and the database refuses it
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
    return str(address)


@cache
def _trusted_networks(spec: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def _is_trusted(address: str, networks: tuple[IPNetwork, ...]) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in networks)


def client_ip(request: HttpRequest | None) -> str | None:
    """The address of whoever sent this request, as far as this deployment's proxies vouch for it."""
    if request is None:
        return None
    remote = _as_ip(request.META.get("REMOTE_ADDR") or "")
    hops: int = settings.TRUSTED_PROXY_HOPS
    networks = _trusted_networks(tuple(settings.TRUSTED_PROXIES))
    if not hops and not networks:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    # A peer with no IP address is a unix socket, which only a proxy on this machine can reach:
    # it counts as the innermost proxy.
    chain = [entry for entry in forwarded.split(",") if entry.strip()] + [remote or "unix socket"]
    if networks:
        if remote is not None and not _is_trusted(remote, networks):
            return remote  # reached directly, not through a proxy of ours: its header is the client's words
        for entry in reversed(chain[:-1]):
            address = _as_ip(entry)
            if address is None:
                return remote  # a proxy of ours wrote no address: trust nothing further left
            if not _is_trusted(address, networks):
                return address
        return _as_ip(chain[0]) or remote
    if len(chain) <= hops:
        # Fewer entries than proxies: the request came round them; only the socket's address is sure.
        return remote
    return _as_ip(chain[-(hops + 1)]) or remote


UNKNOWN = "0.0.0.0"  # noqa: S104 (a key for "no address known", never bound to)


def address_key(request: HttpRequest | None) -> str:
    """The client's address as limits count it: an IPv6 address by its /64 network (what one
    household or phone is given, so a guesser cannot count afresh from each of its addresses),
    and one fixed key when no address is known, never an empty one."""
    address = client_ip(request)
    if address is None:
        return UNKNOWN
    if ":" in address:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return address


def axes_client_ip(request: HttpRequest) -> str:
    """django-axes' AXES_CLIENT_IP_CALLABLE: lockouts count one account from one address_key."""
    return address_key(request)
