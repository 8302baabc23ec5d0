"""Stored example scans for the demo vendors, so the demo shows findings without any network.

Each example is what the scanners could have reported for the vendor's ``.example`` domains,
built through the scanner catalog (so titles, severities and remediations are the real ones).
Two scans of one vendor show what changed between them; one finding comes with its risk
accepted, to show what that looks like.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanners.catalog import finding
from scanners.findings import Finding, Severity
from scanners.scan import DomainReport


@dataclass(frozen=True)
class ExampleScan:
    vendor_name: str
    days_ago: int
    reports: tuple[DomainReport, ...]


@dataclass(frozen=True)
class ExampleAcceptance:
    vendor_name: str
    finding_id: str
    target: str
    reason: str


def _report(domain: str, *findings: Finding, errors: tuple[str, ...] = ()) -> DomainReport:
    ordered = sorted(findings, key=lambda f: (-f.severity.rank, f.id, f.target))
    return DomainReport(domain=domain, findings=tuple(ordered), errors=errors, duration=4.2)


# --- Northwind Secure Mail: TLS 1.0 on the mail server fixed, a certificate now expiring ---

_NORTHWIND = "northwind-mail.example"
_NORTHWIND_MX = "mx.northwind-mail.example"
_NORTHWIND_STEADY = (
    finding("email.dmarc.policy_none", target=_NORTHWIND,
            evidence='_dmarc.northwind-mail.example: "v=DMARC1; p=none; '
                     'rua=mailto:dmarc@northwind-mail.example"',
            detail="The DMARC policy of northwind-mail.example is p=none."),
    finding("email.mta_sts.missing", target=_NORTHWIND,
            evidence="no TXT record at _mta-sts.northwind-mail.example",
            detail="northwind-mail.example does not announce an MTA-STS policy at "
                   "_mta-sts.northwind-mail.example."),
    finding("email.tlsrpt.missing", target=_NORTHWIND,
            evidence="no TXT record at _smtp._tls.northwind-mail.example",
            detail="northwind-mail.example does not announce TLS reporting at "
                   "_smtp._tls.northwind-mail.example."),
)
_NORTHWIND_OLD_TLS = finding(
    "smtp.tls.protocol_outdated", target=_NORTHWIND_MX,
    evidence="mx.northwind-mail.example [192.0.2.25]:25 accepted TLSv1 "
             "(ECDHE-RSA-AES256-SHA)",
    detail="The mail server mx.northwind-mail.example still completes a TLS 1.0 handshake.")
_NORTHWIND_EXPIRING = finding(
    "web.cert.expiring_soon", target="www.northwind-mail.example",
    evidence="www.northwind-mail.example [192.0.2.80]:443 CN=www.northwind-mail.example, "
             "issued by R11, valid until 2026-12-19",
    detail="The certificate of www.northwind-mail.example expires in 21 day(s), on 2026-12-19.")

# --- Pinecrest Web Hosting: the HTTP redirect added; CAA accepted as a risk -----------------

_PINECREST = "pinecrest-hosting.example"
_PINECREST_URL = "https://pinecrest-hosting.example/"
_PINECREST_STEADY = (
    finding("web.hsts.missing", target=_PINECREST_URL,
            evidence=f"no Strict-Transport-Security header in the response from {_PINECREST_URL}",
            detail=f"The page at {_PINECREST_URL} sends no Strict-Transport-Security header."),
    finding("web.server.version_disclosed", target=_PINECREST_URL,
            evidence='Server: "Apache/2.4.41 (Ubuntu)"',
            detail="The Server header names software with its version."),
    finding("dns.caa.missing", target=_PINECREST,
            evidence="no CAA record at pinecrest-hosting.example, example",
            detail="Neither pinecrest-hosting.example nor its parent domains publish CAA "
                   "records."),
)
_PINECREST_NO_REDIRECT = finding(
    "web.http.no_redirect", target="http://pinecrest-hosting.example/",
    evidence="http://pinecrest-hosting.example/ -> 200 OK over plain HTTP",
    detail="http://pinecrest-hosting.example/ answers with a page instead of redirecting to "
           "HTTPS.")

# --- Beacon Digital Marketing: tracking on the booking page -------------------------------

_BEACON = "beacon-digital.example"
_BEACON_FINDINGS = (
    finding("tracking.meta_pixel", target=f"https://{_BEACON}/",
            evidence="https://beacon-digital.example/book-appointment: "
                     "connect.facebook.net/en_US/fbevents.js, fbq('init', '000000000000001')",
            detail="The Meta Pixel (account 000000000000001) is on 2 pages, including "
                   "https://beacon-digital.example/book-appointment, which looks like it "
                   "collects PHI.",
            severity=Severity.HIGH),
    finding("tracking.google_analytics", target=f"https://{_BEACON}/",
            evidence="https://beacon-digital.example/: googletagmanager.com/gtag/js?id=G-EXAMPLE01",
            detail="Google Analytics (G-EXAMPLE01) is on the home page."),
    finding("web.csp.missing", target=f"https://{_BEACON}/",
            evidence="no Content-Security-Policy header in the response from "
                     "https://beacon-digital.example/",
            detail="The page at https://beacon-digital.example/ sends no Content-Security-Policy "
                   "header."),
    finding("web.headers.referrer_policy_missing", target=f"https://{_BEACON}/",
            evidence="no Referrer-Policy header in the response from "
                     "https://beacon-digital.example/",
            detail="The page at https://beacon-digital.example/ sends no Referrer-Policy header."),
)

# --- Bluebird Transactional Email: permissive SPF, and a lookup that failed ----------------

_BLUEBIRD = "bluebird-send.example"
_BLUEBIRD_FINDINGS = (
    finding("email.spf.permissive_all", target=_BLUEBIRD,
            evidence='"v=spf1 include:_spf.bluebird-send.example +all"',
            detail="The SPF record of bluebird-send.example ends in +all."),
    finding("email.dmarc.missing", target=_BLUEBIRD,
            evidence="no TXT record at _dmarc.bluebird-send.example",
            detail="bluebird-send.example publishes no DMARC record."),
)

EXAMPLE_SCANS: tuple[ExampleScan, ...] = (
    ExampleScan("Northwind Secure Mail", 30, (
        _report(_NORTHWIND, *_NORTHWIND_STEADY),
        _report(_NORTHWIND_MX, _NORTHWIND_OLD_TLS),
    )),
    ExampleScan("Northwind Secure Mail", 2, (
        _report(_NORTHWIND, *_NORTHWIND_STEADY, _NORTHWIND_EXPIRING),
        _report(_NORTHWIND_MX),
    )),
    ExampleScan("Pinecrest Web Hosting", 45, (
        _report(_PINECREST, *_PINECREST_STEADY, _PINECREST_NO_REDIRECT),
    )),
    ExampleScan("Pinecrest Web Hosting", 5, (_report(_PINECREST, *_PINECREST_STEADY),)),
    ExampleScan("Beacon Digital Marketing", 3, (_report(_BEACON, *_BEACON_FINDINGS),)),
    ExampleScan("Bluebird Transactional Email", 1, (
        _report(_BLUEBIRD, *_BLUEBIRD_FINDINGS, errors=(
            "MTA-STS policy not checked: mta-sts.bluebird-send.example: timed out",)),
    )),
)

EXAMPLE_ACCEPTANCES: tuple[ExampleAcceptance, ...] = (
    ExampleAcceptance(
        "Pinecrest Web Hosting", "dns.caa.missing", _PINECREST,
        "Public marketing site only, no PHI. The shared host manages certificates for us; "
        "reviewed with the Marketing Director."),
)
