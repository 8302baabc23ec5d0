"""The headers and tracking probes against the web lab: real pages, redirects and a crawl."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from scanners import scan
from scanners.addresses import BlockReason
from scanners.catalog import CATALOG
from scanners.findings import Finding, Severity
from scanners.page_crawl import trackers_on_site
from scanners.web_fetch import MAX_BODY_BYTES, Response
from tests.scanners.lab.dns_server import DnsLab
from tests.scanners.lab.web_server import (
    GOOD_HEADERS,
    LAB_NAMES,
    Page,
    TlsKind,
    WebLab,
    redirect,
)
from tests.scanners.tracker_samples import CASES

DOMAIN = "clinic.test"
WWW = f"www.{DOMAIN}"
HOME = f"https://{DOMAIN}/"
TIMEOUT = 2.0

HSTS = "Strict-Transport-Security"
CSP = "Content-Security-Policy"

PIXEL_ID = "4815162342"
META_PIXEL = f"""<script>
!function(f,b,e,v,n,t,s){{n=f.fbq=function(){{}};t=b.createElement(e);t.src=v}}
(window, document, 'script', 'https://connect.facebook.net/en_US/fbevents.js');
fbq('init', '{PIXEL_ID}');
fbq('track', 'PageView');
</script>
<noscript><img height="1" width="1"
src="https://www.facebook.com/tr?id={PIXEL_ID}&amp;ev=PageView&amp;noscript=1"></noscript>"""
ANALYTICS = '<script async src="https://www.googletagmanager.com/gtag/js?id=G-LAB4242"></script>'


@pytest.fixture
def lab(dns_lab: DnsLab, web_lab: WebLab) -> WebLab:
    """Every lab name (clinic.test, vendor.test and their subdomains) at the good server."""
    dns_lab.set_zones({name: [("A", web_lab.address(TlsKind.GOOD))] for name in LAB_NAMES})
    return web_lab


def _context(dns_lab: DnsLab, web_lab: WebLab, *, allow_private: bool = True) -> scan.ScanContext:
    return scan.make_context(
        resolver=dns_lab.address, timeout=TIMEOUT, ca_file=web_lab.ca_file,
        allow_private=allow_private, https_port=web_lab.https_port,
        http_port=web_lab.http_port)


def _scan(dns_lab: DnsLab, web_lab: WebLab, *probes: scan.Probe) -> scan.DomainReport:
    async def run() -> scan.DomainReport:
        context = _context(dns_lab, web_lab)
        (report,) = await scan.scan_domains([DOMAIN], only=probes, context=context)
        return report

    return asyncio.run(run())


def _html(*parts: str, headers: Sequence[tuple[str, str]] = GOOD_HEADERS,
          status: int = 200) -> Page:
    return Page("<!doctype html><title>Clinic</title>" + "".join(parts),
                status=status, headers=headers)


def _links(*hrefs: str) -> str:
    return "".join(f'<a href="{href}">{href.strip("/")}</a>' for href in hrefs)


def _headers(*, drop: Sequence[str] = (),
             add: Sequence[tuple[str, str]] = ()) -> tuple[tuple[str, str], ...]:
    """The lab's good headers without ``drop`` and with ``add``."""
    return (*((name, value) for name, value in GOOD_HEADERS if name not in drop), *add)


def _crawled(web_lab: WebLab, host: str = DOMAIN) -> list[str]:
    """The HTTPS paths of ``host`` requested besides its home page: the crawled links."""
    return [r.path for r in web_lab.requests
            if r.scheme == "https" and r.host == host and r.path != "/"]


def _by_id(report: scan.DomainReport) -> dict[str, Finding]:
    found = {f.id: f for f in report.findings}
    assert len(found) == len(report.findings), report.findings  # one finding per id
    return found


# --- headers -----------------------------------------------------------------------------------


def test_a_page_with_every_good_header_gives_no_finding(
    dns_lab: DnsLab, lab: WebLab
) -> None:
    report = _scan(dns_lab, lab, scan.Probe.HEADERS)

    assert report.findings == ()
    assert report.errors == ()
    assert {(r.host, r.path) for r in lab.requests if r.scheme == "https"} >= {
        (DOMAIN, "/"), (WWW, "/")}


@pytest.mark.parametrize(
    ("finding_id", "headers"),
    [
        ("web.hsts.missing", _headers(drop=[HSTS])),
        ("web.hsts.short_max_age", _headers(drop=[HSTS], add=[(HSTS, "max-age=86400")])),
        # X-Frame-Options stands in for the frame-ancestors the dropped CSP carried.
        ("web.csp.missing", _headers(drop=[CSP], add=[("X-Frame-Options", "DENY")])),
        ("web.headers.xcto_missing", _headers(drop=["X-Content-Type-Options"])),
        ("web.headers.xfo_missing", _headers(drop=[CSP], add=[(CSP, "default-src 'self'")])),
        ("web.headers.referrer_policy_missing", _headers(drop=["Referrer-Policy"])),
        ("web.cookies.insecure", _headers(add=[("Set-Cookie", "session=abc123; Path=/")])),
        ("web.server.version_disclosed", _headers(add=[("Server", "nginx/1.18.0")])),
    ],
)
def test_a_missing_or_weak_header_is_reported_against_the_page(
    dns_lab: DnsLab, lab: WebLab, finding_id: str, headers: tuple[tuple[str, str], ...]
) -> None:
    lab.set_page(HOME, _html("<h1>Clinic</h1>", headers=headers))

    report = _scan(dns_lab, lab, scan.Probe.HEADERS)

    assert [(f.id, f.target) for f in report.findings] == [(finding_id, HOME)]
    assert report.errors == ()


def test_headers_are_read_from_the_page_the_redirect_ends_on(
    dns_lab: DnsLab, lab: WebLab
) -> None:
    # The redirect itself sends no security header at all; only www's page is judged.
    lab.set_page(HOME, redirect(f"https://{WWW}/"))

    report = _scan(dns_lab, lab, scan.Probe.HEADERS)

    assert report.findings == ()
    assert report.errors == ()


def test_apex_and_www_ending_on_one_page_report_it_once(
    dns_lab: DnsLab, lab: WebLab
) -> None:
    lab.set_page(HOME, redirect(f"https://{WWW}/"))
    lab.set_page(f"https://{WWW}/", _html(headers=_headers(drop=[HSTS])))

    report = _scan(dns_lab, lab, scan.Probe.HEADERS)

    assert [(f.id, f.target) for f in report.findings] == [
        ("web.hsts.missing", f"https://{WWW}/")]


def test_a_redirect_without_a_path_ends_on_the_same_page(
    dns_lab: DnsLab, lab: WebLab
) -> None:
    lab.set_page(f"https://{WWW}/", redirect(f"https://{DOMAIN}"))
    lab.set_page(HOME, _html(headers=_headers(drop=[HSTS])))

    report = _scan(dns_lab, lab, scan.Probe.HEADERS)

    assert [f.id for f in report.findings] == ["web.hsts.missing"]


def test_a_dead_site_runs_neither_probe(dns_lab: DnsLab, web_lab: WebLab) -> None:
    dns_lab.set_zones({name: [("A", web_lab.dead_address)] for name in (DOMAIN, WWW)})

    report = _scan(dns_lab, web_lab, scan.Probe.HEADERS, scan.Probe.TRACKING)

    assert report.findings == ()
    headers_error, tracking_error = report.errors
    assert headers_error.startswith("headers not run: ")
    assert tracking_error.startswith("tracking not run: ")
    assert f"{DOMAIN} or {WWW}" in headers_error


# --- tracking ----------------------------------------------------------------------------------


def test_a_pixel_behind_a_login_link_is_high_and_names_the_login_page(
    dns_lab: DnsLab, lab: WebLab
) -> None:
    lab.set_page(HOME, _html(ANALYTICS, '<a href="/login">Patient login</a>'))
    lab.set_page(f"https://{DOMAIN}/login", _html(META_PIXEL))

    report = _scan(dns_lab, lab, scan.Probe.TRACKING)

    found = _by_id(report)
    assert set(found) == {"tracking.meta_pixel", "tracking.google_analytics"}
    pixel = found["tracking.meta_pixel"]
    assert pixel.severity is Severity.HIGH
    assert pixel.target == f"https://{DOMAIN}/login"
    assert PIXEL_ID in pixel.evidence
    assert PIXEL_ID in pixel.detail
    analytics = found["tracking.google_analytics"]
    assert analytics.target == HOME
    assert analytics.severity is CATALOG["tracking.google_analytics"].severity
    assert report.findings[0] == pixel  # highest severity first
    assert report.errors == ()


def test_every_known_technology_is_reported_from_a_crawled_page(
    dns_lab: DnsLab, lab: WebLab
) -> None:
    lab.set_page(HOME, _html('<a href="/appointments">Book a visit</a>'))
    lab.set_page(f"https://{DOMAIN}/appointments", _html(*(case[2] for case in CASES)))

    report = _scan(dns_lab, lab, scan.Probe.TRACKING)

    assert {f.id for f in report.findings} == {case[0] for case in CASES}
    evidence = " ".join(f.evidence + f.detail for f in report.findings)
    assert all(account in evidence for *_, account in CASES if account)
    assert {f.severity for f in report.findings} == {Severity.HIGH}  # a booking page


def test_a_pixel_on_a_marketing_page_keeps_its_default_severity(
    dns_lab: DnsLab, lab: WebLab
) -> None:
    lab.set_page(HOME, _html(_links("/about")))
    lab.set_page(f"https://{DOMAIN}/about", _html(META_PIXEL))

    report = _scan(dns_lab, lab, scan.Probe.TRACKING)

    (pixel,) = report.findings
    assert (pixel.id, pixel.target) == ("tracking.meta_pixel", f"https://{DOMAIN}/about")
    assert pixel.severity is CATALOG["tracking.meta_pixel"].severity
    assert pixel.severity is not Severity.HIGH


def test_a_site_without_trackers_gives_no_finding(dns_lab: DnsLab, lab: WebLab) -> None:
    lab.set_page(HOME, _html(_links("/about", "/login")))
    lab.set_page(f"https://{DOMAIN}/about", _html("<p>About us</p>"))
    lab.set_page(f"https://{DOMAIN}/login", _html("<form><input name=user></form>"))

    report = _scan(dns_lab, lab, scan.Probe.TRACKING)

    assert report.findings == ()
    assert report.errors == ()
    assert sorted(_crawled(lab)) == ["/about", "/login"]  # looked, and found nothing


def test_the_crawl_starts_from_the_page_the_redirect_ends_on(
    dns_lab: DnsLab, lab: WebLab
) -> None:
    lab.set_page(HOME, redirect(f"https://{WWW}/"))
    lab.set_page(f"https://{WWW}/", _html(_links("/book-appointment")))
    lab.set_page(f"https://{WWW}/book-appointment", _html(META_PIXEL))

    report = _scan(dns_lab, lab, scan.Probe.TRACKING)

    (pixel,) = report.findings
    assert (pixel.id, pixel.target) == ("tracking.meta_pixel", f"https://{WWW}/book-appointment")
    assert pixel.severity is Severity.HIGH


def test_at_most_ten_linked_pages_are_fetched(dns_lab: DnsLab, lab: WebLab) -> None:
    linked = [f"/news/{n}" for n in range(30)]
    lab.set_page(HOME, _html(_links(*linked)))

    report = _scan(dns_lab, lab, scan.Probe.TRACKING)

    crawled = _crawled(lab)
    assert len(crawled) == 10
    assert set(crawled) <= set(linked)
    assert report.errors == ()


def test_phi_looking_links_are_fetched_before_others(dns_lab: DnsLab, lab: WebLab) -> None:
    news = [f"/news/{n}" for n in range(15)]
    phi = ["/patient-portal", "/appointments", "/login"]
    lab.set_page(HOME, _html(_links(*news, *phi)))  # the PHI-looking links come last
    lab.set_page(f"https://{DOMAIN}/login", _html(META_PIXEL))

    report = _scan(dns_lab, lab, scan.Probe.TRACKING)

    crawled = _crawled(lab)
    assert len(crawled) == 10
    assert set(phi) <= set(crawled)
    (pixel,) = report.findings
    assert (pixel.id, pixel.target, pixel.severity) == (
        "tracking.meta_pixel", f"https://{DOMAIN}/login", Severity.HIGH)


def test_links_to_other_sites_are_never_fetched(dns_lab: DnsLab, lab: WebLab) -> None:
    elsewhere = {"vendor.test": "/login", "www.vendor.test": "/portal",
                 "evilclinic.test": "/patient"}  # the last only ends like clinic.test
    dns_lab.set_zones({name: [("A", lab.address(TlsKind.GOOD))]
                       for name in (*LAB_NAMES, "evilclinic.test")})
    for host, path in elsewhere.items():
        lab.set_page(f"https://{host}{path}", _html(META_PIXEL))
    lab.set_page(f"https://portal.{DOMAIN}/login", _html(META_PIXEL))
    lab.set_page(HOME, _html(_links(*(f"https://{host}{path}" for host, path in elsewhere.items()),
                                    f"https://portal.{DOMAIN}/login")))

    report = _scan(dns_lab, lab, scan.Probe.TRACKING)

    assert not {r.host for r in lab.requests} & set(elsewhere)
    assert not {name for name, _ in dns_lab.queries} & set(elsewhere)
    (pixel,) = report.findings  # the same site's own portal subdomain is crawled
    assert (pixel.id, pixel.target) == ("tracking.meta_pixel", f"https://portal.{DOMAIN}/login")


def test_a_link_back_to_the_home_page_does_not_count_it_twice(
    dns_lab: DnsLab, lab: WebLab
) -> None:
    lab.set_page(HOME, _html(ANALYTICS, f'<a href="https://{DOMAIN.upper()}">Home</a>',
                             '<a href="/#contact">Contact</a>'))

    (analytics,) = _scan(dns_lab, lab, scan.Probe.TRACKING).findings

    assert analytics.detail.startswith(f"Google Analytics is on 1 page(s): {HOME};")
    assert _crawled(lab) == []  # nothing but the home page itself was linked


def test_a_link_that_leaves_the_site_by_redirect_is_not_the_vendors_page(
    dns_lab: DnsLab, lab: WebLab
) -> None:
    lab.set_page(HOME, _html('<a href="/login">Patient login</a>'))
    lab.set_page(f"https://{DOMAIN}/login", redirect("https://vendor.test/sso", 302))
    lab.set_page("https://vendor.test/sso", _html(META_PIXEL))

    report = _scan(dns_lab, lab, scan.Probe.TRACKING)

    assert report.findings == ()
    assert report.errors == ()


def test_a_page_reached_through_a_login_link_counts_as_one_that_collects_phi(
    dns_lab: DnsLab, lab: WebLab
) -> None:
    # Neither /p/7 nor where it redirects says "login"; the link's words do.
    lab.set_page(HOME, _html('<a href="/p/7">Patient login</a>'))
    lab.set_page(f"https://{DOMAIN}/p/7", redirect("/s/7"))
    lab.set_page(f"https://{DOMAIN}/s/7", _html(META_PIXEL))

    (pixel,) = _scan(dns_lab, lab, scan.Probe.TRACKING).findings

    assert (pixel.target, pixel.severity) == (f"https://{DOMAIN}/s/7", Severity.HIGH)
    assert f"collect PHI (sign-in, portal, appointment or form): https://{DOMAIN}/s/7" in \
        pixel.detail


def test_a_link_to_a_blocked_address_is_not_connected_to(
    dns_lab: DnsLab, lab: WebLab
) -> None:
    # Without allow_private the lab's loopback servers are blocked like any private host,
    # so the home page is given by hand and only the crawl of its links goes to the network.
    dns_lab.set_zones({
        f"portal.{DOMAIN}": [("A", lab.address(TlsKind.GOOD))],
        WWW: [("A", "169.254.169.254")],
        f"mta-sts.{DOMAIN}": [("A", "10.0.0.1")],
    })
    lab.set_page(f"https://portal.{DOMAIN}/login", _html(META_PIXEL))
    links = [f"https://portal.{DOMAIN}/login", f"https://{WWW}/appointments",
             f"https://mta-sts.{DOMAIN}/patient"]
    home = Response(url=HOME, address="192.0.2.10", status=200, headers=GOOD_HEADERS,
                    body=_html(_links(*links)).encoded())

    async def run() -> tuple[dict[str, object], list[BlockReason | None]]:
        fetcher = _context(dns_lab, lab, allow_private=False).fetcher
        seen = await trackers_on_site(home, fetcher)
        fetches = [await fetcher.fetch(link) for link in links]  # the verdicts, remembered
        assert all(fetch.final is None and fetch.responses == () for fetch in fetches)
        return dict(seen.hits_by_page), [fetch.blocked[0].reason for fetch in fetches
                                         if fetch.blocked]

    hits, reasons = asyncio.run(run())

    assert hits == {}
    assert lab.requests == []
    assert reasons == [BlockReason.LOOPBACK, BlockReason.CLOUD_METADATA, BlockReason.PRIVATE]


def test_a_missing_or_non_html_linked_page_is_skipped(dns_lab: DnsLab, lab: WebLab) -> None:
    lab.set_page(HOME, _html(_links("/login", "/patient-export", "/appointments")))
    lab.set_page(f"https://{DOMAIN}/login", _html(META_PIXEL, status=404))
    text_headers = _headers(drop=["Content-Type"], add=[("Content-Type", "text/plain")])
    lab.set_page(f"https://{DOMAIN}/patient-export", _html(META_PIXEL, headers=text_headers))
    lab.set_page(f"https://{DOMAIN}/appointments", _html(ANALYTICS))

    report = _scan(dns_lab, lab, scan.Probe.TRACKING)

    assert sorted(_crawled(lab)) == ["/appointments", "/login", "/patient-export"]
    assert [(f.id, f.target) for f in report.findings] == [
        ("tracking.google_analytics", f"https://{DOMAIN}/appointments")]
    assert report.errors == ()


def test_a_huge_home_page_is_cut_not_an_error(dns_lab: DnsLab, lab: WebLab) -> None:
    padding = "<p>" + "x" * MAX_BODY_BYTES + "</p>"
    lab.set_page(HOME, _html(ANALYTICS, padding, META_PIXEL, _links("/login")))

    report = _scan(dns_lab, lab, scan.Probe.TRACKING)

    assert report.errors == ()
    assert [(f.id, f.target) for f in report.findings] == [
        ("tracking.google_analytics", HOME)]
    assert _crawled(lab) == []  # the link lay beyond the cut
