"""The guarded web client: it fetches from the lab on loopback and refuses to go anywhere else."""

from __future__ import annotations

import asyncio
import gzip

import pytest

from scanners.addresses import BlockReason
from scanners.dns_probe import make_resolver
from scanners.tls import ContextFactory
from scanners.web_fetch import MAX_REDIRECTS, Fetch, Fetcher
from tests.scanners.lab.dns_server import DnsLab
from tests.scanners.lab.web_server import Page, TlsKind, WebLab, redirect

TIMEOUT = 2.0
LOOPBACK_ONLY = frozenset({BlockReason.LOOPBACK})  # the lab, and nothing else private


@pytest.fixture
def fetcher(dns_lab: DnsLab, web_lab: WebLab, web_tls: ContextFactory) -> Fetcher:
    """A fetcher that may reach the lab on loopback and nothing else private."""
    dns_lab.set_zones({
        "clinic.test": [("A", web_lab.address(TlsKind.GOOD))],
        "www.clinic.test": [("A", web_lab.address(TlsKind.EXPIRED))],
        "portal.clinic.test": [("A", "10.0.0.7")],
        "metadata.clinic.test": [("A", "169.254.169.254")],
        "dead.clinic.test": [("A", web_lab.dead_address)],
        "stall.clinic.test": [("A", web_lab.stall_address)],
    })
    return _fetcher(dns_lab, web_lab, web_tls, allow_private=LOOPBACK_ONLY)


def _fetcher(dns_lab: DnsLab, web_lab: WebLab, tls: ContextFactory, **options: object) -> Fetcher:
    return Fetcher(resolver=make_resolver("127.0.0.1", port=dns_lab.port, timeout=TIMEOUT),
                   timeout=TIMEOUT, ports={"https": web_lab.https_port, "http": web_lab.http_port},
                   ssl_context_factory=tls, **options)  # type: ignore[arg-type]


def _fetch(fetcher: Fetcher, *urls: str, **options: bool) -> list[Fetch]:
    async def run() -> list[Fetch]:
        return [await fetcher.fetch(url, **options) for url in urls]

    return asyncio.run(run())


def test_http_is_followed_to_the_https_page(fetcher: Fetcher, web_lab: WebLab) -> None:
    web_lab.set_page("https://clinic.test/", Page("<h1>Welcome</h1>"))
    (fetch,) = _fetch(fetcher, "http://clinic.test/")
    assert fetch.chain() == "http://clinic.test/ 301 -> https://clinic.test/ 200"
    assert fetch.final is not None
    assert fetch.final.text() == "<h1>Welcome</h1>"
    assert fetch.final.header("strict-transport-security") == "max-age=31536000; includeSubDomains"


def test_the_server_hears_the_name_while_the_address_checked_is_connected(
    fetcher: Fetcher, web_lab: WebLab
) -> None:
    (fetch,) = _fetch(fetcher, "https://clinic.test/")
    assert fetch.final is not None
    assert fetch.final.address == web_lab.address(TlsKind.GOOD)
    assert [(r.scheme, r.host, r.path) for r in web_lab.requests] == [
        ("https", "clinic.test", "/")]


def test_headers_keep_the_servers_spelling_and_repeats(
    fetcher: Fetcher, web_lab: WebLab
) -> None:
    cookies = (("Set-Cookie", "a=1; Secure"), ("Set-Cookie", "b=2; HttpOnly"))
    web_lab.set_page("https://clinic.test/", Page(headers=(*cookies, ("X-Frame-Options", "DENY"))))
    (fetch,) = _fetch(fetcher, "https://clinic.test/")
    assert fetch.final is not None
    assert [h for h in fetch.final.headers if h[0] in ("Set-Cookie", "X-Frame-Options")] == [
        ("Set-Cookie", "a=1; Secure"), ("Set-Cookie", "b=2; HttpOnly"),
        ("X-Frame-Options", "DENY")]


@pytest.mark.parametrize("url", ["https://clinic.test/bye", "http://clinic.test/bye"])
def test_a_server_that_hangs_up_without_answering_is_an_error_in_words(
    fetcher: Fetcher, web_lab: WebLab, url: str
) -> None:
    web_lab.set_page(url, Page(hang_up=True))
    (fetch,) = _fetch(fetcher, url)
    assert (fetch.final, fetch.error) == (None, "the server closed the connection without a "
                                                "response")


def test_a_host_is_resolved_once_so_a_changed_answer_is_never_used(
    fetcher: Fetcher, dns_lab: DnsLab, web_lab: WebLab
) -> None:
    async def run() -> tuple[Fetch, Fetch]:
        first = await fetcher.fetch("https://clinic.test/")
        # A rebinding server now points the name at the metadata address.
        dns_lab.set_zones({"clinic.test": [("A", "169.254.169.254")]})
        return first, await fetcher.fetch("https://clinic.test/again")

    first, second = asyncio.run(run())
    assert first.final is not None
    assert second.responses
    assert second.responses[0].address == web_lab.address(TlsKind.GOOD)
    assert dns_lab.queries.count(("clinic.test", "A")) == 1


@pytest.mark.parametrize(
    ("location", "refused"),
    [
        ("http://10.0.0.7/admin", "10.0.0.7 (private address)"),
        ("https://portal.clinic.test/", "10.0.0.7 (private address)"),
        ("http://metadata.clinic.test/latest/", "169.254.169.254 (cloud metadata address)"),
        ("http://[::ffff:169.254.169.254]/", "::ffff:a9fe:a9fe (cloud metadata address)"),
    ],
)
def test_a_redirect_to_a_private_address_is_not_followed(
    fetcher: Fetcher, web_lab: WebLab, location: str, refused: str
) -> None:
    web_lab.set_page("https://clinic.test/go", redirect(location, 302))
    (fetch,) = _fetch(fetcher, "https://clinic.test/go")
    assert fetch.final is None
    assert [r.status for r in fetch.responses] == [302]
    assert refused in fetch.error
    assert [check.address for check in fetch.blocked] == [refused.split()[0]]
    assert fetch.chain().startswith(f"https://clinic.test/go 302 -> {location} (not connecting")


def test_without_allow_private_the_lab_is_never_contacted(
    dns_lab: DnsLab, web_lab: WebLab, web_tls: ContextFactory, fetcher: Fetcher
) -> None:
    strict = _fetcher(dns_lab, web_lab, web_tls)
    (fetch,) = _fetch(strict, "https://clinic.test/")
    assert fetch.final is None
    assert fetch.error == f"not connecting to clinic.test: {web_lab.address(TlsKind.GOOD)} " \
                          "(loopback address)"
    assert web_lab.requests == []


def test_redirect_loops_stop(fetcher: Fetcher, web_lab: WebLab) -> None:
    web_lab.set_page("https://clinic.test/a", redirect("/b"))
    web_lab.set_page("https://clinic.test/b", redirect("/a"))
    (fetch,) = _fetch(fetcher, "https://clinic.test/a")
    assert fetch.final is None
    assert fetch.error == f"more than {MAX_REDIRECTS} redirects"
    assert len(web_lab.requests) == MAX_REDIRECTS + 1


def test_redirects_are_left_alone_when_asked(fetcher: Fetcher, web_lab: WebLab) -> None:
    (fetch,) = _fetch(fetcher, "http://clinic.test/", follow_redirects=False)
    assert fetch.final is not None
    assert (fetch.final.status, fetch.final.location) == (301, "https://clinic.test/")
    assert web_lab.paths_requested("https") == []


def test_a_redirect_to_another_scheme_is_not_followed(fetcher: Fetcher, web_lab: WebLab) -> None:
    web_lab.set_page("https://clinic.test/files", redirect("ftp://clinic.test/files"))
    (fetch,) = _fetch(fetcher, "https://clinic.test/files")
    assert fetch.error == "not an http(s) URL: ftp://clinic.test/files"


def test_a_long_body_is_cut_at_the_cap(
    dns_lab: DnsLab, web_lab: WebLab, web_tls: ContextFactory, fetcher: Fetcher
) -> None:
    web_lab.set_page("https://clinic.test/", Page("x" * 50_000))
    capped = _fetcher(dns_lab, web_lab, web_tls, allow_private=LOOPBACK_ONLY, max_bytes=1000)
    (fetch,) = _fetch(capped, "https://clinic.test/")
    assert fetch.final is not None
    assert (len(fetch.final.body), fetch.final.truncated) == (1000, True)


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("https://dead.clinic.test/", "Connect call failed"),
        ("https://stall.clinic.test/", "timed out"),
        ("https://nowhere.clinic.test/", "nowhere.clinic.test does not exist in DNS"),
    ],
)
def test_a_dead_host_is_an_error_in_words(fetcher: Fetcher, url: str, error: str) -> None:
    (fetch,) = _fetch(fetcher, url)
    assert fetch.final is None
    assert error in fetch.error
    assert fetch.chain() == f"{url} ({fetch.error})"


def test_verify_refuses_a_bad_certificate_that_a_plain_fetch_reads(fetcher: Fetcher) -> None:
    (strict,) = _fetch(fetcher, "https://www.clinic.test/", verify=True)
    (lenient,) = _fetch(fetcher, "https://www.clinic.test/")
    assert (strict.final, strict.error) == (None, "certificate has expired")
    assert lenient.final is not None
    assert lenient.final.status == 200


def test_text_follows_the_charset_the_server_names(fetcher: Fetcher, web_lab: WebLab) -> None:
    web_lab.set_page("https://clinic.test/", Page(
        "Clínica".encode("latin-1"), headers=(("Content-Type", "text/html; charset=ISO-8859-1"),)))
    (fetch,) = _fetch(fetcher, "https://clinic.test/")
    assert fetch.final is not None
    assert fetch.final.text() == "Clínica"


# --- what a hostile server might send -----------------------------------------------------------


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9)


def test_a_gzipped_page_is_read(fetcher: Fetcher, web_lab: WebLab) -> None:
    web_lab.set_page("https://clinic.test/", Page(_gzip(b"<h1>Welcome</h1>"), headers=(
        ("Content-Type", "text/html"), ("Content-Encoding", "gzip"))))
    (fetch,) = _fetch(fetcher, "https://clinic.test/")
    assert fetch.final is not None
    assert fetch.final.text() == "<h1>Welcome</h1>"


def test_a_compression_bomb_is_inflated_no_further_than_the_cap(
    dns_lab: DnsLab, web_lab: WebLab, web_tls: ContextFactory, fetcher: Fetcher
) -> None:
    bomb = _gzip(_gzip(b"\0" * 50_000_000))  # a few kilobytes that would be 50 MB
    assert len(bomb) < 100_000
    web_lab.set_page("https://clinic.test/", Page(bomb, headers=(
        ("Content-Encoding", "gzip, gzip"),)))
    capped = _fetcher(dns_lab, web_lab, web_tls, allow_private=LOOPBACK_ONLY, max_bytes=100_000)
    (fetch,) = _fetch(capped, "https://clinic.test/")
    assert fetch.final is not None
    assert fetch.final.truncated
    assert len(fetch.final.body) <= 100_000


def test_an_unknown_encoding_gives_an_empty_page_not_garbage(
    fetcher: Fetcher, web_lab: WebLab
) -> None:
    web_lab.set_page("https://clinic.test/", Page(b"\x1b\x00br", headers=(
        ("Content-Encoding", "br"),)))
    (fetch,) = _fetch(fetcher, "https://clinic.test/")
    assert fetch.final is not None
    assert fetch.final.body == b""


@pytest.mark.parametrize(
    ("location", "error"),
    [
        ("http://[x", "the redirect's Location is no URL: 'http://[x'"),
        ("https://clinic.test:8443/", "port 8443 is not one the scan uses"),
        ("https://xn--/", "not a URL this scan can fetch"),
    ],
)
def test_a_redirect_to_a_place_no_scan_goes_ends_the_fetch_in_words(
    fetcher: Fetcher, web_lab: WebLab, location: str, error: str
) -> None:
    web_lab.set_page("https://clinic.test/go", redirect(location))
    (fetch,) = _fetch(fetcher, "https://clinic.test/go")
    assert fetch.final is None
    assert error in fetch.error
    assert len(web_lab.requests) == 1


def test_an_international_name_is_asked_for_in_its_ascii_form(
    fetcher: Fetcher, dns_lab: DnsLab, web_lab: WebLab
) -> None:
    dns_lab.set_zones({"xn--bcher-kva.clinic.test": [("A", web_lab.address(TlsKind.GOOD))]})
    (fetch,) = _fetch(fetcher, "https://bücher.clinic.test/")
    assert fetch.final is not None
    assert [r.host for r in web_lab.requests] == ["xn--bcher-kva.clinic.test"]


def test_a_charset_that_is_no_text_encoding_falls_back_to_utf8(
    fetcher: Fetcher, web_lab: WebLab
) -> None:
    web_lab.set_page("https://clinic.test/", Page("Clínica", headers=(
        ("Content-Type", "text/html; charset=idna"),)))
    (fetch,) = _fetch(fetcher, "https://clinic.test/")
    assert fetch.final is not None
    assert fetch.final.text() == "Clínica"


def test_a_server_that_stalls_mid_page_is_timed_out(
    dns_lab: DnsLab, web_lab: WebLab, web_tls: ContextFactory, fetcher: Fetcher
) -> None:
    web_lab.set_page("https://clinic.test/", Page("late", body_delay=3.0))
    quick = _fetcher(dns_lab, web_lab, web_tls, allow_private=LOOPBACK_ONLY)
    quick.timeout = 0.5
    (fetch,) = _fetch(quick, "https://clinic.test/")
    assert (fetch.final, fetch.error) == (None, "timed out")
