"""Fetch web pages through the SSRF guard: one lookup per host, capped bodies, checked redirects.

A :class:`Fetcher` serves one scan. It resolves each host name once through
:func:`~scanners.addresses.resolve_checked` and remembers the verdict, so every later request
to that host (a redirect, a crawled link) connects to the same checked address and a DNS
server that changes its answer between lookups gains nothing. The request goes to the
address itself, with the name in the Host header and in SNI. Redirects are followed by hand,
each hop through the same guard, at most :data:`MAX_REDIRECTS` of them; a body is read up to
``max_bytes`` and then cut; a compressed body is inflated by this module, never past that cap
either (a small gzip bomb must not fill memory). Each hop gets twice the timeout in all, so a
server dripping one byte at a time cannot hold the scan. Redirects and links may name only the
ports the scan uses. Nothing here raises for the network's or the server's sake: a refused
connection, a blocked address, a timeout or a Location that is no URL ends the :class:`Fetch`
with an ``error``.

Requests go straight to httpx's transport, below the client: the client would follow or parse
redirects, decode bodies and read proxy settings from the environment, all of which this
module does itself or must not do.
"""

from __future__ import annotations

import asyncio
import ipaddress
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import dns.exception
import dns.resolver
import httpx
import idna

from scanners.addresses import AddressCheck, AllowPrivate, AsyncResolver, resolve_checked
from scanners.dns_probe import describe_dns_failure
from scanners.tls import ContextFactory, TlsMode, cached_contexts, describe_failure
from scanners.urls import normalise_url

MAX_REDIRECTS = 5
MAX_BODY_BYTES = 2_000_000  # enough for any real home page; a bigger body is cut, not read
DEFAULT_PORTS: Mapping[str, int] = {"http": 80, "https": 443}
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "riskapp-scanner (vendor risk assessment; +https://github.com/riskapp)"
_NETWORK_FAILURES = (httpx.HTTPError, OSError)  # ssl.SSLError and TimeoutError are OSErrors
_WRAPPERS = frozenset({"httpx", "httpcore", "anyio"})


@dataclass(frozen=True)
class Response:
    """One HTTP response as the scan saw it.

    :param url: the URL asked for, with the host name (not the address connected to).
    :param headers: (name, value) pairs in the order sent; Set-Cookie may repeat.
    :param truncated: the body was longer than the fetcher's cap and was cut there.
    """

    url: str
    address: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    truncated: bool = False

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    @property
    def location(self) -> str | None:
        """The absolute URL a redirect points to; ``None`` when this is no redirect or the
        Location header is no URL (see :attr:`is_redirect`)."""
        target = self.header("location")
        if not self.is_redirect or not target:
            return None
        try:
            return urljoin(self.url, target.strip())
        except ValueError:  # "http://[x": an IPv6 literal that never closes
            return None

    @property
    def is_redirect(self) -> bool:
        return self.status in REDIRECT_STATUSES and bool(self.header("location"))

    def _content_type(self) -> tuple[str, dict[str, str]]:
        kind, *params = (self.header("content-type") or "").split(";")
        pairs = (param.partition("=") for param in params)
        return kind.strip().lower(), {k.strip().lower(): v.strip().strip('"') for k, _, v in pairs}

    @property
    def is_html(self) -> bool:
        return self._content_type()[0] in ("text/html", "application/xhtml+xml", "")

    def text(self) -> str:
        """The body decoded with the charset the server named, UTF-8 otherwise."""
        charset = self._content_type()[1].get("charset") or "utf-8"
        try:
            return self.body.decode(charset, "replace")
        except (LookupError, UnicodeError):  # an unknown charset, or a codec like idna
            return self.body.decode("utf-8", "replace")


@dataclass(frozen=True)
class Fetch:
    """A URL fetched, redirects and all.

    :param responses: every response in order; the last is the page the chain ended on.
    :param error: why the chain stopped before a final page ("" when it reached one).
    :param blocked: the addresses the guard refused on the way (no connection was made).
    :param dns_failed: the chain stopped because a DNS lookup failed, not because a name
        does not exist: the scan learned nothing about the site.
    """

    url: str
    responses: tuple[Response, ...] = ()
    error: str = ""
    blocked: tuple[AddressCheck, ...] = ()
    dns_failed: bool = False  # a lookup failed (timed out, SERVFAIL): nothing is known

    @property
    def final(self) -> Response | None:
        """The page the chain ended on, or ``None`` when it stopped early."""
        if self.error or not self.responses:
            return None
        return self.responses[-1]

    def chain(self) -> str:
        """Every hop in words: ``http://a.test/ 301 -> https://a.test/ 200``."""
        hops = [f"{r.url} {r.status}" for r in self.responses]
        if self.error:
            hops.append(f"{self._next_url()} ({self.error})")
        return " -> ".join(hops)

    def _next_url(self) -> str:
        last = self.responses[-1].location if self.responses else None
        return last or self.url


class _Stop(Exception):  # noqa: N818 - a signal inside fetch, not an error anyone sees
    def __init__(self, reason: str, blocked: tuple[AddressCheck, ...] = (), *,
                 dns_failed: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.blocked = blocked
        self.dns_failed = dns_failed


@dataclass
class Fetcher:
    """Fetch pages for one scan; see the module's doc for what it guarantees.

    :param ports: the port for each scheme when a URL names none; tests point them at a lab.
    """

    resolver: AsyncResolver
    timeout: float
    allow_private: AllowPrivate = False
    ports: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    ssl_context_factory: ContextFactory = field(default_factory=cached_contexts)
    max_bytes: int = MAX_BODY_BYTES
    _addresses: dict[str, asyncio.Future[list[AddressCheck]]] = field(
        default_factory=dict, repr=False)

    async def fetch(self, url: str, *, follow_redirects: bool = True, verify: bool = False,
                    max_bytes: int | None = None) -> Fetch:
        """GET ``url``; with ``verify`` the certificate must be valid for the host.

        Without ``verify`` any certificate is accepted: the TLS probe judges certificates,
        and a page behind a bad one still has headers and trackers worth reporting.
        ``max_bytes`` lowers the body cap for this fetch.
        """
        max_bytes = min(max_bytes or self.max_bytes, self.max_bytes)
        responses: list[Response] = []
        current = url
        try:
            for _ in range(MAX_REDIRECTS + 1):
                response = await self._hop(current, verify=verify, max_bytes=max_bytes)
                responses.append(response)
                if not follow_redirects or not response.is_redirect:
                    return Fetch(url, tuple(responses))
                if response.location is None:
                    raise _Stop(f"the redirect's Location is no URL: "
                                f"{(response.header('location') or '')[:100]!r}")
                current = response.location
            raise _Stop(f"more than {MAX_REDIRECTS} redirects")
        except _Stop as stop:
            return Fetch(url, tuple(responses), stop.reason, stop.blocked, stop.dns_failed)

    async def addresses(self, host: str, port: int) -> list[AddressCheck]:
        """The host's addresses, judged by the guard; looked up once per scan, whatever the
        port (which only labels the checks), so every connection goes to a checked address."""
        if host not in self._addresses:
            self._addresses[host] = asyncio.ensure_future(resolve_checked(
                host, port, resolver=self.resolver, allow_private=self.allow_private))
        return await asyncio.shield(self._addresses[host])

    async def _address(self, host: str, port: int) -> str:
        try:
            checks = await self.addresses(host, port)
        except dns.resolver.NXDOMAIN:
            raise _Stop(f"{host} does not exist in DNS") from None
        except (dns.exception.DNSException, OSError) as exc:
            raise _Stop(f"DNS lookup of {host} failed: {describe_dns_failure(exc)}",
                        dns_failed=True) from None
        allowed = [check for check in checks if check.allowed]
        if allowed:
            return allowed[0].address
        if checks:
            refused = ", ".join(f"{c.address} ({c.reason})" for c in checks)
            raise _Stop(f"not connecting to {host}: {refused}", tuple(checks))
        raise _Stop(f"{host} has no A or AAAA record")

    async def _hop(self, url: str, *, verify: bool, max_bytes: int) -> Response:
        try:
            async with asyncio.timeout(self.timeout * 2):
                return await self._get(url, verify=verify, max_bytes=max_bytes)
        except TimeoutError:
            raise _Stop("timed out") from None

    def _target(self, url: str) -> tuple[str, str, int, str, str]:
        """(url, scheme, port, ASCII host, Host header) of a URL this fetcher may request."""
        try:
            url = normalise_url(url)
            parts = urlsplit(url)
            scheme, port = parts.scheme, parts.port
            host = _ascii_host(parts.hostname or "")
        except (ValueError, idna.IDNAError, UnicodeError):
            raise _Stop(f"not a URL this scan can fetch: {url[:200]!r}") from None
        if scheme not in DEFAULT_PORTS or not host:
            raise _Stop(f"not an http(s) URL: {url[:200]}")
        if port is not None and port not in self.ports.values():
            raise _Stop(f"port {port} is not one the scan uses ({url[:200]})")
        bracketed = f"[{host}]" if ":" in host else host
        host_header = f"{bracketed}:{port}" if port is not None else bracketed
        return url, scheme, port or self.ports[scheme], host, host_header

    async def _get(self, url: str, *, verify: bool, max_bytes: int) -> Response:
        url, scheme, port, host, host_header = self._target(url)
        address = await self._address(host, port)
        netloc = f"[{address}]" if ":" in address else address
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {"Host": host_header, "User-Agent": USER_AGENT, "Accept-Encoding": "identity",
                   "Accept": "text/html,*/*;q=0.5"}
        extensions = {"timeout": httpx.Timeout(self.timeout).as_dict()}
        if scheme == "https":
            extensions["sni_hostname"] = host  # type: ignore[assignment]
        request = httpx.Request("GET", f"{scheme}://{netloc}:{port}{target}", headers=headers,
                                extensions=extensions)
        try:
            return await self._send(request, url, address, verify=verify, max_bytes=max_bytes)
        except _NETWORK_FAILURES as exc:
            raise _Stop(describe_failure(_cause(exc))) from None

    async def _send(self, request: httpx.Request, url: str, address: str, *, verify: bool,
                    max_bytes: int) -> Response:
        mode = TlsMode.VERIFY if verify else TlsMode.NO_VERIFY
        # One connection per request: a pooled one would carry one host's SNI into another's.
        async with httpx.AsyncHTTPTransport(
            verify=self.ssl_context_factory(mode), trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),
        ) as transport:
            response = await transport.handle_async_request(request)
            try:
                raw, truncated = await _read_raw(response, max_bytes)
            finally:
                await response.aclose()
        headers = _raw_headers(response)
        body, cut = _inflate(raw, response.headers.get("content-encoding", ""), max_bytes)
        return Response(url=url, address=address, status=response.status_code,
                        headers=headers, body=body, truncated=truncated or cut)


def _ascii_host(hostname: str) -> str:
    """An IP literal as written, or a name in the ASCII form DNS and TLS use (IDNA 2008)."""
    if not hostname:
        return ""
    try:
        return str(ipaddress.ip_address(hostname))
    except ValueError:
        return idna.encode(hostname, uts46=True).decode("ascii")


async def _read_raw(response: httpx.Response, max_bytes: int) -> tuple[bytes, bool]:
    body = bytearray()
    async for chunk in response.stream:  # type: ignore[union-attr]
        body += chunk
        if len(body) > max_bytes:
            return bytes(body[:max_bytes]), True
    return bytes(body), False


def _inflate(raw: bytes, encodings: str, max_bytes: int) -> tuple[bytes, bool]:
    """Undo gzip or deflate (however often applied) without ever holding more than
    ``max_bytes`` of output; an encoding this module does not know gives an empty body."""
    body, cut = raw, False
    for coding in reversed([c.strip().lower() for c in encodings.split(",") if c.strip()]):
        if coding == "identity":
            continue
        if coding not in ("gzip", "x-gzip", "deflate"):
            return b"", False
        inflater = zlib.decompressobj(wbits=47)  # 32 + 15: a gzip or zlib header, found alone
        try:
            inflated = inflater.decompress(body, max_bytes)
        except zlib.error:
            return b"", False
        body, cut = inflated, cut or bool(inflater.unconsumed_tail)
    return body, cut


def _raw_headers(response: httpx.Response) -> tuple[tuple[str, str], ...]:
    """The headers as the server spelled them (httpx's own view lower-cases the names)."""
    return tuple((name.decode("latin-1"), value.decode("latin-1"))
                 for name, value in response.headers.raw)


def _cause(exc: BaseException) -> BaseException:
    """httpx wraps the socket and ssl errors (through httpcore); the inner one says what
    went wrong in words a report can use ("certificate has expired", "Connection refused")."""
    inner = exc
    while type(inner).__module__.split(".")[0] in _WRAPPERS:
        nested = inner.__cause__ or inner.__context__
        if nested is None:
            break
        inner = nested
    cause = inner.__cause__  # anyio: "All connection attempts failed" from the real errors
    if isinstance(cause, BaseExceptionGroup):
        cause = cause.exceptions[0]
    return cause if isinstance(cause, OSError) else inner
