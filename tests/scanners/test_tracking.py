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

HOME = "https://www.vendor.example/"

META_INLINE = """<script>
!function(f,b,e,v,n,t,s){if(f.fbq)return;n=f.fbq=function(){};t=b.createElement(e);
t.src=v;s.parentNode.insertBefore(t,s)}(window, document,'script',
'https://connect.facebook.net/en_US/fbevents.js');
fbq('init', '1234567890123');
fbq('track', 'PageView');
</script>
<noscript><img height="1" width="1" style="display:none"
src="https://www.facebook.com/tr?id=1234567890123&amp;ev=PageView&amp;noscript=1"/></noscript>"""

CASES: list[tuple[str, str, str, Seen, str | None]] = [
    ("tracking.meta_pixel", "Meta Pixel", META_INLINE, Seen.INLINE_SNIPPET, "1234567890123"),
    ("tracking.meta_pixel", "Meta Pixel", META_INLINE, Seen.NOSCRIPT_IMG, "1234567890123"),
    (
        "tracking.google_analytics",
        "Google Analytics",
        '<script async src="https://www.googletagmanager.com/gtag/js?id=G-AB12CD34EF"></script>'
        "<script>gtag('config', 'G-AB12CD34EF');</script>",
        Seen.SCRIPT_SRC,
        "G-AB12CD34EF",
    ),
    (
        "tracking.google_analytics",
        "Google Analytics",
        "<script>ga('create', 'UA-12345-6', 'auto');</script>",
        Seen.INLINE_SNIPPET,
        "UA-12345-6",
    ),
    (
        "tracking.google_tag_manager",
        "Google Tag Manager",
        "<script>(function(w,d,s,l,i){w[l]=w[l]||[];j.src="
        "'https://www.googletagmanager.com/gtm.js?id='+i+dl;})"
        "(window,document,'script','dataLayer','GTM-ABC123');</script>",
        Seen.INLINE_SNIPPET,
        "GTM-ABC123",
    ),
    (
        "tracking.google_tag_manager",
        "Google Tag Manager",
        '<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-ABC123"'
        ' height="0" width="0"></iframe></noscript>',
        Seen.IFRAME,
        "GTM-ABC123",
    ),
    (
        "tracking.google_ads",
        "Google Ads",
        "<script>gtag('config', 'AW-987654321');</script>",
        Seen.INLINE_SNIPPET,
        "AW-987654321",
    ),
    (
        "tracking.tiktok_pixel",
        "TikTok Pixel",
        "<script>!function (w, d, t) {ttq.load('C4ABCDEF1234567890');ttq.page();}"
        "(window, document, 'ttq');</script>",
        Seen.INLINE_SNIPPET,
        "C4ABCDEF1234567890",
    ),
    (
        "tracking.linkedin_insight",
        "LinkedIn Insight Tag",
        '<script>_linkedin_partner_id = "4567890";</script>',
        Seen.INLINE_SNIPPET,
        "4567890",
    ),
    (
        "tracking.linkedin_insight",
        "LinkedIn Insight Tag",
        '<noscript><img src="https://px.ads.linkedin.com/collect/?pid=4567890&fmt=gif"/>'
        "</noscript>",
        Seen.NOSCRIPT_IMG,
        "4567890",
    ),
    (
        "tracking.session_replay",
        "Hotjar",
        "<script>(function(h,o,t,j,a,r){h._hjSettings={hjid:3141592,hjsv:6};"
        "r.src=t+h._hjSettings.hjid+j;})(window,document,"
        "'https://static.hotjar.com/c/hotjar-','.js?sv=');</script>",
        Seen.INLINE_SNIPPET,
        "3141592",
    ),
    (
        "tracking.session_replay",
        "Microsoft Clarity",
        '<script async src="https://www.clarity.ms/tag/k2abcd9xyz"></script>',
        Seen.SCRIPT_SRC,
        "k2abcd9xyz",
    ),
    (
        "tracking.session_replay",
        "FullStory",
        "<script>window['_fs_host'] = 'fullstory.com'; window['_fs_org'] = 'o-1ABC2D-na1';"
        "</script>",
        Seen.INLINE_SNIPPET,
        "o-1ABC2D-na1",
    ),
    (
        "tracking.session_replay",
        "LogRocket",
        '<script src="https://cdn.logrocket.io/LogRocket.min.js"></script>'
        "<script>window.LogRocket && window.LogRocket.init('abc123/vendor-portal');</script>",
        Seen.INLINE_SNIPPET,
        "abc123/vendor-portal",
    ),
    (
        "tracking.session_replay",
        "Mouseflow",
        '<script src="//cdn.mouseflow.com/projects/0f1e2d3c-4b5a-6978-8091-a2b3c4d5e6f7.js">'
        "</script>",
        Seen.SCRIPT_SRC,
        "0f1e2d3c-4b5a-6978-8091-a2b3c4d5e6f7",
    ),
    (
        "tracking.twitter_pixel",
        "X (Twitter) Pixel",
        "<script>s.src='https://static.ads-twitter.com/uwt.js';twq('init','o1a2b');</script>",
        Seen.INLINE_SNIPPET,
        "o1a2b",
    ),
    (
        "tracking.pinterest_tag",
        "Pinterest Tag",
        "<script>pintrk('load', '2612345678901', {em: '<user_email_address>'});</script>",
        Seen.INLINE_SNIPPET,
        "2612345678901",
    ),
    (
        "tracking.snap_pixel",
        "Snap Pixel",
        "<script>snaptr('init', 'aa11bb22-cc33-dd44-ee55-ff6677889900', {});</script>",
        Seen.INLINE_SNIPPET,
        "aa11bb22-cc33-dd44-ee55-ff6677889900",
    ),
    (
        "tracking.bing_uet",
        "Microsoft Advertising UET",
        '<script>(function(w,d,t,r,u){var f,n,i;w[u]=w[u]||[],f=function(){var o={ti:"343115785",'
        ' enableAutoSpaLoading: true};o.q=w[u],w[u]=new UET(o),w[u].push("pageLoad")}})'
        '(window,document,"script","//bat.bing.com/bat.js","uetq");</script>',
        Seen.INLINE_SNIPPET,
        "343115785",
    ),
]


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
