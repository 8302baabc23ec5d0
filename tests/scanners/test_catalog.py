"""The finding catalog: complete, consistent, and documented as the code says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scanners.catalog import _ENTRIES, CATALOG, finding, markdown_table
from scanners.findings import CatalogEntry, Severity

README = Path(__file__).resolve().parents[2] / "scanners" / "README.md"

# Every id the scanner issue (issue 3) names, plus the ones added on top of it.
ISSUE_IDS = (
    "email.mx.missing", "email.mx.null", "email.spf.missing", "email.spf.multiple",
    "email.spf.too_many_lookups", "email.spf.permissive_all", "email.dmarc.missing",
    "email.dmarc.invalid", "email.dmarc.policy_none", "email.dmarc.no_reporting",
    "email.mta_sts.missing", "email.mta_sts.testing", "email.mta_sts.policy_unreachable",
    "email.tlsrpt.missing", "dns.caa.missing",
    "smtp.unreachable", "smtp.starttls.unsupported", "smtp.tls.protocol_outdated",
    "smtp.cert.invalid",
    "web.https.unreachable", "web.http.no_redirect", "web.tls.protocol_outdated",
    "web.cert.expired", "web.cert.expiring_soon", "web.cert.untrusted",
    "web.cert.hostname_mismatch",
    "web.hsts.missing", "web.hsts.short_max_age", "web.csp.missing", "web.headers.xcto_missing",
    "web.headers.xfo_missing", "web.headers.referrer_policy_missing", "web.cookies.insecure",
    "web.server.version_disclosed",
    "tracking.meta_pixel", "tracking.google_analytics", "tracking.google_tag_manager",
    "tracking.google_ads", "tracking.tiktok_pixel", "tracking.linkedin_insight",
    "tracking.session_replay",
    "scan.blocked_address",
)
EXTRA_IDS = (
    "tracking.twitter_pixel", "tracking.pinterest_tag", "tracking.snap_pixel",
    "tracking.bing_uet",
)
TRACKING_IDS = tuple(i for i in CATALOG if i.startswith("tracking."))
ROW = re.compile(r"^\| `(?P<id>[a-z0-9_.]+)` \| (?P<severity>\w+) \| (?P<title>.+) \|$")


def _readme_rows() -> list[tuple[str, str, str]]:
    section = README.read_text(encoding="utf-8").split("## Finding catalog", 1)[1]
    section = section.split("\n## ", 1)[0]
    return [
        (m["id"], m["severity"], m["title"])
        for line in section.splitlines()
        if (m := ROW.match(line))
    ]


@pytest.mark.parametrize("finding_id", ISSUE_IDS + EXTRA_IDS)
def test_every_listed_id_is_in_the_catalog(finding_id: str) -> None:
    assert finding_id in CATALOG


def test_catalog_holds_no_unlisted_ids() -> None:
    assert set(CATALOG) == set(ISSUE_IDS + EXTRA_IDS)


def test_ids_are_unique() -> None:
    assert len(_ENTRIES) == len(CATALOG)


@pytest.mark.parametrize("entry", _ENTRIES, ids=lambda e: e.id)
def test_every_entry_is_filled_in(entry: CatalogEntry) -> None:
    assert re.fullmatch(r"[a-z]+(\.[a-z0-9_]+)+", entry.id)
    assert entry.title.strip()
    assert entry.remediation.rstrip().endswith((".", ")"))
    assert entry.why.rstrip().endswith((".", ")"))
    assert isinstance(entry.severity, Severity)


def test_readme_table_matches_catalog() -> None:
    expected = [(e.id, e.severity.value, e.title) for e in _ENTRIES]
    assert _readme_rows() == expected, "regenerate with: python -m scanners.catalog"


def test_readme_holds_the_generated_table_verbatim() -> None:
    assert markdown_table() in README.read_text(encoding="utf-8")


def test_readme_keeps_the_headers_section() -> None:
    assert "## `headers`: did a message travel encrypted?" in README.read_text(encoding="utf-8")


@pytest.mark.parametrize("finding_id", TRACKING_IDS)
def test_tracking_entries_cite_the_bulletin_and_the_ruling(finding_id: str) -> None:
    why = CATALOG[finding_id].why
    assert "HHS OCR" in why
    assert "Becerra" in why
    assert "June 2024" in why


@pytest.mark.parametrize("finding_id", TRACKING_IDS)
def test_tracking_default_is_below_the_phi_page_level(finding_id: str) -> None:
    assert CATALOG[finding_id].severity.rank < Severity.HIGH.rank


def test_smtp_cert_invalid_ranks_below_missing_starttls() -> None:
    assert (
        CATALOG["smtp.cert.invalid"].severity.rank
        < CATALOG["smtp.starttls.unsupported"].severity.rank
    )


def test_finding_takes_its_texts_from_the_catalog() -> None:
    entry = CATALOG["web.hsts.missing"]
    got = finding("web.hsts.missing", target="https://example.com/", evidence="no header")
    assert (got.title, got.severity, got.remediation) == (
        entry.title, entry.severity, entry.remediation,
    )
    assert got.detail == entry.why


def test_finding_severity_can_be_raised_for_a_login_page() -> None:
    got = finding(
        "tracking.meta_pixel",
        target="https://example.com/login",
        evidence="fbq('init', '123')",
        detail="Meta Pixel 123 on the patient login page.",
        severity=Severity.HIGH,
    )
    assert got.severity is Severity.HIGH
    assert got.detail.startswith("Meta Pixel 123 on the patient login page. ")


def test_finding_refuses_an_unknown_id() -> None:
    with pytest.raises(KeyError):
        finding("web.nope", target="x", evidence="y")
