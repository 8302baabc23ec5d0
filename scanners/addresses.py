"""The SSRF guard: which addresses the scanner must never connect to.

A vendor's domain comes from a user, so a scan must not become a way into our own network.
:func:`blocked_reason` says, for one address, why it is off limits (or ``None`` when it is a
public address); :func:`resolve_checked` resolves a host once and returns every address with
its verdict, so the caller connects to exactly the address that was checked and never
resolves the name a second time (which would let a rebinding DNS server swap the answer).

The ranges are the IANA special-purpose registries (RFC 6890 and its updates) kept as data:
one ordered table per IP version, the first matching row wins. IPv6 forms that carry an IPv4
address (IPv4-mapped, 6to4, Teredo, NAT64) are judged by the IPv4 address inside them.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import dns.resolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Embedding = Callable[[ipaddress.IPv6Address], tuple[ipaddress.IPv4Address, ...]]


class BlockReason(StrEnum):
    """Why an address is off limits; the value is the words a report shows."""

    CLOUD_METADATA = "cloud metadata address"
    UNSPECIFIED = "unspecified address"
    LOOPBACK = "loopback address"
    PRIVATE = "private address"
    SHARED = "shared address space (carrier-grade NAT)"
    LINK_LOCAL = "link-local address"
    MULTICAST = "multicast address"
    DOCUMENTATION = "documentation address (reserved)"
    RESERVED = "reserved address"


_R = BlockReason

# What a scan may connect to despite the guard: True lifts every block but the cloud
# metadata addresses (a lab on a private network never needs those, and they hold the
# machine's credentials), a set lifts exactly those reasons (tests lift loopback alone, so a
# redirect to 10.0.0.1 stays refused), False lifts none. Nothing lifts the metadata block.
AllowPrivate = bool | frozenset[BlockReason]


def lifts(allow_private: AllowPrivate, reason: BlockReason | None) -> bool:
    """Whether ``allow_private`` lets the scan connect to an address blocked for ``reason``."""
    if reason is None:
        return True
    # Checked before the set: a set naming every reason (frozenset(BlockReason), "lift it
    # all") must not open the metadata service either; no lab ever needs it.
    if reason is BlockReason.CLOUD_METADATA:
        return False
    if isinstance(allow_private, frozenset):
        return reason in allow_private
    return allow_private

# Ordered: the first network that contains the address gives the reason, so the specific
# rows (metadata services) come before the ranges that hold them.
_IPV4_BLOCKS: tuple[tuple[ipaddress.IPv4Network, BlockReason], ...] = tuple(
    (ipaddress.IPv4Network(net), reason)
    for net, reason in (
        ("169.254.169.254/32", _R.CLOUD_METADATA),  # AWS, GCP, Azure, OCI, DigitalOcean...
        ("169.254.170.2/32", _R.CLOUD_METADATA),  # AWS ECS task metadata
        ("100.100.100.200/32", _R.CLOUD_METADATA),  # Alibaba Cloud
        ("168.63.129.16/32", _R.CLOUD_METADATA),  # Azure WireServer (a public-looking address)
        ("0.0.0.0/32", _R.UNSPECIFIED),
        ("0.0.0.0/8", _R.RESERVED),  # "this network", RFC 791
        ("10.0.0.0/8", _R.PRIVATE),  # RFC 1918
        ("100.64.0.0/10", _R.SHARED),  # RFC 6598
        ("127.0.0.0/8", _R.LOOPBACK),
        ("169.254.0.0/16", _R.LINK_LOCAL),  # RFC 3927
        ("172.16.0.0/12", _R.PRIVATE),  # RFC 1918
        ("192.0.0.0/24", _R.RESERVED),  # IETF protocol assignments, RFC 6890
        ("192.0.2.0/24", _R.DOCUMENTATION),  # TEST-NET-1, RFC 5737
        ("192.88.99.0/24", _R.RESERVED),  # deprecated 6to4 relay anycast, RFC 7526
        ("192.168.0.0/16", _R.PRIVATE),  # RFC 1918
        ("198.18.0.0/15", _R.RESERVED),  # benchmarking, RFC 2544
        ("198.51.100.0/24", _R.DOCUMENTATION),  # TEST-NET-2
        ("203.0.113.0/24", _R.DOCUMENTATION),  # TEST-NET-3
        ("224.0.0.0/4", _R.MULTICAST),
        ("240.0.0.0/4", _R.RESERVED),  # future use, and 255.255.255.255 broadcast
    )
)

_IPV6_BLOCKS: tuple[tuple[ipaddress.IPv6Network, BlockReason], ...] = tuple(
    (ipaddress.IPv6Network(net), reason)
    for net, reason in (
        ("fd00:ec2::254/128", _R.CLOUD_METADATA),  # AWS instance metadata over IPv6
        ("::/128", _R.UNSPECIFIED),
        ("::1/128", _R.LOOPBACK),
        ("64:ff9b:1::/48", _R.PRIVATE),  # local-use NAT64, RFC 8215
        ("100::/64", _R.RESERVED),  # discard-only, RFC 6666
        ("2001:2::/48", _R.RESERVED),  # benchmarking, RFC 5180
        ("2001:10::/28", _R.RESERVED),  # ORCHID (deprecated), RFC 4843
        ("2001:db8::/32", _R.DOCUMENTATION),  # RFC 3849
        ("3fff::/20", _R.DOCUMENTATION),  # RFC 9637
        ("5f00::/16", _R.RESERVED),  # SRv6 SIDs, RFC 9602
        ("fc00::/7", _R.PRIVATE),  # unique local, RFC 4193
        ("fe80::/10", _R.LINK_LOCAL),
        ("fec0::/10", _R.PRIVATE),  # site-local (deprecated), RFC 3879
        ("ff00::/8", _R.MULTICAST),
    )
)

# Global unicast IPv6 is allocated from 2000::/3 only; anything else not matched above is
# unassigned or reserved by IANA.
_IPV6_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052


def _mapped(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    return (ip.ipv4_mapped,) if ip.ipv4_mapped else ()


def _sixtofour(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    return (ip.sixtofour,) if ip.sixtofour else ()


def _teredo(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    return ip.teredo or ()  # (server, client)


def _nat64(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    if ip in _NAT64_WELL_KNOWN:
        return (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF),)
    return ()


# IPv6 forms that carry IPv4 addresses; such an address is judged by the IPv4 inside it.
_IPV4_EMBEDDINGS: tuple[Embedding, ...] = (_mapped, _sixtofour, _teredo, _nat64)


def _first_match(
    ip: IPAddress,
    table: Iterable[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, BlockReason]],
) -> BlockReason | None:
    return next((reason for net, reason in table if ip in net), None)


def _blocked(ip: IPAddress) -> BlockReason | None:
    if isinstance(ip, ipaddress.IPv4Address):
        return _first_match(ip, _IPV4_BLOCKS)
    embedded = [v4 for extract in _IPV4_EMBEDDINGS for v4 in extract(ip)]
    if embedded:
        # Teredo carries two addresses: the gravest reason wins (the enum lists metadata
        # first), or a private server beside a metadata client would read "private" and
        # allow_private would lift it.
        reasons = [r for v4 in embedded if (r := _blocked(v4)) is not None]
        return min(reasons, key=list(BlockReason).index, default=None)
    reason = _first_match(ip, _IPV6_BLOCKS)
    if reason is None and ip not in _IPV6_GLOBAL_UNICAST:
        return _metadata_in_deprecated_form(ip) or BlockReason.RESERVED
    return reason


# Deprecated forms that still carry an IPv4 address: IPv4-compatible (::a.b.c.d, RFC 4291)
# and IPv4-translated (::ffff:0:a.b.c.d, RFC 2765). They stay "reserved", which allow_private
# lifts, except that one carrying a metadata address is metadata, which nothing lifts.
_DEPRECATED_IPV4_FORMS = (ipaddress.IPv6Network("::/96"), ipaddress.IPv6Network("::ffff:0:0:0/96"))


def _metadata_in_deprecated_form(ip: ipaddress.IPv6Address) -> BlockReason | None:
    if not any(ip in form for form in _DEPRECATED_IPV4_FORMS):
        return None
    inside = _blocked(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return inside if inside is BlockReason.CLOUD_METADATA else None


def blocked_reason(ip: str) -> BlockReason | None:
    """Why the scanner must not connect to ``ip``, or ``None`` for a public address.

    ``ip`` is an IPv4 or IPv6 address in text form (an IPv6 zone such as ``%eth0`` is
    allowed). The reason is a :class:`BlockReason`, itself a ``str``.

    :raises ValueError: when ``ip`` is not an IP address.
    """
    return _blocked(ipaddress.ip_address(ip))


@dataclass(frozen=True)
class AddressCheck:
    """One address a host resolved to, and whether the scanner may connect to it.

    :param host: the name that was resolved (or the IP literal given).
    :param port: the port the caller means to connect to.
    :param address: the address, in text form; connect to this, never to ``host``.
    :param reason: why the address is off limits, or ``None`` when it is public. Kept even
        when ``allow_private`` lifted the block, so reports can say so.
    :param allowed: whether the caller may connect.
    """

    host: str
    port: int
    address: str
    reason: BlockReason | None
    allowed: bool

    @property
    def family(self) -> int:
        """4 or 6."""
        return ipaddress.ip_address(self.address).version


def endpoint(address: str, port: int) -> str:
    """``192.0.2.1:443`` or ``[2001:db8::1]:443``: an address and port as reports show them."""
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


class AsyncResolver(Protocol):
    """What :func:`resolve_checked` needs of a resolver: dnspython's async ``resolve``."""

    def resolve(self, qname: str, rdtype: str) -> Awaitable[Iterable[object]]: ...


_RECORD_TYPES = ("A", "AAAA")


async def _lookup(resolver: AsyncResolver, host: str, rdtype: str) -> list[str]:
    try:
        answer = await resolver.resolve(host, rdtype)
    except dns.resolver.NoAnswer:
        return []
    return [str(ipaddress.ip_address(str(rdata))) for rdata in answer]


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


async def _resolve(resolver: AsyncResolver, host: str) -> list[str]:
    """A then AAAA addresses of ``host``, queried concurrently, in order, without repeats."""
    results = await asyncio.gather(
        *(_lookup(resolver, host, rdtype) for rdtype in _RECORD_TYPES),
        return_exceptions=True,
    )
    addresses: list[str] = []
    for result in results:
        if isinstance(result, BaseException):
            raise result
        addresses.extend(a for a in result if a not in addresses)
    return addresses


async def resolve_checked(
    host: str,
    port: int,
    *,
    resolver: AsyncResolver,
    allow_private: AllowPrivate = False,
) -> list[AddressCheck]:
    """Resolve ``host`` once (A and AAAA, concurrently) and judge every address.

    An IP literal is judged without a query. The answer is in resolver order, A records
    first, without duplicates. A name with no A or AAAA record gives an empty list. DNS
    errors other than "no answer of this type" (NXDOMAIN, timeouts, no nameservers) propagate
    unchanged; the resolver's own ``lifetime`` bounds the wait. ``allow_private`` lifts the
    block, all of it or only the reasons given (see :data:`AllowPrivate`), for labs.
    """
    literal = _literal(host)
    addresses = [literal] if literal else await _resolve(resolver, host)
    reasons = [(address, blocked_reason(address)) for address in addresses]
    return [
        AddressCheck(
            host=host,
            port=port,
            address=address,
            reason=reason,
            allowed=lifts(allow_private, reason),
        )
        for address, reason in reasons
    ]
