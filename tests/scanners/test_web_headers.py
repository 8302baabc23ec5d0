"""The pure analysis of the final HTTPS page's response headers and cookies: no network."""

from __future__ import annotations

import pytest

from scanners.findings import Finding
from scanners.web_headers import (
    analyse_response_headers,
    parse_hsts,
    parse_set_cookie,
)

URL = "https://vendor.test/"

# A page that does everything right: no header finding at all.
HARDENED: list[tuple[str, str]] = [
    ("Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload"),
    ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Set-Cookie", "sid=abc123; Path=/; Secure; HttpOnly; SameSite=Lax"),
    ("Set-Cookie", "csrf=x=y==; Secure; HttpOnly; SameSite=Strict"),
    ("Server", "nginx"),
]


def with_headers(*changes: tuple[str, str | None]) -> list[tuple[str, str]]:
    """HARDENED with each named header dropped, then (value not None) sent with that value."""
    names = {name.lower() for name, _ in changes}
    kept = [(name, value) for name, value in HARDENED if name.lower() not in names]
    return kept + [(name, value) for name, value in changes if value is not None]


def by_id(headers: list[tuple[str, str]]) -> dict[str, Finding]:
    found = analyse_response_headers(URL, headers)
    ids = [item.id for item in found]
    assert len(ids) == len(set(ids)), ids  # one finding per id
    return {item.id: item for item in found}


def test_hardened_headers_give_no_finding() -> None:
    assert analyse_response_headers(URL, HARDENED) == []


def test_header_names_are_case_insensitive() -> None:
    shouting = [(name.upper(), value) for name, value in HARDENED]
    lower = [(name.lower(), value) for name, value in HARDENED]
    assert analyse_response_headers(URL, shouting) == []
    assert analyse_response_headers(URL, lower) == []


def test_no_headers_at_all_gives_every_missing_header_finding() -> None:
    assert set(by_id([])) == {
        "web.hsts.missing", "web.csp.missing", "web.headers.xcto_missing",
        "web.headers.xfo_missing", "web.headers.referrer_policy_missing",
    }


def test_findings_come_from_the_catalog_and_target_the_url() -> None:
    found = by_id([])["web.hsts.missing"]
    assert found.title == "No HSTS header"
    assert found.target == URL
    assert "Strict-Transport-Security" in found.evidence


# --- HSTS --------------------------------------------------------------------------------------


def test_hsts_missing() -> None:
    found = by_id(with_headers(("Strict-Transport-Security", None)))
    assert set(found) == {"web.hsts.missing"}
    assert "no Strict-Transport-Security header" in found["web.hsts.missing"].evidence


@pytest.mark.parametrize(("value", "why"), [
    ("includeSubDomains", "no max-age"),
    ("max-age=abc", "not a number"),
    ("max-age=-5", "not a number"),
    ("max-age=", "not a number"),
    ("max-age=31536000; max-age=31536000", "repeats"),
])
def test_hsts_without_valid_max_age_counts_as_missing(value: str, why: str) -> None:
    found = by_id(with_headers(("Strict-Transport-Security", value)))
    assert set(found) == {"web.hsts.missing"}
    hsts = found["web.hsts.missing"]
    assert why in hsts.detail
    assert "browsers ignore it" in hsts.detail
    assert value in hsts.evidence


@pytest.mark.parametrize("value", ["max-age=300", "max-age=0", "max-age=31535999",
                                   'MAX-AGE="86400"; includeSubDomains'])
def test_hsts_short_max_age(value: str) -> None:
    found = by_id(with_headers(("Strict-Transport-Security", value)))
    assert set(found) == {"web.hsts.short_max_age"}
    assert value in found["web.hsts.short_max_age"].evidence


@pytest.mark.parametrize("value", ["max-age=31536000", 'Max-Age = "31536000"',
                                   "includeSubDomains; max-age=63072000; preload"])
def test_hsts_of_a_year_or_more_is_fine(value: str) -> None:
    assert by_id(with_headers(("Strict-Transport-Security", value))) == {}


def test_only_the_first_hsts_header_counts() -> None:
    headers = with_headers(("Strict-Transport-Security", "max-age=60"))
    headers.append(("Strict-Transport-Security", "max-age=31536000"))
    assert set(by_id(headers)) == {"web.hsts.short_max_age"}


def test_parse_hsts() -> None:
    assert parse_hsts("max-age=31536000; includeSubDomains").max_age == 31536000
    assert parse_hsts("max-age=1x").max_age is None
    assert parse_hsts("preload").problem == "it has no max-age directive"


# --- the required-header table -------------------------------------------------------------------


def test_csp_missing() -> None:
    found = by_id(with_headers(("Content-Security-Policy", None), ("X-Frame-Options", "DENY")))
    assert set(found) == {"web.csp.missing"}
    assert "Report-Only" not in found["web.csp.missing"].detail


def test_csp_report_only_alone_does_not_count() -> None:
    found = by_id(with_headers(
        ("Content-Security-Policy", None),
        ("Content-Security-Policy-Report-Only", "default-src 'self'; frame-ancestors 'none'"),
    ))
    assert set(found) == {"web.csp.missing"}  # X-Frame-Options: DENY still guards framing
    csp = found["web.csp.missing"]
    assert "Content-Security-Policy-Report-Only" in csp.detail
    assert "blocks nothing" in csp.detail
    assert "Content-Security-Policy-Report-Only: default-src 'self'" in csp.evidence


def test_empty_csp_counts_as_missing() -> None:
    found = by_id(with_headers(("Content-Security-Policy", " ; ")))
    assert "web.csp.missing" in found


@pytest.mark.parametrize("value", ["sniff", "", "no-sniff"])
def test_xcto_missing_or_wrong(value: str) -> None:
    assert set(by_id(with_headers(("X-Content-Type-Options", value)))) == {
        "web.headers.xcto_missing"}


def test_xcto_absent() -> None:
    found = by_id(with_headers(("X-Content-Type-Options", None)))
    assert set(found) == {"web.headers.xcto_missing"}
    assert "no X-Content-Type-Options" in found["web.headers.xcto_missing"].evidence


@pytest.mark.parametrize("value", ["nosniff", "NoSniff", " nosniff ", "nosniff, nosniff"])
def test_xcto_nosniff_is_fine(value: str) -> None:
    assert by_id(with_headers(("X-Content-Type-Options", value))) == {}


def test_referrer_policy_missing() -> None:
    found = by_id(with_headers(("Referrer-Policy", None)))
    assert set(found) == {"web.headers.referrer_policy_missing"}


def test_referrer_policy_of_unknown_tokens_counts_as_missing() -> None:
    found = by_id(with_headers(("Referrer-Policy", "be-nice")))
    assert set(found) == {"web.headers.referrer_policy_missing"}
    assert '"Referrer-Policy: be-nice"' in found["web.headers.referrer_policy_missing"].evidence


@pytest.mark.parametrize("value", ["no-referrer", "be-nice, strict-origin", "SAME-ORIGIN"])
def test_referrer_policy_present(value: str) -> None:
    assert by_id(with_headers(("Referrer-Policy", value))) == {}


# --- framing -----------------------------------------------------------------------------------


def test_xfo_missing_without_xfo_or_frame_ancestors() -> None:
    found = by_id(with_headers(("X-Frame-Options", None),
                               ("Content-Security-Policy", "default-src 'self'")))
    assert set(found) == {"web.headers.xfo_missing"}
    assert "neither X-Frame-Options" in found["web.headers.xfo_missing"].evidence


@pytest.mark.parametrize("headers", [
    [("X-Frame-Options", "SAMEORIGIN"), ("Content-Security-Policy", "default-src 'self'")],
    [("X-Frame-Options", None), ("Content-Security-Policy", "frame-ancestors 'self'")],
    [("X-Frame-Options", None), ("Content-Security-Policy", "FRAME-ANCESTORS\thttps://a.test")],
    [("X-Frame-Options", None), ("Content-Security-Policy", "frame-ancestors")],
    [("X-Frame-Options", "ALLOW-FROM https://a.test"),
     ("Content-Security-Policy", "frame-ancestors 'none'")],
])
def test_either_guard_keeps_xfo_missing_away(headers: list[tuple[str, str | None]]) -> None:
    assert by_id(with_headers(*headers)) == {}


def test_obsolete_xfo_value_does_not_count() -> None:
    found = by_id(with_headers(("X-Frame-Options", "ALLOW-FROM https://a.test"),
                               ("Content-Security-Policy", "default-src 'self'")))
    xfo = found["web.headers.xfo_missing"]
    assert "do not honour" in xfo.detail
    assert "X-Frame-Options: ALLOW-FROM https://a.test" in xfo.evidence


def test_wildcard_frame_ancestors_does_not_count() -> None:
    found = by_id(with_headers(("X-Frame-Options", None),
                               ("Content-Security-Policy", "frame-ancestors *")))
    assert "lets any site frame it" in found["web.headers.xfo_missing"].detail


def test_report_only_frame_ancestors_does_not_count() -> None:
    found = by_id(with_headers(
        ("X-Frame-Options", None), ("Content-Security-Policy", "default-src 'self'"),
        ("Content-Security-Policy-Report-Only", "frame-ancestors 'none'"),
    ))
    assert set(found) == {"web.headers.xfo_missing"}


# --- cookies -----------------------------------------------------------------------------------


def test_insecure_cookies_are_one_finding_naming_each_missing_flag() -> None:
    found = by_id(with_headers(("Set-Cookie", "sid=abc; Path=/; HttpOnly"),
                               ("Set-Cookie", "theme=dark; Secure; HttpOnly; SameSite=Lax"),
                               ("Set-Cookie", "track=1")))
    assert set(found) == {"web.cookies.insecure"}
    cookies = found["web.cookies.insecure"]
    assert "2 cookies" in cookies.detail
    assert "sid lacks Secure, SameSite" in cookies.detail
    assert "track lacks Secure, HttpOnly, SameSite" in cookies.detail
    assert "theme" not in cookies.detail
    assert '"Set-Cookie: sid=<3 chars>; Path=/; HttpOnly"' in cookies.evidence
    assert "abc" not in cookies.evidence  # the session value stays out of the report


def test_samesite_none_without_secure() -> None:
    found = by_id(with_headers(("Set-Cookie", "sid=abc; HttpOnly; SameSite=None")))
    assert "sid lacks Secure, SameSite=None without Secure" in (
        found["web.cookies.insecure"].detail)


def test_secure_cookies_give_no_finding() -> None:
    headers = with_headers(("Set-Cookie", "sid=abc; secure; httponly; samesite=none"),
                           ("Set-Cookie", "old=; Max-Age=0; Path=/"))
    assert by_id(headers) == {}


@pytest.mark.parametrize(("header", "name", "value", "flags"), [
    ("sid=a=b==; Secure", "sid", "a=b==", (True, False, "")),
    ("SID = v ; SECURE ; HTTPONLY ; SAMESITE = STRICT", "SID", "v", (True, True, "strict")),
    ("sid=v; SameSite=Lax; SameSite=None", "sid", "v", (False, False, "none")),
    ("sid=v; SameSite=Bogus; HttpOnly", "sid", "v", (False, True, "")),
    ("sid=v; Path=/Secure; Domain=httponly.test", "sid", "v", (False, False, "")),
    ("sid=v;Secure;HttpOnly", "sid", "v", (True, True, "")),
    ("lonely", "", "lonely", (False, False, "")),
    # a ';' ends the value even inside quotes (RFC 6265 5.2)
    ('q="quoted;not"; Secure', "q", '"quoted', (True, False, "")),
])
def test_parse_set_cookie(header: str, name: str, value: str,
                          flags: tuple[bool, bool, str]) -> None:
    cookie = parse_set_cookie(header)
    assert (cookie.name, cookie.value) == (name, value)
    assert (cookie.secure, cookie.httponly, cookie.samesite) == flags


@pytest.mark.parametrize(("header", "expired"), [
    ("a=; Max-Age=0", True), ("a=; max-age=-1", True), ("a=b; Max-Age=60", False),
    ("a=b; Max-Age=soon", False), ("a=b", False),
])
def test_parse_set_cookie_deletion(header: str, expired: bool) -> None:
    assert parse_set_cookie(header).expired is expired


def test_unnamed_cookie_is_reported() -> None:
    found = by_id(with_headers(("Set-Cookie", "token")))
    assert "(unnamed) lacks Secure, HttpOnly, SameSite" in found["web.cookies.insecure"].detail


# --- version disclosure --------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "value", "disclosed"), [
    ("Server", "nginx/1.18.0", True),
    ("Server", "Apache/2.4.41 (Ubuntu)", True),
    ("Server", "Apache/2.4.41 (Ubuntu) OpenSSL/1.1.1f", True),
    ("Server", "Microsoft-IIS/10.0", True),
    ("Server", "Apache/2", True),
    ("Server", "openresty/1.21.4.1", True),
    ("Server", "Jetty(9.4.43.v20210629)", True),
    ("Server", "gunicorn/ 20.0.4", True),
    ("X-Powered-By", "PHP/7.4.3", True),
    ("x-powered-by", "PHP 8.1.2", True),
    ("X-AspNet-Version", "4.0.30319", True),
    ("Server", "nginx", False),
    ("Server", "cloudflare", False),
    ("Server", "Apache", False),
    ("Server", "AmazonS3", False),
    ("Server", "ECS (dcb/7F5A)", False),
    ("Server", "Microsoft-IIS", False),
    ("X-Powered-By", "ASP.NET", False),
    ("X-Powered-By", "Express", False),
    ("X-Generator", "Drupal 9.5.1", False),  # not a header the check reads
])
def test_version_disclosure(header: str, value: str, disclosed: bool) -> None:
    found = by_id(with_headers((header, value)))
    assert ("web.server.version_disclosed" in found) is disclosed
    if disclosed:
        assert set(found) == {"web.server.version_disclosed"}
        assert value in found["web.server.version_disclosed"].evidence


def test_version_disclosure_quotes_every_disclosing_header() -> None:
    found = by_id(with_headers(("Server", "nginx/1.18.0"), ("X-Powered-By", "PHP/7.4.3")))
    disclosed = found["web.server.version_disclosed"]
    assert disclosed.evidence == '"Server: nginx/1.18.0"; "X-Powered-By: PHP/7.4.3"'
    assert "Server, X-Powered-By" in disclosed.detail


def test_a_max_age_of_thousands_of_digits_is_forever_not_a_crash() -> None:
    assert parse_hsts("max-age=" + "9" * 5000).max_age == 10**15
    assert not parse_set_cookie("sid=1; Max-Age=" + "9" * 5000).expired
    assert parse_set_cookie("sid=1; Max-Age=-" + "9" * 5000).expired
