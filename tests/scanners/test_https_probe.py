"""The web probe: HTTPS on the domain and its www., against the lab's servers on loopback."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import pytest

from scanners import scan
from scanners.addresses import BlockReason
from scanners.findings import Finding
from scanners.https_probe import SiteFacts, TlsFacts, analyse_site, probe_tls, web_hosts
from scanners.tls import Certificate, CertProblem, ContextFactory, Handshake, OutdatedTls
from scanners.web_fetch import Fetch, Response
from tests.scanners.lab.dns_server import DnsLab, RecordValue
from tests.scanners.lab.web_server import Page, TlsKind, WebLab, redirect

DOMAIN = "clinic.test"
WWW = f"www.{DOMAIN}"
TIMEOUT = 2.0
LOOPBACK_ONLY = frozenset({BlockReason.LOOPBACK})
WEB_IDS = {"web.https.unreachable", "web.http.no_redirect", "web.tls.protocol_outdated",
           "web.cert.expired", "web.cert.expiring_soon", "web.cert.untrusted",
           "web.cert.hostname_mismatch"}


def _scan(
    dns_lab: DnsLab, web_lab: WebLab, zones: dict[str, list[tuple[str, RecordValue]]], *,
    timeout: float = TIMEOUT, domain: str = DOMAIN,
) -> scan.DomainReport:
    dns_lab.set_zones(zones)

    async def run() -> list[scan.DomainReport]:
        context = scan.make_context(
            resolver=dns_lab.address, timeout=timeout, ca_file=web_lab.ca_file,
            allow_private=LOOPBACK_ONLY, https_port=web_lab.https_port,
            http_port=web_lab.http_port)
        return await scan.scan_domains([domain], only=(scan.Probe.WEB,), context=context)

    (report,) = asyncio.run(run())
    return report


def _sites(web_lab: WebLab, apex: TlsKind | str | None, www: TlsKind | str | None = TlsKind.GOOD
           ) -> dict[str, list[tuple[str, RecordValue]]]:
    """Zones pointing the domain and www. at lab kinds (or a literal address, or nowhere)."""
    def a(target: TlsKind | str | None) -> list[tuple[str, RecordValue]]:
        if target is None:
            return []
        return [("A", web_lab.address(target) if isinstance(target, TlsKind) else target)]

    return {DOMAIN: a(apex) or [("TXT", "v=spf1 -all")], WWW: a(www)} if www else \
        {DOMAIN: a(apex) or [("TXT", "v=spf1 -all")]}


def _by_id(report: scan.DomainReport) -> dict[str, Finding]:
    return {f.id: f for f in report.findings}


def test_a_well_kept_site_gives_no_finding(dns_lab: DnsLab, web_lab: WebLab) -> None:
    report = _scan(dns_lab, web_lab, _sites(web_lab, TlsKind.GOOD))
    assert report.findings == ()
    assert report.errors == ()
    assert {(r.scheme, r.host) for r in web_lab.requests} == {
        ("https", DOMAIN), ("http", DOMAIN), ("https", WWW), ("http", WWW)}


@pytest.mark.parametrize(
    ("kind", "finding_id", "evidence"),
    [
        (TlsKind.EXPIRED, "web.cert.expired", "certificate has expired"),
        (TlsKind.WRONG_NAME, "web.cert.hostname_mismatch", "certificate for other.invalid"),
        (TlsKind.UNTRUSTED, "web.cert.untrusted", "unable to get local issuer certificate"),
        (TlsKind.EXPIRING, "web.cert.expiring_soon", f"certificate for {DOMAIN}, "),
        (TlsKind.OUTDATED_TLS, "web.tls.protocol_outdated", "offered only TLS 1.0/1.1, negotiated"),
    ],
)
def test_each_tls_weakness_is_reported_for_the_host_that_has_it(
    dns_lab: DnsLab, web_lab: WebLab, kind: TlsKind, finding_id: str, evidence: str
) -> None:
    report = _scan(dns_lab, web_lab, _sites(web_lab, kind, www=TlsKind.GOOD))
    assert [(f.id, f.target) for f in report.findings] == [(finding_id, DOMAIN)]
    (found,) = report.findings
    assert found.evidence.startswith(f"{web_lab.address(kind)}:{web_lab.https_port} ")
    assert evidence in found.evidence


def test_a_certificate_finding_names_the_certificate(dns_lab: DnsLab, web_lab: WebLab) -> None:
    report = _scan(dns_lab, web_lab, _sites(web_lab, TlsKind.GOOD, www=TlsKind.WRONG_NAME))
    mismatch = _by_id(report)["web.cert.hostname_mismatch"]
    assert mismatch.target == WWW
    assert "Hostname mismatch" in mismatch.evidence
    assert re.search(r"certificate for other\.invalid, issued by .+, valid "
                     r"\d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d \d\d:\d\d UTC", mismatch.evidence)


def test_expiry_is_told_in_days(dns_lab: DnsLab, web_lab: WebLab) -> None:
    report = _scan(dns_lab, web_lab, _sites(web_lab, TlsKind.EXPIRING, www=None))
    assert re.search(r"expires in (9|10) day\(s\), on \d{4}-\d\d-\d\d",
                     _by_id(report)["web.cert.expiring_soon"].detail)


def test_outdated_tls_evidence_names_the_protocol_and_cipher(
    dns_lab: DnsLab, web_lab: WebLab
) -> None:
    report = _scan(dns_lab, web_lab, _sites(web_lab, TlsKind.OUTDATED_TLS, www=None))
    evidence = _by_id(report)["web.tls.protocol_outdated"].evidence
    assert re.search(r"negotiated TLSv1(\.1)?, cipher [A-Z0-9-]+", evidence)


def test_a_modern_server_refuses_the_old_versions(
    web_lab: WebLab, web_tls: ContextFactory
) -> None:
    facts = asyncio.run(probe_tls(DOMAIN, web_lab.address(TlsKind.GOOD), port=web_lab.https_port,
                                  timeout=TIMEOUT, ssl_context_factory=web_tls))
    assert facts.verified
    assert facts.handshake is not None
    assert facts.handshake.protocol in ("TLSv1.2", "TLSv1.3")
    assert facts.outdated is OutdatedTls.REFUSED
    assert facts.certificate is not None
    assert DOMAIN in facts.certificate.names


def test_plain_http_that_stays_plain_is_reported(dns_lab: DnsLab, web_lab: WebLab) -> None:
    web_lab.set_page(f"http://{DOMAIN}/", redirect(f"http://{DOMAIN}/home"))
    web_lab.set_page(f"http://{DOMAIN}/home", Page("<p>welcome, unencrypted</p>"))
    report = _scan(dns_lab, web_lab, _sites(web_lab, TlsKind.GOOD))
    (plain,) = report.findings
    assert (plain.id, plain.target) == ("web.http.no_redirect", f"http://{DOMAIN}/")
    assert plain.evidence == f"http://{DOMAIN}/ 301 -> http://{DOMAIN}/home 200"


def test_a_redirect_to_https_elsewhere_is_enough(dns_lab: DnsLab, web_lab: WebLab) -> None:
    web_lab.set_page(f"http://{DOMAIN}/", redirect(f"https://{WWW}/"))
    assert _scan(dns_lab, web_lab, _sites(web_lab, TlsKind.GOOD)).findings == ()


@pytest.mark.parametrize(
    ("address", "words"),
    [("dead", "Connect call failed"), ("stall", "timed out")],
)
def test_a_host_that_does_not_answer_https_is_unreachable(
    dns_lab: DnsLab, web_lab: WebLab, address: str, words: str
) -> None:
    target = web_lab.dead_address if address == "dead" else web_lab.stall_address
    report = _scan(dns_lab, web_lab, _sites(web_lab, target, www=TlsKind.GOOD), timeout=0.5)
    (down,) = report.findings
    assert (down.id, down.target) == ("web.https.unreachable", DOMAIN)
    assert down.evidence.startswith(f"{target}:{web_lab.https_port} ")
    assert words in down.evidence
    assert report.errors == ()


def test_a_domain_without_www_is_fine(dns_lab: DnsLab, web_lab: WebLab) -> None:
    report = _scan(dns_lab, web_lab, _sites(web_lab, TlsKind.GOOD, www=None))
    assert report.findings == ()
    assert {r.host for r in web_lab.requests} == {DOMAIN}


def test_a_www_whose_lookup_times_out_is_reported_as_an_error(
    dns_lab: DnsLab, web_lab: WebLab
) -> None:
    dns_lab.set_zones(_sites(web_lab, TlsKind.GOOD), silent={WWW})

    async def run() -> list[scan.DomainReport]:
        context = scan.make_context(
            resolver=dns_lab.address, timeout=0.5, ca_file=web_lab.ca_file,
            allow_private=LOOPBACK_ONLY, https_port=web_lab.https_port,
            http_port=web_lab.http_port)
        return await scan.scan_domains([DOMAIN], only=(scan.Probe.WEB,), context=context)

    (report,) = asyncio.run(run())
    assert report.findings == ()  # the domain itself is well kept
    assert report.errors == (f"web not checked on {WWW}: DNS lookup failed (timed out)",)


def test_a_domain_with_no_web_host_at_all_is_unreachable(
    dns_lab: DnsLab, web_lab: WebLab
) -> None:
    report = _scan(dns_lab, web_lab, _sites(web_lab, None, www=None))
    (down,) = report.findings
    assert (down.id, down.target) == ("web.https.unreachable", DOMAIN)
    assert down.evidence == f"{DOMAIN}: no A or AAAA record; {WWW}: no such name"


def test_a_host_on_a_private_address_is_blocked_not_contacted(
    dns_lab: DnsLab, web_lab: WebLab
) -> None:
    report = _scan(dns_lab, web_lab, _sites(web_lab, TlsKind.GOOD, www="10.0.0.7"))
    (blocked,) = report.findings
    assert (blocked.id, blocked.target) == ("scan.blocked_address", WWW)
    assert blocked.evidence == f"{WWW} -> 10.0.0.7 (private address)"
    assert WWW not in {r.host for r in web_lab.requests}


def test_a_redirect_to_the_metadata_address_is_blocked(
    dns_lab: DnsLab, web_lab: WebLab
) -> None:
    web_lab.set_page(f"https://{DOMAIN}/", redirect("http://169.254.169.254/latest/"))
    report = _scan(dns_lab, web_lab, _sites(web_lab, TlsKind.GOOD, www=None))
    (blocked,) = report.findings
    assert (blocked.id, blocked.target) == ("scan.blocked_address", DOMAIN)
    assert blocked.evidence.startswith(f"https://{DOMAIN}/ 301 -> http://169.254.169.254/latest/")
    assert blocked.evidence.endswith("169.254.169.254 -> 169.254.169.254 (cloud metadata address)")


def test_a_www_domain_is_scanned_alone() -> None:
    assert web_hosts(DOMAIN) == (DOMAIN, WWW)
    assert web_hosts(WWW) == (WWW,)


# --- the analysis on its own ------------------------------------------------------------------

NOW = dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC)


def _site_with_certificate(not_after: dt.datetime) -> SiteFacts:
    cert = Certificate(subject=DOMAIN, issuer="Lab CA", names=(DOMAIN,),
                       not_before=NOW - dt.timedelta(days=60), not_after=not_after)
    tls = TlsFacts(host=DOMAIN, address="192.0.2.10", port=443, verified=True, certificate=cert,
                   handshake=Handshake("TLSv1.3", "TLS_AES_256_GCM_SHA384", 256))
    return SiteFacts(DOMAIN, tls=tls)


@pytest.mark.parametrize(("days", "warned"), [(29, True), (30, False), (365, False)])
def test_expiring_soon_means_under_30_days(days: int, warned: bool) -> None:
    site = _site_with_certificate(NOW + dt.timedelta(days=days))
    ids = [f.id for f in analyse_site(site, now=NOW)]
    assert ids == (["web.cert.expiring_soon"] if warned else [])


def test_tls_without_a_web_page_is_unreachable() -> None:
    site = _site_with_certificate(NOW + dt.timedelta(days=90))
    site = SiteFacts(DOMAIN, tls=site.tls,
                     https=Fetch(f"https://{DOMAIN}/", error="Server disconnected"))
    (down,) = analyse_site(site, now=NOW)
    assert down.id == "web.https.unreachable"
    assert "no web page comes back" in down.detail
    assert down.evidence == f"https://{DOMAIN}/ (Server disconnected)"


def test_nothing_on_plain_http_is_no_missing_redirect() -> None:
    site = _site_with_certificate(NOW + dt.timedelta(days=90))
    site = SiteFacts(DOMAIN, tls=site.tls, http=Fetch(f"http://{DOMAIN}/", error="refused"),
                     https=Fetch(f"https://{DOMAIN}/", (Response(f"https://{DOMAIN}/",
                                                                 "192.0.2.10", 200, ()),)))
    assert analyse_site(site, now=NOW) == []


def test_a_server_that_speaks_only_tls_1_0_or_1_1_is_unreachable_and_outdated(
    dns_lab: DnsLab, web_lab: WebLab
) -> None:
    report = _scan(dns_lab, web_lab, _sites(web_lab, TlsKind.TLS1_ONLY, www=None))
    found = _by_id(report)
    assert set(found) == {"web.https.unreachable", "web.tls.protocol_outdated"}
    assert re.search(r"negotiated TLSv1(\.1)?, ", found["web.tls.protocol_outdated"].evidence)


def test_a_misnamed_certificate_that_also_expired_is_reported_as_both() -> None:
    site = _site_with_certificate(NOW - dt.timedelta(days=3))
    tls = TlsFacts(host=DOMAIN, address="192.0.2.10", port=443,
                   certificate=site.tls.certificate if site.tls else None,
                   handshake=Handshake("TLSv1.3", "TLS_AES_256_GCM_SHA384", 256),
                   cert_problem=CertProblem.HOSTNAME_MISMATCH,
                   cert_error="Hostname mismatch, certificate is not valid for 'clinic.test'.")
    ids = sorted(f.id for f in analyse_site(SiteFacts(DOMAIN, tls=tls), now=NOW))
    assert ids == ["web.cert.expired", "web.cert.hostname_mismatch"]
