"""The tracking probe's analysis: signatures, PHI-looking pages, link ranking and findings."""

from __future__ import annotations

import pytest

from scanners.catalog import CATALOG
from scanners.findings import Severity
from scanners.tracking import (
    Seen,
    TrackerHit,
    detect_trackers,
    looks_like_phi_page,
    rank_links,
    tracking_findings,
)
from tests.scanners.tracker_samples import CASES, META_INLINE

HOME = "https://www.vendor.example/"



@pytest.mark.parametrize(
    ("finding_id", "technology", "html", "seen", "account"),
    CASES,
    ids=[f"{case[1]}-{case[3].value}" for case in CASES],
)
def test_each_technology_is_detected_with_its_account_id(
    finding_id: str, technology: str, html: str, seen: Seen, account: str | None
) -> None:
    hits = detect_trackers(HOME, f"<html><head>{html}</head><body></body></html>")

    matching = [
        h for h in hits if (h.technology, h.seen, h.account_id) == (technology, seen, account)
    ]
    assert matching, hits
    assert matching[0].finding_id == finding_id
    assert 0 < len(matching[0].evidence) <= 200


def test_every_catalog_tracking_id_has_a_test_case() -> None:
    tracking_ids = {fid for fid in CATALOG if fid.startswith("tracking.")}
    assert {case[0] for case in CASES} == tracking_ids


def test_a_clean_page_gives_nothing() -> None:
    html = """<html><head><script src="/static/app.js"></script>
    <script>document.title = 'Welcome'; var config = {ti: 12};</script></head>
    <body><noscript><img src="/img/logo.png"></noscript>
    <iframe src="https://www.youtube.com/embed/xyz"></iframe></body></html>"""
    assert detect_trackers(HOME, html) == []
    assert tracking_findings({HOME: []}) == []


def test_long_evidence_is_clipped_to_200_characters() -> None:
    src = "https://www.googletagmanager.com/gtm.js?id=GTM-ABC123&" + "x=1&" * 100
    hits = detect_trackers(HOME, f'<script src="{src}"></script>')
    assert [h.account_id for h in hits] == ["GTM-ABC123"]
    assert len(hits[0].evidence) == 200


def test_meta_pixel_on_a_portal_login_page_is_high() -> None:
    page = "https://www.vendor.example/patient-portal/login"
    [found] = tracking_findings({page: detect_trackers(page, META_INLINE)})

    assert found.id == "tracking.meta_pixel"
    assert found.severity is Severity.HIGH
    assert page in found.detail
    assert "1234567890123" in found.detail
    assert "AHA v. Becerra" in found.detail
    assert found.target == page


def test_meta_pixel_on_a_blog_keeps_the_catalog_default() -> None:
    page = "https://www.vendor.example/blog/2024/healthy-habits"
    [found] = tracking_findings({page: detect_trackers(page, META_INLINE)})

    assert found.severity is CATALOG["tracking.meta_pixel"].severity
    assert "None of these pages" in found.detail


def test_one_finding_groups_several_pages() -> None:
    pages = [HOME, "https://www.vendor.example/about", "https://www.vendor.example/appointments"]
    hits_by_page = {page: detect_trackers(page, META_INLINE) for page in pages}
    hits_by_page["https://www.vendor.example/careers"] = [
        TrackerHit("tracking.session_replay", "Hotjar", Seen.SCRIPT_SRC, "42", "hotjar-42.js")
    ]

    findings = tracking_findings(hits_by_page)

    meta = [f for f in findings if f.id == "tracking.meta_pixel"]
    assert len(meta) == 1
    assert all(page in meta[0].detail for page in pages)
    assert "inline_snippet, noscript_img" in meta[0].detail
    assert meta[0].severity is Severity.HIGH
    assert "Pages that look like they collect PHI" in meta[0].detail
    assert "appointments" in meta[0].detail.split("collect PHI")[1]
    replay = [f for f in findings if f.id == "tracking.session_replay"]
    assert len(replay) == 1
    assert replay[0].severity is CATALOG["tracking.session_replay"].severity
    assert findings[0] is meta[0]  # the raised finding comes first


@pytest.mark.parametrize(
    ("url", "text", "expected"),
    [
        ("https://www.vendor.example/patient-portal/login", "", True),
        ("https://mychart.vendor.example/", "", True),
        ("https://www.vendor.example/book-an-appointment", "", True),
        ("https://www.vendor.example/new-patient-intake-forms", "", True),
        ("https://www.vendor.example/p/123", "Sign in", True),
        ("https://www.vendor.example/blog/catalog-online", "", False),
        ("https://www.vendor.example/platform/information", "Our platform", False),
        ("https://www.facebook.example/about", "", False),
    ],
)
def test_looks_like_phi_page(url: str, text: str, expected: bool) -> None:
    assert looks_like_phi_page(url, text) is expected


def test_link_ranking_puts_phi_pages_first_drops_off_site_and_caps_at_ten() -> None:
    filler = "".join(f'<a href="/news/{n}">News {n}</a>' for n in range(12))
    html = f"""<body>{filler}
    <a href="/about#team">About</a><a href="/about">About again</a>
    <a href="https://evil.example/login">Login elsewhere</a>
    <a href="mailto:privacy@vendor.example">Mail</a><a href="javascript:void(0)">Menu</a>
    <a href="tel:+15555550100">Call</a><a href="/brochure.pdf">Brochure</a>
    <a href="#top">Top</a><a href="/">Home</a>
    <a href="/contact-us">Contact</a>
    <a href="https://portal.vendor.example/">Patient portal</a>
    <a href="/account/sign-in">Sign in</a>
    <a href="/appointments#new">Book</a><a href="/appointments">Book now</a></body>"""

    links = rank_links(HOME, html)

    assert links[:4] == [
        "https://portal.vendor.example/",
        "https://www.vendor.example/account/sign-in",
        "https://www.vendor.example/appointments",
        "https://www.vendor.example/contact-us",
    ]
    assert len(links) == 10
    assert len(set(links)) == 10
    assert all("evil.example" not in link and "#" not in link for link in links)
    assert all(link.startswith("https://") and not link.endswith(".pdf") for link in links)
    assert HOME not in links
    assert links[4:] == [f"https://www.vendor.example/news/{n}" for n in range(6)]


def test_urls_that_are_no_urls_are_skipped() -> None:
    html = ('<script src="http://[::1"></script><a href="http://[x">broken</a>'
            '<a href="/login">Sign in</a>')
    assert detect_trackers(HOME, html) == []
    assert rank_links(HOME, html) == ["https://www.vendor.example/login"]


def test_only_the_first_2048_characters_of_a_url_are_read() -> None:
    # A megabyte of URL would only make the patterns slow; real tracker URLs are short.
    padding = "x=" + "a" * 3000
    late = f'<noscript><img src="https://www.facebook.com/tr?{padding}&id=42"></noscript>'
    early = '<noscript><img src="https://www.facebook.com/tr?id=42&ev=PageView"></noscript>'
    assert detect_trackers(HOME, late) == []
    assert [hit.account_id for hit in detect_trackers(HOME, early)] == ["42"]
