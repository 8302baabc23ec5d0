"""MTA-STS: the policy file read on its own, and fetched from the web lab by the DNS probe."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

import pytest

from scanners import scan
from scanners.addresses import BlockReason
from scanners.catalog import CATALOG
from scanners.dns_probe import make_resolver
from scanners.findings import Finding
from scanners.mta_sts import MtaStsPolicy, fetch_policy, parse_policy, policy_url
from scanners.tls import ContextFactory
from scanners.web_fetch import Fetcher
from tests.scanners.lab.dns_server import DnsLab, RecordValue
from tests.scanners.lab.web_server import Page, Request, TlsKind, WebLab, redirect

DOMAIN = "clinic.test"
POLICY_HOST = "mta-sts.clinic.test"
POLICY_PATH = "/.well-known/mta-sts.txt"
POLICY_URL = f"https://{POLICY_HOST}{POLICY_PATH}"
TIMEOUT = 2.0
QUICK_TIMEOUT = 0.5  # for servers that never answer: the scan must give up, not wait
YEAR = 31_557_600  # RFC 8461 3.2: the largest max_age
POLICY_SIZE_LIMIT = 64 * 1024  # RFC 8461 3.3: senders may stop reading there

UNREACHABLE = "email.mta_sts.policy_unreachable"
TESTING = "email.mta_sts.testing"
MISSING = "email.mta_sts.missing"

ENFORCE = ("version: STSv1\nmode: enforce\nmx: mx1.clinic.test\nmx: *.mail.clinic.test\n"
           "max_age: 604800\n")
ENFORCE_READ = MtaStsPolicy(mode="enforce", mx=("mx1.clinic.test", "*.mail.clinic.test"),
                            max_age=604800)
TESTING_POLICY = ENFORCE.replace("mode: enforce", "mode: testing")
NONE_POLICY = "version: STSv1\nmode: none\nmax_age: 86400\n"

Records = list[tuple[str, RecordValue]]


# --- the policy file on its own ----------------------------------------------------------------


def test_an_enforce_policy_is_read_whole() -> None:
    assert parse_policy(ENFORCE) == ENFORCE_READ


def test_crlf_line_endings_read_like_lf() -> None:
    assert parse_policy(ENFORCE.replace("\n", "\r\n")) == ENFORCE_READ


def test_unknown_keys_are_ignored() -> None:
    text = ENFORCE + "x-contact: postmaster@clinic.test\nextension: 1\n"
    assert parse_policy(text) == ENFORCE_READ


def test_mode_none_needs_no_mx() -> None:
    policy = parse_policy(NONE_POLICY)
    assert (policy.mode, policy.mx, policy.problem) == ("none", (), "")


def test_max_age_may_be_a_year() -> None:
    policy = parse_policy(ENFORCE.replace("604800", str(YEAR)))
    assert (policy.max_age, policy.problem) == (YEAR, "")


_FIELDS = ("version", "mode", "max_age", "mx")


@pytest.mark.parametrize(
    ("text", "field", "shown"),
    [
        pytest.param(ENFORCE.replace("STSv1", "STSv2"), "version", "STSv2", id="wrong version"),
        pytest.param(ENFORCE.replace("version: STSv1\n", ""), "version", "missing",
                     id="no version"),
        pytest.param(ENFORCE.replace("enforce", "block"), "mode", "block", id="unknown mode"),
        pytest.param(ENFORCE.replace("mode: enforce\n", ""), "mode", "missing", id="no mode"),
        pytest.param(ENFORCE.replace("max_age: 604800\n", ""), "max_age", "missing",
                     id="no max_age"),
        pytest.param(ENFORCE.replace("604800", str(YEAR + 1)), "max_age", str(YEAR + 1),
                     id="max_age over a year"),
        pytest.param(ENFORCE.replace("604800", "1w"), "max_age", "1w", id="max_age not a number"),
        pytest.param("version: STSv1\nmode: enforce\nmax_age: 86400\n", "mx", "no mx",
                     id="enforce without mx"),
        pytest.param("version: STSv1\nmode: testing\nmax_age: 86400\n", "mx", "no mx",
                     id="testing without mx"),
    ],
)
def test_an_invalid_policy_names_what_is_wrong(text: str, field: str, shown: str) -> None:
    problem = parse_policy(text).problem
    named = {name for name in _FIELDS if re.search(rf"\b{name}\b", problem)}
    assert named == {field}
    assert shown in problem


@pytest.mark.parametrize("max_age", ["\N{SUPERSCRIPT TWO}", "9" * 5000],
                         ids=["superscript digit", "5000 digits"])
def test_a_max_age_that_is_no_number_is_a_problem_not_a_crash(max_age: str) -> None:
    assert "max_age" in parse_policy(ENFORCE.replace("604800", max_age)).problem


# --- fetched from the lab ----------------------------------------------------------------------


def _zones(policy_host: Records | None, *, announcement: str | None = "v=STSv1; id=20240101",
           **more: Records) -> dict[str, Records]:
    """clinic.test with its MTA-STS announcement and the policy host's records, if any."""
    zones: dict[str, Records] = {
        DOMAIN: [("MX", "10 mx.clinic.test")],
        "mx.clinic.test": [("A", "192.0.2.25")],
        **more,
    }
    if announcement is not None:
        zones[f"_mta-sts.{DOMAIN}"] = [("TXT", announcement)]
    if policy_host is not None:
        zones[POLICY_HOST] = policy_host
    return zones


def _at(address: str) -> Records:
    return [("A", address)]


def _serve(lab: WebLab, text: str, url: str = POLICY_URL) -> None:
    lab.set_page(url, Page(text, headers=(("Content-Type", "text/plain"),)))


def _scan(
    dns_lab: DnsLab,
    web_lab: WebLab,
    zones: dict[str, Records],
    *,
    timeout: float = TIMEOUT,
    allow_private: bool = True,
    silent: Sequence[str] = (),
) -> list[Finding]:
    """The MTA-STS findings of a DNS probe of clinic.test; the probe must not have failed."""
    dns_lab.set_zones(zones, silent=silent)

    async def run() -> list[scan.DomainReport]:
        context = scan.make_context(
            resolver=dns_lab.address, timeout=timeout, ca_file=web_lab.ca_file,
            allow_private=allow_private, https_port=web_lab.https_port,
            http_port=web_lab.http_port)
        return await scan.scan_domains([DOMAIN], only=(scan.Probe.DNS,), context=context)

    (report,) = asyncio.run(run())
    assert report.errors == ()
    return [found for found in report.findings if found.id.startswith("email.mta_sts.")]


def _ids(findings: list[Finding]) -> set[str]:
    return {found.id for found in findings}


def _only(findings: list[Finding], finding_id: str) -> Finding:
    (match,) = findings
    assert match.id == finding_id
    return match


def _policy_hosts_asked(lab: WebLab) -> list[Request]:
    return [request for request in lab.requests if request.host == POLICY_HOST]


def test_policy_url_is_the_well_known_path_on_the_mta_sts_host() -> None:
    assert policy_url(DOMAIN) == POLICY_URL


def test_fetch_asks_the_policy_host_once_over_https(
    dns_lab: DnsLab, web_lab: WebLab, web_tls: ContextFactory
) -> None:
    dns_lab.set_zones(_zones(_at(web_lab.address(TlsKind.GOOD))))
    _serve(web_lab, ENFORCE)
    fetcher = Fetcher(
        resolver=make_resolver("127.0.0.1", port=dns_lab.port, timeout=TIMEOUT),
        timeout=TIMEOUT, allow_private=True,
        ports={"https": web_lab.https_port, "http": web_lab.http_port},
        ssl_context_factory=web_tls)

    fetch = asyncio.run(fetch_policy(DOMAIN, fetcher))

    assert fetch.final is not None
    assert parse_policy(fetch.final.text()) == ENFORCE_READ
    assert web_lab.requests == [Request("https", POLICY_HOST, POLICY_PATH)]


@pytest.mark.parametrize("kind", [TlsKind.GOOD, TlsKind.EXPIRING])
def test_an_enforce_policy_behind_a_valid_certificate_gives_no_finding(
    dns_lab: DnsLab, web_lab: WebLab, kind: TlsKind
) -> None:
    _serve(web_lab, ENFORCE)
    assert _scan(dns_lab, web_lab, _zones(_at(web_lab.address(kind)))) == []
    assert _policy_hosts_asked(web_lab) == [Request("https", POLICY_HOST, POLICY_PATH)]


def test_testing_mode_is_reported_with_the_mode(dns_lab: DnsLab, web_lab: WebLab) -> None:
    _serve(web_lab, TESTING_POLICY)
    findings = _scan(dns_lab, web_lab, _zones(_at(web_lab.address(TlsKind.GOOD))))
    assert "mode: testing" in _only(findings, TESTING).evidence


def test_mode_none_counts_as_no_policy(dns_lab: DnsLab, web_lab: WebLab) -> None:
    _serve(web_lab, NONE_POLICY)
    findings = _scan(dns_lab, web_lab, _zones(_at(web_lab.address(TlsKind.GOOD))))
    assert "mode: none" in _only(findings, MISSING).evidence


@pytest.mark.parametrize(
    ("policy", "finding_id"),
    [(TESTING_POLICY, TESTING), (NONE_POLICY, MISSING), ("version: STSv2\n", UNREACHABLE)],
    ids=["testing", "none", "invalid"],
)
def test_findings_name_the_policy_url_and_take_their_texts_from_the_catalog(
    dns_lab: DnsLab, web_lab: WebLab, policy: str, finding_id: str
) -> None:
    _serve(web_lab, policy)
    found = _only(_scan(dns_lab, web_lab, _zones(_at(web_lab.address(TlsKind.GOOD)))),
                  finding_id)
    entry = CATALOG[finding_id]
    assert found.target == POLICY_URL
    assert (found.severity, found.title, found.remediation) == (
        entry.severity, entry.title, entry.remediation)
    assert found.detail.endswith(entry.why)


@pytest.mark.parametrize(
    ("kind", "complaint"),
    [
        (TlsKind.EXPIRED, "expired"),
        (TlsKind.WRONG_NAME, f"not valid for '{POLICY_HOST}'"),
        (TlsKind.UNTRUSTED, "issuer"),
    ],
)
def test_a_policy_behind_a_bad_certificate_is_unreachable(
    dns_lab: DnsLab, web_lab: WebLab, kind: TlsKind, complaint: str
) -> None:
    _serve(web_lab, ENFORCE)
    findings = _scan(dns_lab, web_lab, _zones(_at(web_lab.address(kind))))
    assert complaint in _only(findings, UNREACHABLE).evidence


def test_a_missing_policy_file_is_unreachable_with_its_status(
    dns_lab: DnsLab, web_lab: WebLab
) -> None:
    web_lab.set_page(POLICY_URL, Page("not found", status=404))
    findings = _scan(dns_lab, web_lab, _zones(_at(web_lab.address(TlsKind.GOOD))))
    assert "404" in _only(findings, UNREACHABLE).evidence


def test_a_redirect_is_unreachable_and_not_followed(dns_lab: DnsLab, web_lab: WebLab) -> None:
    elsewhere = f"https://portal.{DOMAIN}{POLICY_PATH}"
    web_lab.set_page(POLICY_URL, redirect(elsewhere))
    _serve(web_lab, ENFORCE, url=elsewhere)
    good = _at(web_lab.address(TlsKind.GOOD))
    findings = _scan(dns_lab, web_lab, _zones(good, **{f"portal.{DOMAIN}": good}))
    evidence = _only(findings, UNREACHABLE).evidence
    assert "301" in evidence
    assert elsewhere in evidence
    assert [request.host for request in web_lab.requests] == [POLICY_HOST]


def test_an_invalid_policy_is_unreachable_naming_the_problem(
    dns_lab: DnsLab, web_lab: WebLab
) -> None:
    text = ENFORCE.replace("max_age: 604800\n", "")
    _serve(web_lab, text)
    findings = _scan(dns_lab, web_lab, _zones(_at(web_lab.address(TlsKind.GOOD))))
    assert parse_policy(text).problem in _only(findings, UNREACHABLE).evidence


def _padded(size: int) -> str:
    """The enforce policy grown to ``size`` bytes by an extension line senders ignore."""
    line = "x-padding: "
    return ENFORCE + line + "a" * (size - len(ENFORCE) - len(line) - 1) + "\n"


def test_a_policy_of_64_kib_is_read(dns_lab: DnsLab, web_lab: WebLab) -> None:
    _serve(web_lab, _padded(POLICY_SIZE_LIMIT))
    assert _scan(dns_lab, web_lab, _zones(_at(web_lab.address(TlsKind.GOOD)))) == []


def test_a_policy_over_64_kib_is_unreachable(dns_lab: DnsLab, web_lab: WebLab) -> None:
    _serve(web_lab, _padded(POLICY_SIZE_LIMIT + 1))
    findings = _scan(dns_lab, web_lab, _zones(_at(web_lab.address(TlsKind.GOOD))))
    assert str(POLICY_SIZE_LIMIT) in _only(findings, UNREACHABLE).evidence


@pytest.mark.parametrize("server", ["dead", "stall"])
def test_a_policy_host_that_refuses_or_never_answers_is_unreachable(
    dns_lab: DnsLab, web_lab: WebLab, server: str
) -> None:
    address = web_lab.dead_address if server == "dead" else web_lab.stall_address
    findings = _scan(dns_lab, web_lab, _zones(_at(address)), timeout=QUICK_TIMEOUT)
    assert _ids(findings) == {UNREACHABLE}


@pytest.mark.parametrize(
    "policy_host", [[("TXT", "no address here")], None], ids=["no A record", "no such name"])
def test_a_policy_host_without_an_address_is_unreachable(
    dns_lab: DnsLab, web_lab: WebLab, policy_host: Records | None
) -> None:
    findings = _scan(dns_lab, web_lab, _zones(policy_host), timeout=QUICK_TIMEOUT)
    assert POLICY_HOST in _only(findings, UNREACHABLE).evidence
    assert web_lab.requests == []


def test_a_policy_host_whose_lookup_fails_is_an_error_not_a_finding(
    dns_lab: DnsLab, web_lab: WebLab
) -> None:
    # A lookup that timed out proves nothing about the vendor: the report says the policy
    # was not checked, and keeps the other DNS findings.
    dns_lab.set_zones(_zones(None), silent=[POLICY_HOST])

    async def run() -> list[scan.DomainReport]:
        context = scan.make_context(
            resolver=dns_lab.address, timeout=QUICK_TIMEOUT, ca_file=web_lab.ca_file,
            allow_private=True, https_port=web_lab.https_port, http_port=web_lab.http_port)
        return await scan.scan_domains([DOMAIN], only=(scan.Probe.DNS,), context=context)

    (report,) = asyncio.run(run())
    assert not [f for f in report.findings if f.id.startswith("email.mta_sts.")]
    assert "email.dmarc.missing" in {f.id for f in report.findings}
    assert report.errors == (f"MTA-STS policy not checked: DNS lookup of {POLICY_HOST} failed: "
                             "timed out",)


def test_several_announcements_mean_no_policy(dns_lab: DnsLab, web_lab: WebLab) -> None:
    _serve(web_lab, ENFORCE)
    zones = _zones(_at(web_lab.address(TlsKind.GOOD)))
    zones[f"_mta-sts.{DOMAIN}"] = [("TXT", "v=STSv1; id=1"), ("TXT", "v=STSv1; id=2")]
    found = _only(_scan(dns_lab, web_lab, zones), MISSING)
    assert found.evidence.startswith(f"2 v=STSv1 TXT records at _mta-sts.{DOMAIN}")
    assert "RFC 8461 3.1" in found.detail
    assert web_lab.requests == []


@pytest.mark.parametrize("announcement", [None, "v=STSv2; id=1"], ids=["no TXT", "not STSv1"])
def test_without_an_announcement_no_policy_is_fetched(
    dns_lab: DnsLab, web_lab: WebLab, announcement: str | None
) -> None:
    _serve(web_lab, ENFORCE)
    zones = _zones(_at(web_lab.address(TlsKind.GOOD)), announcement=announcement)
    found = _only(_scan(dns_lab, web_lab, zones), MISSING)
    assert found.target == DOMAIN
    assert web_lab.requests == []


def test_a_loopback_policy_host_is_not_contacted_without_allow_private(
    dns_lab: DnsLab, web_lab: WebLab
) -> None:
    _serve(web_lab, ENFORCE)
    address = web_lab.address(TlsKind.GOOD)
    findings = _scan(dns_lab, web_lab, _zones(_at(address)), allow_private=False)
    evidence = _only(findings, UNREACHABLE).evidence
    assert address in evidence
    assert str(BlockReason.LOOPBACK) in evidence
    assert web_lab.requests == []


def test_a_max_age_int_cannot_read_costs_the_policy_not_the_dns_findings(
    dns_lab: DnsLab, web_lab: WebLab
) -> None:
    _serve(web_lab, ENFORCE.replace("604800", "\N{SUPERSCRIPT TWO}"))
    findings = _scan(dns_lab, web_lab, _zones(_at(web_lab.address(TlsKind.GOOD))))
    assert "max_age" in _only(findings, UNREACHABLE).evidence
