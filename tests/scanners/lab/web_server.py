"""Web servers on 127.0.0.0/8 for the HTTPS, headers, tracking and MTA-STS tests.

Each kind of TLS endpoint in :class:`TlsKind` listens on its own loopback address, and every
address uses the same two ports: :attr:`WebLab.https_port` and :attr:`WebLab.http_port`. A
test points a name at a kind through the DNS lab (``("A", lab.address(TlsKind.EXPIRED))``)
and the probe at the two ports, so one scan can meet a good apex and an expired ``www.``.

What a server answers depends only on the Host header, the scheme and the path, never on the
address: :meth:`WebLab.set_page` sets one page. Unset HTTPS pages answer with
:func:`good_page` at ``/`` and 404 elsewhere; unset plain-HTTP pages redirect to the same
URL on https (port omitted, as a real site's redirect would). Certificates come from a
trustme CA (:attr:`WebLab.ca_file`) and name every host in ``names``.

Two more addresses misbehave below HTTP: :attr:`WebLab.dead_address` refuses connections
and :attr:`WebLab.stall_address` accepts TCP but never answers.

    with WebLab() as lab:  # certificates for LAB_NAMES
        lab.set_page("https://clinic.test/login", Page(body=html_with_pixel))
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit

import trustme

from tests.scanners.lab.certificates import server_context
from tests.scanners.lab.loop_thread import LoopThread

_READ_SECONDS = 5.0
_FIRST_ADDRESS = 11  # 127.0.0.11 onwards; the other labs keep 127.0.0.1

# The names the lab's certificates cover, unless a lab is given its own.
LAB_DOMAINS = ("clinic.test", "vendor.test")
LAB_NAMES = tuple(f"{prefix}{domain}" for domain in LAB_DOMAINS
                  for prefix in ("", "www.", "mta-sts.", "portal."))

GOOD_HEADERS: tuple[tuple[str, str], ...] = (
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
    ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'self'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Content-Type", "text/html; charset=utf-8"),
)


class TlsKind(StrEnum):
    """The HTTPS endpoints the lab serves, one loopback address each."""

    GOOD = "good"  # TLS 1.2+, a certificate from the lab CA for every lab name
    WRONG_NAME = "wrong_name"  # lab CA, but the certificate names other.invalid only
    UNTRUSTED = "untrusted"  # every lab name, from a CA nobody trusts
    EXPIRED = "expired"  # lab CA, every lab name, expired yesterday
    EXPIRING = "expiring"  # lab CA, every lab name, expires in 10 days
    OUTDATED_TLS = "outdated_tls"  # a good certificate, and TLS 1.0 and 1.1 still accepted
    TLS1_ONLY = "tls1_only"  # a good certificate, but nothing newer than TLS 1.1


@dataclass(frozen=True)
class Page:
    """One response: the status, its headers in order (repeats allowed) and the body."""

    body: str | bytes = ""
    status: int = 200
    headers: Sequence[tuple[str, str]] = GOOD_HEADERS
    body_delay: float = 0.0  # seconds between the headers and the body: a stalling server
    hang_up: bool = False  # read the request, then close without a word

    def encoded(self) -> bytes:
        return self.body.encode() if isinstance(self.body, str) else self.body


def good_page(title: str = "A vendor") -> Page:
    return Page(f"<!doctype html><title>{title}</title><h1>{title}</h1>")


def redirect(location: str, status: int = 301) -> Page:
    return Page(status=status, headers=(("Location", location),))


@dataclass(frozen=True)
class Request:
    """A request the lab answered: scheme, Host header (without port) and path."""

    scheme: str
    host: str
    path: str


@dataclass
class _Pages:
    by_url: dict[tuple[str, str, str], Page] = field(default_factory=dict)

    def answer(self, scheme: str, host: str, target: str) -> Page:
        page = self.by_url.get((scheme, host, target))
        if page is not None:
            return page
        if scheme == "http":
            return redirect(f"https://{host}{target}")
        if urlsplit(target).path == "/":
            return good_page()
        return Page("not found", status=404)


def _contexts(ca: trustme.CA, names: Sequence[str]) -> dict[TlsKind, ssl.SSLContext]:
    now = dt.datetime.now(dt.UTC)
    return {
        TlsKind.GOOD: server_context(ca.issue_cert(*names)),
        TlsKind.WRONG_NAME: server_context(ca.issue_cert("other.invalid")),
        TlsKind.UNTRUSTED: server_context(trustme.CA().issue_cert(*names)),
        TlsKind.EXPIRED: server_context(ca.issue_cert(
            *names, not_before=now - dt.timedelta(days=90), not_after=now - dt.timedelta(days=1))),
        TlsKind.EXPIRING: server_context(ca.issue_cert(
            *names, not_before=now - dt.timedelta(days=80), not_after=now + dt.timedelta(days=10))),
        TlsKind.OUTDATED_TLS: server_context(ca.issue_cert(*names), outdated=True),
        TlsKind.TLS1_ONLY: server_context(ca.issue_cert(*names), outdated=True,
                                          newest=ssl.TLSVersion.TLSv1_1),
    }


def _bind_everywhere(addresses: Iterable[str], attempts: int = 20) -> list[socket.socket]:
    """One TCP socket per address, all on the same free port."""
    addresses = list(addresses)
    for _ in range(attempts):
        sockets: list[socket.socket] = []
        try:
            for address in addresses:
                # The protocol spelled out: asyncio turns Nagle off only on sockets whose
                # proto says TCP; with it on, a response written in two parts waits for an ACK.
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
                sockets.append(sock)
                sock.bind((address, sockets[0].getsockname()[1] if len(sockets) > 1 else 0))
            return sockets
        except OSError:
            for sock in sockets:
                sock.close()
    raise OSError(f"no port free on all of {', '.join(addresses)}")


class WebLab(LoopThread):
    """HTTPS and HTTP servers on loopback for every :class:`TlsKind`."""

    def __init__(self, names: Sequence[str] = LAB_NAMES) -> None:
        super().__init__()
        self.names = tuple(names)
        self.ca = trustme.CA()
        self.ca_file = ""
        self.requests: list[Request] = []
        self._pages = _Pages()
        kinds = list(TlsKind)
        self._addresses = {kind: f"127.0.0.{_FIRST_ADDRESS + i}" for i, kind in enumerate(kinds)}
        self.stall_address = f"127.0.0.{_FIRST_ADDRESS + len(kinds)}"
        self.dead_address = f"127.0.0.{_FIRST_ADDRESS + len(kinds) + 1}"
        self.https_port = 0
        self.http_port = 0

    def address(self, kind: TlsKind) -> str:
        return self._addresses[kind]

    def set_page(self, url: str, page: Page) -> None:
        """Serve ``page`` at ``url`` (scheme, host and path with query; no port)."""
        parts = urlsplit(url)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        self._pages.by_url[(parts.scheme, (parts.hostname or "").lower(), target)] = page

    def reset(self) -> None:
        """Forget the pages tests set and the requests seen."""
        self._pages.by_url.clear()
        self.requests.clear()

    def paths_requested(self, scheme: str = "https") -> list[str]:
        return [r.path for r in self.requests if r.scheme == scheme]

    def _open(self) -> None:
        self.ca_file = str(self._exit.enter_context(self.ca.cert_pem.tempfile()))
        serving = [*self._addresses.values(), self.stall_address]
        https_sockets = _bind_everywhere(serving)
        http_sockets = _bind_everywhere(serving)
        self._sockets += https_sockets + http_sockets
        self.https_port = https_sockets[0].getsockname()[1]
        self.http_port = http_sockets[0].getsockname()[1]
        https_sockets[-1].listen(8)  # the stall address: the kernel accepts, nobody answers
        http_sockets[-1].listen(8)
        contexts = _contexts(self.ca, self.names)
        for kind, https, http in zip(TlsKind, https_sockets, http_sockets, strict=False):
            self._run(self._serve(https, "https", contexts[kind]))
            self._run(self._serve(http, "http", None))

    # --- inside the loop thread ------------------------------------------------------------

    async def _serve(
        self, sock: socket.socket, scheme: str, context: ssl.SSLContext | None
    ) -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with suppress(OSError, ssl.SSLError, TimeoutError, asyncio.IncompleteReadError,
                          asyncio.LimitOverrunError, ValueError):
                await self._answer(scheme, reader, writer)
            writer.close()
            with suppress(OSError, ssl.SSLError):
                await writer.wait_closed()

        self._servers.append(await asyncio.start_server(handle, sock=sock, ssl=context))

    async def _answer(
        self, scheme: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        async with asyncio.timeout(_READ_SECONDS):
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *header_lines = head.split("\r\n")
        _method, target, _version = request_line.split(" ", 2)
        headers = {k.strip().lower(): v.strip()
                   for k, _, v in (line.partition(":") for line in header_lines if line)}
        host = headers.get("host", "").rsplit(":", 1)[0].lower()
        self.requests.append(Request(scheme, host, target))
        page = self._pages.answer(scheme, host, target)
        if page.hang_up:
            return
        body = page.encoded()
        lines = [f"HTTP/1.1 {page.status} Lab", *(f"{k}: {v}" for k, v in page.headers),
                 f"Content-Length: {len(body)}", "Connection: close", "", ""]
        writer.write("\r\n".join(lines).encode("latin-1"))
        await writer.drain()
        await asyncio.sleep(page.body_delay)
        writer.write(body)
        await writer.drain()
