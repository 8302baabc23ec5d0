"""Issue 9, "Scanner SSRF": the scanner never connects where a hostile vendor points it.

A vendor controls its DNS, its redirects and its links; none of them may steer a scan into our
own network (loopback, private ranges) or the cloud metadata service. Each test points the
scanner at such a place and proves the refusal twice:

* in what the user sees: the fetch's error, or a ``scan.blocked_address`` finding, in words;
* in what happened: a :class:`~tests.scanners.lab.trap.Trap` listening on loopback where the
  forbidden URL leads records no connection, and a spy on ``asyncio.open_connection`` (every
  connection the scanner makes goes through it) records no attempt on any address but the
  lab's own. Private and metadata addresses are never really connected to by the tests.

The lab's web servers live on loopback (127.0.0.11 onwards) like the trap (127.0.0.1, ::1).
So that a redirect to 127.0.0.1 is not allowed merely because the lab is, most tests run the
scanner as production does (``allow_private=False``) with a guard that counts exactly the
lab's own addresses as the public internet (the ``lab_is_public`` fixture) and judges every
other address as it always does.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import scanners.__main__ as cli
from scanners import addresses, scan
from scanners.addresses import AllowPrivate, BlockReason, blocked_reason, lifts, resolve_checked
from scanners.dns_probe import make_resolver
from scanners.page_crawl import trackers_on_site
from scanners.smtp_probe import probe_mx_hosts
from scanners.tls import ContextFactory
from scanners.web_fetch import Fetch, Fetcher, Response
from tests.scanners.lab.dns_server import DnsLab
from tests.scanners.lab.smtp_server import SmtpKind, SmtpLab
from tests.scanners.lab.trap import Trap, free_port
from tests.scanners.lab.web_server import GOOD_HEADERS, Page, TlsKind, WebLab, redirect

R = BlockReason
DOMAIN = "clinic.test"
TIMEOUT = 2.0
LOOPBACK_ONLY = frozenset({R.LOOPBACK})
REDIRECTS = (301, 302, 303, 307, 308)

Connections = list[tuple[str, int]]


# --- the proof that nothing connected ----------------------------------------------------------


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> Connections:
    """Every (address, port) the scanner tries to connect to, recorded before it does."""
    attempts: Connections = []
    real = asyncio.open_connection

    async def spy(host: Any = None, port: Any = None, **kwargs: Any) -> Any:
        attempts.append((str(host), int(port)))
        return await real(host, port, **kwargs)

    monkeypatch.setattr(asyncio, "open_connection", spy)
    return attempts


def _lab_addresses(web_lab: WebLab) -> frozenset[str]:
    return frozenset({*(web_lab.address(kind) for kind in TlsKind), web_lab.stall_address,
                      web_lab.dead_address})


@pytest.fixture
def lab_is_public(web_lab: WebLab, monkeypatch: pytest.MonkeyPatch) -> frozenset[str]:
    """The guard, judging the web lab's own addresses as public and all others as ever."""
    lab = _lab_addresses(web_lab)
    real = addresses.blocked_reason

    def guard(ip: str) -> BlockReason | None:
        return None if ip in lab else real(ip)

    monkeypatch.setattr(addresses, "blocked_reason", guard)
    return lab


@pytest.fixture
def trap(web_lab: WebLab) -> Iterator[Trap]:
    """Listeners on 127.0.0.1 and ::1 at the ports the scan uses for web pages."""
    ports = (web_lab.http_port, web_lab.https_port)
    with Trap([(address, port) for address in ("127.0.0.1", "::1") for port in ports]) as lab:
        yield lab


def _assert_nothing_forbidden_was_touched(
    trap: Trap, connections: Connections, allowed: frozenset[str]
) -> None:
    assert trap.seen() == []
    assert {address for address, _ in connections} <= allowed


def test_the_trap_does_catch_a_scanner_that_connects(
    dns_lab: DnsLab, web_lab: WebLab, web_tls: ContextFactory, trap: Trap,
    connections: Connections,
) -> None:
    # The control experiment: with loopback lifted on purpose the fetch does reach 127.0.0.1,
    # and both witnesses say so, so their silence elsewhere means something.
    fetcher = _fetcher(dns_lab, web_lab, web_tls, allow_private=LOOPBACK_ONLY)
    (fetch,) = _fetch(fetcher, f"http://127.0.0.1:{web_lab.http_port}/")
    assert fetch.final is None
    assert trap.seen() == [("127.0.0.1", web_lab.http_port)]
    assert connections == [("127.0.0.1", web_lab.http_port)]


# --- the scanner, aimed at the lab ------------------------------------------------------------


@pytest.fixture
def site(dns_lab: DnsLab, web_lab: WebLab) -> WebLab:
    """clinic.test at the lab's good server; portal.clinic.test inside our own network."""
    dns_lab.set_zones({
        DOMAIN: [("A", web_lab.address(TlsKind.GOOD))],
        f"portal.{DOMAIN}": [("A", "127.0.0.1")],
        f"metadata.{DOMAIN}": [("A", "169.254.169.254"), ("AAAA", "fd00:ec2::254")],
    })
    return web_lab


def _fetcher(dns_lab: DnsLab, web_lab: WebLab, tls: ContextFactory,
             allow_private: AllowPrivate = False) -> Fetcher:
    return Fetcher(resolver=make_resolver("127.0.0.1", port=dns_lab.port, timeout=TIMEOUT),
                   timeout=TIMEOUT, ports={"https": web_lab.https_port, "http": web_lab.http_port},
                   ssl_context_factory=tls, allow_private=allow_private)


def _fetch(fetcher: Fetcher, *urls: str) -> list[Fetch]:
    async def run() -> list[Fetch]:
        return [await fetcher.fetch(url) for url in urls]

    return asyncio.run(run())


def _context(dns_lab: DnsLab, web_lab: WebLab, allow_private: AllowPrivate = False,
             smtp_port: int = 25) -> scan.ScanContext:
    return scan.make_context(resolver=dns_lab.address, timeout=TIMEOUT, ca_file=web_lab.ca_file,
                             allow_private=allow_private, https_port=web_lab.https_port,
                             http_port=web_lab.http_port, smtp_port=smtp_port)


def _scan(context: Callable[[], scan.ScanContext], *only: scan.Probe) -> scan.DomainReport:
    async def run() -> scan.DomainReport:
        (report,) = await scan.scan_domains([DOMAIN], only=only, context=context())
        return report

    return asyncio.run(run())


def _blocked_evidence(report: scan.DomainReport) -> set[str]:
    return {f.evidence for f in report.findings if f.id == "scan.blocked_address"}


# --- 1. redirects into our network are not followed ---------------------------------------------

# (Location, the host refused, the address and why, as the error says it)
REDIRECT_TARGETS = [
    ("http://127.0.0.1:{http}/admin", "127.0.0.1", "127.0.0.1 (loopback address)"),
    ("https://127.0.0.1:{https}/", "127.0.0.1", "127.0.0.1 (loopback address)"),
    ("http://127.0.0.1/", "127.0.0.1", "127.0.0.1 (loopback address)"),
    ("http://[::1]/", "::1", "::1 (loopback address)"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254",
     "169.254.169.254 (cloud metadata address)"),
    ("http://10.0.0.1/", "10.0.0.1", "10.0.0.1 (private address)"),
    ("https://portal.clinic.test/", "portal.clinic.test", "127.0.0.1 (loopback address)"),
    # Relative Locations that name another host (network-path references, RFC 3986 4.2).
    ("//127.0.0.1/", "127.0.0.1", "127.0.0.1 (loopback address)"),
    ("//169.254.169.254/latest/", "169.254.169.254", "169.254.169.254 (cloud metadata address)"),
]


@pytest.mark.usefixtures("lab_is_public")
@pytest.mark.parametrize("status", REDIRECTS)
@pytest.mark.parametrize(("location", "host", "refused"), REDIRECT_TARGETS)
def test_a_redirect_into_our_network_is_refused_with_the_reason(
    dns_lab: DnsLab, site: WebLab, web_tls: ContextFactory, trap: Trap, connections: Connections,
    status: int, location: str, host: str, refused: str,
) -> None:
    location = location.format(http=site.http_port, https=site.https_port)
    site.set_page(f"https://{DOMAIN}/go", redirect(location, status))

    (fetch,) = _fetch(_fetcher(dns_lab, site, web_tls), f"https://{DOMAIN}/go")

    assert fetch.final is None
    assert [r.status for r in fetch.responses] == [status]
    assert fetch.error == f"not connecting to {host}: {refused}"
    assert [f"{c.address} ({c.reason})" for c in fetch.blocked] == [refused]
    _assert_nothing_forbidden_was_touched(trap, connections, _lab_addresses(site))
    assert [(r.host, r.path) for r in site.requests] == [(DOMAIN, "/go")]


def test_a_relative_redirect_stays_on_the_site_it_came_from(
    dns_lab: DnsLab, site: WebLab, web_tls: ContextFactory, trap: Trap, connections: Connections,
    lab_is_public: frozenset[str],
) -> None:
    # The counterpart of the refusals above: a path-only Location is followed, on the same host.
    site.set_page(f"https://{DOMAIN}/go", redirect("/here", 307))
    site.set_page(f"https://{DOMAIN}/here", Page("<p>here</p>"))
    (fetch,) = _fetch(_fetcher(dns_lab, site, web_tls), f"https://{DOMAIN}/go")
    assert fetch.final is not None
    assert fetch.chain() == f"https://{DOMAIN}/go 307 -> https://{DOMAIN}/here 200"
    _assert_nothing_forbidden_was_touched(trap, connections, lab_is_public)


def test_the_web_report_names_the_refused_redirect(
    dns_lab: DnsLab, site: WebLab, trap: Trap, connections: Connections,
    lab_is_public: frozenset[str],
) -> None:
    site.set_page(f"https://{DOMAIN}/", redirect("http://127.0.0.1/", 302))

    report = _scan(lambda: _context(dns_lab, site), scan.Probe.WEB)

    chain = (f"https://{DOMAIN}/ 302 -> http://127.0.0.1/ (not connecting to 127.0.0.1: "
             "127.0.0.1 (loopback address))")
    assert f"{chain}: 127.0.0.1 -> 127.0.0.1 (loopback address)" in _blocked_evidence(report)
    assert not any("Traceback" in error for error in report.errors)
    _assert_nothing_forbidden_was_touched(trap, connections, lab_is_public)


# --- 2. MX hosts inside our network are not probed ----------------------------------------------

MX_ZONES: dict[str, list[tuple[str, str]]] = {
    DOMAIN: [("MX", "10 loop.mx.test"), ("MX", "20 meta.mx.test"), ("MX", "30 lan.mx.test"),
             ("MX", "40 mapped.mx.test"), ("MX", "50 nat64.mx.test")],
    "loop.mx.test": [("A", "127.0.0.1"), ("AAAA", "::1")],
    "meta.mx.test": [("A", "169.254.169.254"), ("AAAA", "fd00:ec2::254")],
    "lan.mx.test": [("A", "10.0.0.1"), ("A", "192.168.1.1"), ("AAAA", "fe80::1")],
    "mapped.mx.test": [("AAAA", "::ffff:127.0.0.1")],  # reaches 127.0.0.1 if connected
    "nat64.mx.test": [("AAAA", "64:ff9b::a9fe:a9fe")],  # the metadata address via NAT64
}
MX_REFUSED = {
    "loop.mx.test -> 127.0.0.1 (loopback address)",
    "loop.mx.test -> ::1 (loopback address)",
    "meta.mx.test -> 169.254.169.254 (cloud metadata address)",
    "meta.mx.test -> fd00:ec2::254 (cloud metadata address)",
    "lan.mx.test -> 10.0.0.1 (private address)",
    "lan.mx.test -> 192.168.1.1 (private address)",
    "lan.mx.test -> fe80::1 (link-local address)",
    "mapped.mx.test -> ::ffff:7f00:1 (loopback address)",
    "nat64.mx.test -> 64:ff9b::a9fe:a9fe (cloud metadata address)",
}


@pytest.fixture
def smtp_trap() -> Iterator[Trap]:
    """An SMTP port on 127.0.0.1 and ::1 where nobody answers, only counts."""
    port = free_port(["127.0.0.1", "::1"])
    with Trap([("127.0.0.1", port), ("::1", port)]) as lab:
        yield lab


def test_mx_hosts_inside_our_network_are_reported_and_never_connected(
    dns_lab: DnsLab, web_lab: WebLab, smtp_trap: Trap, connections: Connections
) -> None:
    dns_lab.set_zones(MX_ZONES)
    port = smtp_trap.endpoints[0][1]

    report = _scan(lambda: _context(dns_lab, web_lab, smtp_port=port), scan.Probe.SMTP)

    assert _blocked_evidence(report) == MX_REFUSED
    assert {f.id for f in report.findings} == {"scan.blocked_address"}
    assert report.errors == ()
    assert smtp_trap.seen() == []
    assert connections == []


def test_lifting_loopback_for_the_lab_still_refuses_the_other_mx_hosts(
    dns_lab: DnsLab, smtp_trap: Trap, connections: Connections
) -> None:
    dns_lab.set_zones(MX_ZONES)
    port = smtp_trap.endpoints[0][1]
    hosts = ["meta.mx.test", "lan.mx.test", "nat64.mx.test"]

    servers = asyncio.run(probe_mx_hosts(
        hosts, resolver=make_resolver("127.0.0.1", port=dns_lab.port, timeout=TIMEOUT),
        timeout=TIMEOUT, port=port, allow_private=LOOPBACK_ONLY))

    assert {f.evidence for f in servers.findings} == {
        e for e in MX_REFUSED if e.split()[0] in hosts}
    assert connections == []
    assert smtp_trap.seen() == []


# --- 3. DNS rebinding: one lookup per host, and the address checked is the one connected --------


def test_the_lab_really_changes_its_answer_between_lookups(dns_lab: DnsLab) -> None:
    dns_lab.set_zones({}, in_turn={"rebind.test": [[("A", "192.0.2.1")], [("A", "127.0.0.1")]]})
    resolver = make_resolver("127.0.0.1", port=dns_lab.port, timeout=TIMEOUT)

    async def twice() -> list[list[str]]:
        return [[str(r) for r in await resolver.resolve("rebind.test", "A")] for _ in range(2)]

    assert asyncio.run(twice()) == [["192.0.2.1"], ["127.0.0.1"]]


def _rebinding(web_lab: WebLab, to: str) -> list[list[tuple[str, str]]]:
    return [[("A", web_lab.address(TlsKind.GOOD))], [("A", to)]]


def test_a_rebinding_host_is_fetched_only_from_the_address_first_checked(
    dns_lab: DnsLab, web_lab: WebLab, web_tls: ContextFactory, trap: Trap,
    connections: Connections, lab_is_public: frozenset[str],
) -> None:
    host = f"portal.{DOMAIN}"
    dns_lab.set_zones({}, in_turn={host: _rebinding(web_lab, "127.0.0.1")})
    web_lab.set_page(f"https://{host}/go", redirect(f"https://{host}/next", 302))
    web_lab.set_page(f"https://{host}/next", Page("<p>next</p>"))

    fetches = _fetch(_fetcher(dns_lab, web_lab, web_tls), f"https://{host}/go",
                     f"http://{host}/", f"https://{host}/again")

    assert [fetch.error for fetch in fetches] == ["", "", ""]
    assert {r.address for fetch in fetches for r in fetch.responses} == {
        web_lab.address(TlsKind.GOOD)}
    assert dns_lab.queries.count((host, "A")) == 1
    _assert_nothing_forbidden_was_touched(trap, connections, lab_is_public)


def test_a_rebinding_domain_is_scanned_crawled_and_all_only_at_its_first_address(
    dns_lab: DnsLab, web_lab: WebLab, trap: Trap, connections: Connections,
    lab_is_public: frozenset[str],
) -> None:
    dns_lab.set_zones({}, in_turn={DOMAIN: _rebinding(web_lab, "127.0.0.1"),
                                   f"www.{DOMAIN}": _rebinding(web_lab, "169.254.169.254")})
    web_lab.set_page(f"https://{DOMAIN}/", Page(
        '<a href="/login">Sign in</a> <a href="/book-appointment">Book</a>'
        f'<a href="https://www.{DOMAIN}/portal">Portal</a>',
        headers=GOOD_HEADERS))

    report = _scan(lambda: _context(dns_lab, web_lab), scan.Probe.WEB, scan.Probe.HEADERS,
                   scan.Probe.TRACKING)

    assert report.errors == ()
    assert _blocked_evidence(report) == set()
    assert {"/login", "/book-appointment", "/portal"} <= set(web_lab.paths_requested("https"))
    assert dns_lab.queries.count((DOMAIN, "A")) == 1
    assert dns_lab.queries.count((f"www.{DOMAIN}", "A")) == 1
    _assert_nothing_forbidden_was_touched(trap, connections, lab_is_public)


def test_a_rebinding_mx_host_is_probed_only_at_its_first_address(
    dns_lab: DnsLab, smtp_lab: SmtpLab, connections: Connections
) -> None:
    host = "mx.clinic.test"
    dns_lab.set_zones({}, in_turn={host: [[("A", "127.0.0.1")], [("A", "10.0.0.1")],
                                          [("A", "169.254.169.254")]]})
    port = smtp_lab.port(SmtpKind.PLAIN)
    before = smtp_lab.connections[SmtpKind.PLAIN]

    servers = asyncio.run(probe_mx_hosts(
        [host], resolver=make_resolver("127.0.0.1", port=dns_lab.port, timeout=TIMEOUT),
        timeout=TIMEOUT, port=port, allow_private=LOOPBACK_ONLY))

    assert [f.id for f in servers.findings] == ["smtp.starttls.unsupported"]
    assert smtp_lab.connections[SmtpKind.PLAIN] > before  # it did talk to the lab
    assert {address for address, _ in connections} == {"127.0.0.1"}
    assert dns_lab.queries.count((host, "A")) == 1


# --- 4. every spelling of loopback and metadata -------------------------------------------------

# IPv6 literals that are, or carry, an address the scanner must not reach.
IPV6_FORMS = [
    ("::1", R.LOOPBACK),
    ("0:0:0:0:0:0:0:1", R.LOOPBACK),
    ("0000:0000:0000:0000:0000:0000:0000:0001", R.LOOPBACK),
    ("::1%lo", R.LOOPBACK),
    ("::ffff:127.0.0.1", R.LOOPBACK),  # IPv4-mapped
    ("::ffff:7f00:1", R.LOOPBACK),  # the same, in hex
    ("::ffff:169.254.169.254", R.CLOUD_METADATA),
    ("::ffff:a9fe:a9fe", R.CLOUD_METADATA),
    ("64:ff9b::a9fe:a9fe", R.CLOUD_METADATA),  # NAT64 of the metadata address
    ("64:ff9b::169.254.169.254", R.CLOUD_METADATA),
    ("64:ff9b::7f00:1", R.LOOPBACK),  # NAT64 of loopback
    ("2002:7f00:1::", R.LOOPBACK),  # 6to4 of 127.0.0.1: the whole /48
    ("2002:7f00:1:ffff:ffff:ffff:ffff:ffff", R.LOOPBACK),
    ("2002:a9fe:a9fe::1", R.CLOUD_METADATA),  # 6to4 of the metadata address
    ("2001:0:a9fe:a9fe::", R.CLOUD_METADATA),  # Teredo, server 169.254.169.254
    ("2001:0:a00:1::5601:5601", R.CLOUD_METADATA),  # Teredo, server 10.0.0.1, client metadata
    ("fd00:ec2::254", R.CLOUD_METADATA),
    ("fd00:ec2:0:0:0:0:0:254", R.CLOUD_METADATA),
    ("fd00:ec2::254%eth0", R.CLOUD_METADATA),
    ("fe80::1%eth0", R.LINK_LOCAL),
]

# Ways to write 127.0.0.1 that inet_aton and browsers accept. To the scanner they are no
# addresses but names (none exists in public DNS), so they can only lead where DNS says, and
# what DNS says meets the guard.
IPV4_SPELLINGS = ["2130706433", "0177.0.0.1", "0x7f000001", "0x7f.0.0.1", "017700000001",
                  "127.1", "0177.1", "0x7f.1", "127.0.0.1.", "127.000.000.001"]


@pytest.mark.parametrize(("address", "reason"), IPV6_FORMS)
def test_the_guard_sees_through_every_ipv6_form(address: str, reason: BlockReason) -> None:
    assert blocked_reason(address) is reason


@pytest.mark.parametrize("spelling", IPV4_SPELLINGS)
def test_the_guard_takes_no_odd_ipv4_spelling_for_an_address(spelling: str) -> None:
    with pytest.raises(ValueError, match="does not appear to be"):
        blocked_reason(spelling)


@pytest.mark.parametrize(("address", "reason"), IPV6_FORMS)
def test_an_ipv6_literal_host_is_refused_without_a_dns_query(
    dns_lab: DnsLab, address: str, reason: BlockReason
) -> None:
    resolver = make_resolver("127.0.0.1", port=dns_lab.port, timeout=TIMEOUT)
    (check,) = asyncio.run(resolve_checked(address, 80, resolver=resolver))
    assert (check.reason, check.allowed) == (reason, False)
    assert dns_lab.queries == []


@pytest.mark.parametrize("spelling", IPV4_SPELLINGS)
def test_an_odd_ipv4_spelling_is_looked_up_as_a_name_and_its_answer_judged(
    dns_lab: DnsLab, spelling: str
) -> None:
    dns_lab.set_zones({spelling: [("A", "127.0.0.1")]})
    resolver = make_resolver("127.0.0.1", port=dns_lab.port, timeout=TIMEOUT)
    (check,) = asyncio.run(resolve_checked(spelling, 80, resolver=resolver))
    assert (check.address, check.reason, check.allowed) == ("127.0.0.1", R.LOOPBACK, False)
    assert (spelling.rstrip("."), "A") in dns_lab.queries


def _without_zone(address: str) -> ipaddress.IPv6Address | ipaddress.IPv4Address:
    return ipaddress.ip_address(address.split("%")[0])  # a URL's zone stays %25-escaped


def _url(host: str) -> str:
    """``http://host/`` with an IPv6 literal bracketed and its zone escaped, as in a URL."""
    if ":" in host:
        return f"http://[{host.replace('%', '%25')}]/"
    return f"http://{host}/"


@pytest.mark.usefixtures("lab_is_public")
@pytest.mark.parametrize("how", ["redirect", "url"])
@pytest.mark.parametrize(("address", "reason"), IPV6_FORMS)
def test_an_ipv6_form_is_refused_as_a_url(
    dns_lab: DnsLab, site: WebLab, web_tls: ContextFactory, trap: Trap, connections: Connections,
    how: str, address: str, reason: BlockReason,
) -> None:
    target = _url(address)
    site.set_page(f"https://{DOMAIN}/go", redirect(target, 302))
    url = f"https://{DOMAIN}/go" if how == "redirect" else target

    (fetch,) = _fetch(_fetcher(dns_lab, site, web_tls), url)

    assert fetch.final is None
    assert fetch.error.startswith("not connecting to ")
    assert fetch.error.endswith(f"({reason})")
    assert [(_without_zone(c.address), c.reason) for c in fetch.blocked] == [
        (_without_zone(address), reason)]
    _assert_nothing_forbidden_was_touched(trap, connections, _lab_addresses(site))


@pytest.mark.usefixtures("lab_is_public")
@pytest.mark.parametrize("how", ["redirect", "url"])
@pytest.mark.parametrize("spelling", IPV4_SPELLINGS)
def test_an_odd_ipv4_spelling_in_a_url_never_reaches_loopback(
    dns_lab: DnsLab, site: WebLab, web_tls: ContextFactory, trap: Trap, connections: Connections,
    how: str, spelling: str,
) -> None:
    target = f"http://{spelling}:{site.http_port}/"
    site.set_page(f"https://{DOMAIN}/go", redirect(target, 301))
    url = f"https://{DOMAIN}/go" if how == "redirect" else target

    (fetch,) = _fetch(_fetcher(dns_lab, site, web_tls), url)

    assert fetch.final is None
    assert fetch.error == f"{spelling} does not exist in DNS"
    _assert_nothing_forbidden_was_touched(trap, connections, _lab_addresses(site))


@pytest.mark.usefixtures("lab_is_public")
@pytest.mark.parametrize("spelling", IPV4_SPELLINGS[:3])
def test_a_name_spelled_like_an_address_meets_the_guard_at_what_dns_answers(
    dns_lab: DnsLab, site: WebLab, web_tls: ContextFactory, trap: Trap, connections: Connections,
    spelling: str,
) -> None:
    dns_lab.set_zones({spelling: [("A", "127.0.0.1")]})
    (fetch,) = _fetch(_fetcher(dns_lab, site, web_tls), f"http://{spelling}/")
    assert fetch.error == f"not connecting to {spelling}: 127.0.0.1 (loopback address)"
    _assert_nothing_forbidden_was_touched(trap, connections, _lab_addresses(site))


def test_links_into_our_network_are_never_crawled(
    dns_lab: DnsLab, site: WebLab, web_tls: ContextFactory, trap: Trap, connections: Connections,
    lab_is_public: frozenset[str],
) -> None:
    forbidden = [_url(address) for address, _ in IPV6_FORMS] + [
        f"http://{spelling}/login" for spelling in IPV4_SPELLINGS] + [
        "http://169.254.169.254/latest/meta-data/", "https://10.0.0.1/portal",
        f"http://127.0.0.1:{site.http_port}/login"]
    # On the vendor's own site, but leading inside: a subdomain at 127.0.0.1, and a sign-in
    # page that redirects to the metadata service.
    inside = [f"https://portal.{DOMAIN}/patient-portal", f"https://metadata.{DOMAIN}/login",
              f"https://{DOMAIN}/sign-in"]
    site.set_page(f"https://{DOMAIN}/sign-in", redirect("http://169.254.169.254/", 302))
    links = "".join(f'<a href="{url}">Sign in</a>' for url in [*forbidden, *inside])
    home = Response(url=f"https://{DOMAIN}/", address=site.address(TlsKind.GOOD), status=200,
                    headers=GOOD_HEADERS, body=links.encode())

    async def crawl() -> dict[str, object]:
        return dict((await trackers_on_site(home, _fetcher(dns_lab, site, web_tls))
                     ).hits_by_page)

    assert asyncio.run(crawl()) == {}
    assert [(r.host, r.path) for r in site.requests] == [(DOMAIN, "/sign-in")]
    _assert_nothing_forbidden_was_touched(trap, connections, lab_is_public)


# --- 5. allow_private never opens the metadata service ------------------------------------------

METADATA = ["169.254.169.254", "169.254.170.2", "100.100.100.200", "168.63.129.16",
            "fd00:ec2::254", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe",
            "2002:a9fe:a9fe::1", "2001:0:a9fe:a9fe::", "2001:0:a00:1::5601:5601"]
EVERY_LIFT: list[AllowPrivate] = [True, frozenset(BlockReason), frozenset({R.CLOUD_METADATA}),
                                  LOOPBACK_ONLY]
LIFT_IDS = ["true", "every-reason", "metadata-named", "loopback-only"]


@pytest.mark.parametrize("allow_private", EVERY_LIFT, ids=LIFT_IDS)
def test_no_allow_private_setting_lifts_the_metadata_block(allow_private: AllowPrivate) -> None:
    assert lifts(allow_private, R.CLOUD_METADATA) is False


@pytest.mark.parametrize("allow_private", EVERY_LIFT, ids=LIFT_IDS)
def test_metadata_addresses_in_dns_stay_refused_whatever_allow_private_says(
    dns_lab: DnsLab, allow_private: AllowPrivate
) -> None:
    dns_lab.set_zones({f"m{i}.test": [("AAAA" if ":" in a else "A", a)]
                       for i, a in enumerate(METADATA)})
    resolver = make_resolver("127.0.0.1", port=dns_lab.port, timeout=TIMEOUT)

    async def judge() -> list[tuple[BlockReason | None, bool]]:
        checks = [await resolve_checked(f"m{i}.test", 80, resolver=resolver,
                                        allow_private=allow_private)
                  for i in range(len(METADATA))]
        return [(c.reason, c.allowed) for found in checks for c in found]

    assert asyncio.run(judge()) == [(R.CLOUD_METADATA, False)] * len(METADATA)


@pytest.mark.parametrize("location", [
    "http://169.254.169.254/latest/meta-data/iam/", "http://[fd00:ec2::254]/latest/",
    "http://[::ffff:a9fe:a9fe]/", "http://metadata.clinic.test/", "//169.254.169.254/"])
def test_allow_private_still_refuses_a_redirect_to_the_metadata_service(
    dns_lab: DnsLab, site: WebLab, web_tls: ContextFactory, trap: Trap, connections: Connections,
    location: str,
) -> None:
    site.set_page(f"https://{DOMAIN}/go", redirect(location, 302))

    (fetch,) = _fetch(_fetcher(dns_lab, site, web_tls, allow_private=True),
                      f"https://{DOMAIN}/go")

    assert fetch.final is None
    assert fetch.error.endswith("(cloud metadata address)")
    assert {c.reason for c in fetch.blocked} == {R.CLOUD_METADATA}
    _assert_nothing_forbidden_was_touched(trap, connections, _lab_addresses(site))


def test_the_cli_with_allow_private_reports_metadata_hosts_and_never_connects(
    dns_lab: DnsLab, web_lab: WebLab, smtp_trap: Trap, connections: Connections,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    dns_lab.set_zones({
        DOMAIN: [("MX", "10 meta.mx.test"), ("A", web_lab.address(TlsKind.GOOD))],
        "meta.mx.test": [("A", "169.254.169.254"), ("AAAA", "fd00:ec2::254")],
    })
    web_lab.set_page(f"https://{DOMAIN}/", redirect("http://169.254.169.254/latest/", 302))
    monkeypatch.setattr(cli, "SMTP_PORT", smtp_trap.endpoints[0][1])
    monkeypatch.setattr(cli, "HTTPS_PORT", web_lab.https_port)
    monkeypatch.setattr(cli, "HTTP_PORT", web_lab.http_port)

    assert cli.main(["scan", "--resolver", f"127.0.0.1:{dns_lab.port}", "--ca-file",
                     web_lab.ca_file, "--timeout", str(TIMEOUT), "--allow-private",
                     "--only", "smtp,web", "--json", DOMAIN]) == 0

    out = capsys.readouterr()
    assert out.err == ""
    (report,) = json.loads(out.out)
    blocked = {f["evidence"].rsplit(": ", 1)[-1] for f in report["findings"]
               if f["id"] == "scan.blocked_address"}
    assert blocked == {"meta.mx.test -> 169.254.169.254 (cloud metadata address)",
                       "meta.mx.test -> fd00:ec2::254 (cloud metadata address)",
                       "169.254.169.254 -> 169.254.169.254 (cloud metadata address)"}
    assert smtp_trap.seen() == []
    assert {address for address, _ in connections} <= _lab_addresses(web_lab)


def test_a_lookup_that_fails_is_never_a_reason_to_connect(
    dns_lab: DnsLab, site: WebLab, web_tls: ContextFactory, trap: Trap, connections: Connections,
) -> None:
    # A name that does not resolve must end the fetch, not fall back to anything else.
    site.set_page(f"https://{DOMAIN}/go", redirect("http://gone.clinic.test/", 302))
    (fetch,) = _fetch(_fetcher(dns_lab, site, web_tls, allow_private=LOOPBACK_ONLY),
                      f"https://{DOMAIN}/go")
    assert fetch.error == "gone.clinic.test does not exist in DNS"
    _assert_nothing_forbidden_was_touched(trap, connections, _lab_addresses(site))
