"""Fetch web pages through the SSRF guard: one lookup per host, capped bodies, checked redirects.

A :class:`Fetcher` serves one scan. It resolves each host name once through
:func:`~scanners.addresses.resolve_checked` and remembers the verdict, so every later request
to that host (a redirect, a crawled link) connects to the same checked address and a DNS
server that changes its answer between lookups gains nothing. The request goes to the
address itself, with the name in the Host header and in SNI. Redirects are followed by hand,
each hop through the same guard, at most :data:`MAX_REDIRECTS` of them; a body is read up to
``max_bytes`` and then cut. Nothing here raises for the network's sake: a refused
connection, a blocked address or a timeout ends the :class:`Fetch` with an ``error``.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import dns.exception
import dns.resolver
import httpx

from scanners.addresses import AddressCheck, AllowPrivate, AsyncResolver, resolve_checked
from scanners.dns_probe import describe_dns_failure
from scanners.tls import ContextFactory, TlsMode, cached_contexts, describe_failure
from scanners.urls import normalise_url

MAX_REDIRECTS = 5
MAX_BODY_BYTES = 2_000_000  # enough for any real home page; a bigger body is cut, not read
DEFAULT_PORTS: Mapping[str, int] = {"http": 80, "https": 443}
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "riskapp-scanner (vendor risk assessment; +https://github.com/riskapp)"
_NETWORK_FAILURES = (httpx.HTTPError, OSError, ssl.SSLError, TimeoutError)
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
        """The absolute URL a redirect points to, or ``None`` when this is no redirect."""
        target = self.header("location")
        if self.status not in REDIRECT_STATUSES or not target:
            return None
        return urljoin(self.url, target.strip())

    @property
    def is_html(self) -> bool:
        kind = (self.header("content-type") or "").split(";")[0].strip().lower()
        return kind in ("text/html", "application/xhtml+xml", "")

    def text(self) -> str:
        """The body decoded with the charset the server named, UTF-8 otherwise."""
        charset = httpx.Headers(list(self.headers)).get("content-type", "")
        encoding = "utf-8"
        for part in charset.split(";")[1:]:
            key, _, value = part.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                encoding = value.strip().strip('"')
        try:
            return self.body.decode(encoding, "replace")
        except LookupError:
            return self.body.decode("utf-8", "replace")


@dataclass(frozen=True)
class Fetch:
    """A URL fetched, redirects and all.

    :param responses: every response in order; the last is the page the chain ended on.
    :param error: why the chain stopped before a final page ("" when it reached one).
    :param blocked: the addresses the guard refused on the way (no connection was made).
    """

    url: str
    responses: tuple[Response, ...] = ()
    error: str = ""
    blocked: tuple[AddressCheck, ...] = ()

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
    def __init__(self, reason: str, blocked: tuple[AddressCheck, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.blocked = blocked


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

    async def fetch(self, url: str, *, follow_redirects: bool = True,
                    verify: bool = False) -> Fetch:
        """GET ``url``; with ``verify`` the certificate must be valid for the host.

        Without ``verify`` any certificate is accepted: the TLS probe judges certificates,
        and a page behind a bad one still has headers and trackers worth reporting.
        """
        responses: list[Response] = []
        current = url
        try:
            async with asyncio.timeout(self.timeout * (MAX_REDIRECTS + 2)):
                for _ in range(MAX_REDIRECTS + 1):
                    response = await self._get(current, verify=verify)
                    responses.append(response)
                    if not follow_redirects or response.location is None:
                        return Fetch(url, tuple(responses))
                    current = response.location
                raise _Stop(f"more than {MAX_REDIRECTS} redirects")
        except _Stop as stop:
            return Fetch(url, tuple(responses), stop.reason, stop.blocked)
        except TimeoutError:
            return Fetch(url, tuple(responses), "timed out")

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
            raise _Stop(f"DNS lookup of {host} failed: {describe_dns_failure(exc)}") from None
        allowed = [check for check in checks if check.allowed]
        if allowed:
            return allowed[0].address
        if checks:
            refused = ", ".join(f"{c.address} ({c.reason})" for c in checks)
            raise _Stop(f"not connecting to {host}: {refused}", tuple(checks))
        raise _Stop(f"{host} has no A or AAAA record")

    async def _get(self, url: str, *, verify: bool) -> Response:
        url = normalise_url(url)
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
        if scheme not in DEFAULT_PORTS or not host:
            raise _Stop(f"not an http(s) URL: {url}")
        try:
            port = parts.port or self.ports[scheme]
        except ValueError:
            raise _Stop(f"bad port in {url}") from None
        address = await self._address(host, port)
        netloc = f"[{address}]" if ":" in address else address
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {"Host": parts.netloc.rpartition("@")[2], "User-Agent": USER_AGENT,
                   "Accept": "text/html,*/*;q=0.5"}
        request = httpx.Request("GET", f"{scheme}://{netloc}:{port}{target}", headers=headers,
                                extensions={"sni_hostname": host} if scheme == "https" else {})
        try:
            return await self._send(request, url, address, verify=verify)
        except _NETWORK_FAILURES as exc:
            raise _Stop(describe_failure(_cause(exc))) from None

    async def _send(self, request: httpx.Request, url: str, address: str, *,
                    verify: bool) -> Response:
        mode = TlsMode.VERIFY if verify else TlsMode.NO_VERIFY
        # No keep-alive: a pooled connection would carry one host's SNI into another's request.
        async with httpx.AsyncClient(
            verify=self.ssl_context_factory(mode), trust_env=False, timeout=self.timeout,
            limits=httpx.Limits(max_keepalive_connections=0),
        ) as client:
            response = await client.send(request, stream=True)
            try:
                body, truncated = await self._read(response)
            finally:
                await response.aclose()
        return Response(url=url, address=address, status=response.status_code,
                        headers=_raw_headers(response), body=body,
                        truncated=truncated)

    async def _read(self, response: httpx.Response) -> tuple[bytes, bool]:
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > self.max_bytes:
                return bytes(body[: self.max_bytes]), True
        return bytes(body), False


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
