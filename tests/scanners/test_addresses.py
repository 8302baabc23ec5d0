"""The SSRF guard: which addresses the scanner refuses, and resolving a host exactly once."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterable

import dns.resolver
import pytest

from scanners.addresses import (
    AddressCheck,
    AllowPrivate,
    BlockReason,
    blocked_reason,
    resolve_checked,
)

R = BlockReason

BLOCKED: tuple[tuple[str, BlockReason], ...] = (
    # cloud metadata, before the ranges that hold them
    ("169.254.169.254", R.CLOUD_METADATA),
    ("169.254.170.2", R.CLOUD_METADATA),
    ("100.100.100.200", R.CLOUD_METADATA),
    ("168.63.129.16", R.CLOUD_METADATA),
    ("fd00:ec2::254", R.CLOUD_METADATA),
    ("::ffff:169.254.169.254", R.CLOUD_METADATA),
    ("::ffff:a9fe:a9fe", R.CLOUD_METADATA),  # the same, in hex
    # IPv4
    ("0.0.0.0", R.UNSPECIFIED),  # noqa: S104 - an address to judge, not to bind
    ("0.1.2.3", R.RESERVED),
    ("127.0.0.1", R.LOOPBACK),
    ("127.255.255.254", R.LOOPBACK),
    ("10.0.0.1", R.PRIVATE),
    ("172.16.0.1", R.PRIVATE),
    ("172.31.255.255", R.PRIVATE),
    ("192.168.1.1", R.PRIVATE),
    ("100.64.0.1", R.SHARED),
    ("100.127.255.254", R.SHARED),
    ("169.254.1.1", R.LINK_LOCAL),
    ("224.0.0.1", R.MULTICAST),
    ("239.255.255.250", R.MULTICAST),
    ("240.0.0.1", R.RESERVED),
    ("255.255.255.255", R.RESERVED),
    ("192.0.0.8", R.RESERVED),
    ("192.0.2.10", R.DOCUMENTATION),
    ("198.51.100.7", R.DOCUMENTATION),
    ("203.0.113.99", R.DOCUMENTATION),
    ("198.18.0.1", R.RESERVED),
    ("198.19.255.255", R.RESERVED),
    ("192.88.99.1", R.RESERVED),
    # IPv6
    ("::", R.UNSPECIFIED),
    ("::1", R.LOOPBACK),
    ("fc00::1", R.PRIVATE),
    ("fd12:3456:789a::1", R.PRIVATE),
    ("fe80::1", R.LINK_LOCAL),
    ("fe80::1%eth0", R.LINK_LOCAL),
    ("fec0::1", R.PRIVATE),
    ("ff02::1", R.MULTICAST),
    ("2001:db8::1", R.DOCUMENTATION),
    ("3fff::1", R.DOCUMENTATION),
    ("100::1", R.RESERVED),
    ("2001:2::1", R.RESERVED),
    ("64:ff9b:1::a00:1", R.PRIVATE),
    ("::127.0.0.1", R.RESERVED),  # IPv4-compatible, deprecated
    ("::169.254.169.254", R.CLOUD_METADATA),  # ... but metadata inside is metadata
    ("::ffff:0:7f00:1", R.RESERVED),  # IPv4-translated, deprecated
    ("::ffff:0:a9fe:a9fe", R.CLOUD_METADATA),
    ("4000::1", R.RESERVED),  # outside 2000::/3: unassigned
    # IPv6 forms carrying a blocked IPv4 address
    ("::ffff:127.0.0.1", R.LOOPBACK),
    ("::ffff:7f00:1", R.LOOPBACK),
    ("::ffff:10.1.2.3", R.PRIVATE),
    ("::ffff:100.64.0.1", R.SHARED),
    ("::ffff:0.0.0.0", R.UNSPECIFIED),
    ("2002:7f00:1::1", R.LOOPBACK),  # 6to4 of 127.0.0.1
    ("2002:c0a8:101::1", R.PRIVATE),  # 6to4 of 192.168.1.1
    ("2002:a9fe:a9fe::", R.CLOUD_METADATA),  # 6to4 of 169.254.169.254
    # Teredo, RFC 4380's example: server 65.54.227.120, client 192.0.2.45
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", R.DOCUMENTATION),
    # Teredo whose server is loopback (127.0.0.1) and client public (8.8.8.8)
    ("2001:0:7f00:1:0:0:f7f7:f7f7", R.LOOPBACK),
    ("64:ff9b::10.0.0.1", R.PRIVATE),  # NAT64 of a private address
    ("64:ff9b::a9fe:a9fe", R.CLOUD_METADATA),
)

ALLOWED: tuple[str, ...] = (
    "8.8.8.8",
    "1.1.1.1",
    "93.184.215.14",
    "172.15.255.255",  # just below 172.16/12
    "172.32.0.1",  # just above it
    "100.63.255.255",  # just below 100.64/10
    "100.128.0.1",  # just above it
    "169.253.255.255",
    "192.0.3.1",
    "198.17.255.255",
    "223.255.255.254",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "2002:808:808::1",  # 6to4 of 8.8.8.8
    "2001:0:808:808:0:0:f7f7:f7f7",  # Teredo: server 8.8.8.8, client 8.8.8.8
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8",  # NAT64 of a public address
)


@pytest.mark.parametrize(("address", "reason"), BLOCKED)
def test_blocked_address_gives_its_reason(address: str, reason: BlockReason) -> None:
    assert blocked_reason(address) is reason


@pytest.mark.parametrize("address", ALLOWED)
def test_public_address_is_allowed(address: str) -> None:
    assert blocked_reason(address) is None


@pytest.mark.parametrize("address", ALLOWED)
def test_allowed_addresses_are_global_by_the_standard_library_too(address: str) -> None:
    ip = ipaddress.ip_address(address)
    inner = getattr(ip, "ipv4_mapped", None) or getattr(ip, "sixtofour", None)
    assert (inner or ip).is_global or address.startswith(("2001:0:", "64:ff9b:"))


def test_reason_is_a_string_a_report_can_print() -> None:
    reason = blocked_reason("10.0.0.1")
    assert isinstance(reason, str)
    assert reason == "private address"


@pytest.mark.parametrize("text", ["", "example.com", "999.1.1.1", "[::1]", "10.0.0.1/8"])
def test_blocked_reason_refuses_what_is_not_an_address(text: str) -> None:
    with pytest.raises(ValueError, match="does not appear to be"):
        blocked_reason(text)


class FakeResolver:
    """The ``resolve`` coroutine of dnspython's async resolver, answering from a table."""

    def __init__(self, answers: dict[tuple[str, str], list[str] | Exception]) -> None:
        self.answers = answers
        self.queries: list[tuple[str, str]] = []

    async def resolve(self, qname: str, rdtype: str) -> Iterable[object]:
        self.queries.append((qname, rdtype))
        answer = self.answers.get((qname, rdtype), dns.resolver.NoAnswer())
        if isinstance(answer, Exception):
            raise answer
        return answer


def _checked(
    host: str, resolver: FakeResolver, *, allow_private: AllowPrivate = False
) -> list[AddressCheck]:
    return asyncio.run(
        resolve_checked(host, 443, resolver=resolver, allow_private=allow_private)
    )


def test_resolve_checked_returns_every_address_with_its_verdict() -> None:
    resolver = FakeResolver({
        ("vendor.test", "A"): ["93.184.215.14", "10.0.0.5"],
        ("vendor.test", "AAAA"): ["2606:4700:4700::1111", "::1"],
    })
    assert _checked("vendor.test", resolver) == [
        AddressCheck("vendor.test", 443, "93.184.215.14", None, allowed=True),
        AddressCheck("vendor.test", 443, "10.0.0.5", R.PRIVATE, allowed=False),
        AddressCheck("vendor.test", 443, "2606:4700:4700::1111", None, allowed=True),
        AddressCheck("vendor.test", 443, "::1", R.LOOPBACK, allowed=False),
    ]


def test_resolve_checked_queries_each_type_exactly_once() -> None:
    resolver = FakeResolver({("vendor.test", "A"): ["93.184.215.14"]})
    _checked("vendor.test", resolver)
    assert sorted(resolver.queries) == [("vendor.test", "A"), ("vendor.test", "AAAA")]


def test_allow_private_lifts_the_block_but_keeps_the_reason() -> None:
    resolver = FakeResolver({("lab.test", "A"): ["127.0.0.1"]})
    assert _checked("lab.test", resolver, allow_private=True) == [
        AddressCheck("lab.test", 443, "127.0.0.1", R.LOOPBACK, allowed=True),
    ]


def test_allow_private_never_lifts_the_metadata_address() -> None:
    resolver = FakeResolver({("lab.test", "A"): ["169.254.169.254", "10.0.0.5"]})
    metadata, private = _checked("lab.test", resolver, allow_private=True)
    assert (metadata.reason, metadata.allowed) == (R.CLOUD_METADATA, False)
    assert (private.reason, private.allowed) == (R.PRIVATE, True)


def test_allow_private_may_lift_only_the_reasons_named() -> None:
    resolver = FakeResolver({("lab.test", "A"): ["127.0.0.1", "10.0.0.5"]})
    loopback, private = _checked("lab.test", resolver, allow_private=frozenset({R.LOOPBACK}))
    assert (loopback.allowed, private.allowed) == (True, False)


def test_metadata_address_is_refused() -> None:
    resolver = FakeResolver({("evil.test", "A"): ["169.254.169.254"]})
    [check] = _checked("evil.test", resolver)
    assert (check.reason, check.allowed) == (R.CLOUD_METADATA, False)


def test_ip_literal_is_checked_without_a_query() -> None:
    resolver = FakeResolver({})
    assert _checked("::ffff:127.0.0.1", resolver) == [
        AddressCheck("::ffff:127.0.0.1", 443, "::ffff:7f00:1", R.LOOPBACK, allowed=False),
    ]
    assert resolver.queries == []


def test_duplicate_answers_appear_once_and_addresses_are_normalised() -> None:
    resolver = FakeResolver({
        ("vendor.test", "A"): ["93.184.215.14", "93.184.215.14"],
        ("vendor.test", "AAAA"): ["2606:4700:4700:0:0:0:0:1111"],
    })
    assert [c.address for c in _checked("vendor.test", resolver)] == [
        "93.184.215.14", "2606:4700:4700::1111",
    ]


def test_family_is_read_from_the_address() -> None:
    resolver = FakeResolver({
        ("vendor.test", "A"): ["93.184.215.14"],
        ("vendor.test", "AAAA"): ["2606:4700:4700::1111"],
    })
    assert [c.family for c in _checked("vendor.test", resolver)] == [4, 6]


def test_name_without_addresses_gives_an_empty_list() -> None:
    assert _checked("empty.test", FakeResolver({})) == []


def test_nxdomain_propagates() -> None:
    resolver = FakeResolver({
        ("gone.test", "A"): dns.resolver.NXDOMAIN(),
        ("gone.test", "AAAA"): dns.resolver.NXDOMAIN(),
    })
    with pytest.raises(dns.resolver.NXDOMAIN):
        _checked("gone.test", resolver)


def test_timeout_on_one_type_propagates_after_both_queries_finish() -> None:
    resolver = FakeResolver({
        ("slow.test", "A"): ["93.184.215.14"],
        ("slow.test", "AAAA"): dns.resolver.LifetimeTimeout(timeout=1.0, errors={}),
    })
    with pytest.raises(dns.resolver.LifetimeTimeout):
        _checked("slow.test", resolver)
    assert len(resolver.queries) == 2


def test_address_check_is_frozen() -> None:
    check = AddressCheck("h", 25, "8.8.8.8", None, allowed=True)
    with pytest.raises(AttributeError):
        check.address = "10.0.0.1"  # type: ignore[misc]
