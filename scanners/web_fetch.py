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

Fetches that reach the same URL may share one request: give them one :class:`SharedHops`
(``https://host/`` asked for, and ``http://host/`` redirected there, are one page).

Requests are written and read with h11 (the HTTP/1.1 state machine below httpx) on a
connection of their own: an HTTP client would follow or parse redirects, decode bodies, pool
connections and read proxy settings from the environment, all of which this module does
itself or must not do, and its layers cost more CPU than the request.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import quote, urljoin, urlsplit

import dns.exception
import dns.resolver
import h11
import idna

from scanners.addresses import AddressCheck, AllowPrivate, AsyncResolver, resolve_checked
from scanners.dns_probe import HOST_LABEL, describe_dns_failure
from scanners.tls import ContextFactory, TlsMode, cached_contexts, describe_failure
from scanners.urls import normalise_url

MAX_REDIRECTS = 5
MAX_BODY_BYTES = 2_000_000  # enough for any real home page; a bigger body is cut, not read
DEFAULT_PORTS: Mapping[str, int] = {"http": 80, "https": 443}
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "riskapp-scanner (vendor risk assessment; +https://github.com/riskapp)"
_NETWORK_FAILURES = (h11.ProtocolError, OSError)  # ssl.SSLError and TimeoutError are OSErrors


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


_HopKey = tuple[str, bool, int]  # (normalised URL, verify, byte cap)


_Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]
_Endpoint = tuple[str, int, str]  # (address, port, the name in SNI)


@dataclass
class SharedHops:
    """Hops that several fetches of one site share: a URL is requested once, and every chain
    that reaches it gets the same response (or the same reason it failed).

    It also holds TLS connections another probe opened to the site and left unused (the TLS
    probe's handshake): the first request to that endpoint is sent on one instead of paying
    for a handshake of its own. Scoped by the caller (one site's fetches), who must
    :meth:`close` it, so nothing outlives the site's facts.
    """

    _hops: dict[_HopKey, asyncio.Future[Response]] = field(default_factory=dict)
    _connections: dict[tuple[_Endpoint, bool], _Stream] = field(default_factory=dict)

    def hop(self, key: _HopKey, request: Callable[[], Awaitable[Response]]
            ) -> Awaitable[Response]:
        """The response for ``key``: ``request()`` the first time, the same result after."""
        return started_once(self._hops, key, request)

    def offer(self, endpoint: _Endpoint, stream: _Stream, *, verified: bool) -> None:
        """An open TLS connection to ``endpoint``, for one request; ``verified``: its
        certificate passed the checks a verifying request would make."""
        old = self._connections.pop((endpoint, verified), None)
        if old is not None:
            old[1].transport.abort()
        self._connections[(endpoint, verified)] = stream

    def take(self, endpoint: _Endpoint, *, verify: bool) -> _Stream | None:
        """An offered connection fit for a request that does (or need not) verify."""
        for verified in (True,) if verify else (True, False):
            stream = self._connections.pop((endpoint, verified), None)
            if stream is not None:
                return stream
        return None

    def close(self) -> None:
        """Abort every connection nobody took."""
        for _, writer in self._connections.values():
            writer.transport.abort()
        self._connections.clear()


K = TypeVar("K")
T = TypeVar("T")


def started_once(futures: dict[K, asyncio.Future[T]], key: K,
                 start: Callable[[], Awaitable[T]]) -> Awaitable[T]:
    """``start()`` the first time ``key`` is asked for; every caller shares its result, and a
    caller cancelled while waiting does not cancel it for the others."""
    if key not in futures:
        futures[key] = asyncio.ensure_future(start())
    return asyncio.shield(futures[key])


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
                    max_bytes: int | None = None, shared: SharedHops | None = None) -> Fetch:
        """GET ``url``; with ``verify`` the certificate must be valid for the host.

        Without ``verify`` any certificate is accepted: the TLS probe judges certificates,
        and a page behind a bad one still has headers and trackers worth reporting.
        ``max_bytes`` lowers the body cap for this fetch. Fetches given one ``shared`` request
        each URL once between them.
        """
        max_bytes = min(max_bytes or self.max_bytes, self.max_bytes)
        responses: list[Response] = []
        current = url
        try:
            for _ in range(MAX_REDIRECTS + 1):
                response = await self._shared_hop(current, verify=verify, max_bytes=max_bytes,
                                                  shared=shared)
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
        return await started_once(self._addresses, host, lambda: resolve_checked(
            host, port, resolver=self.resolver, allow_private=self.allow_private))

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

    def _shared_hop(self, url: str, *, verify: bool, max_bytes: int,
                    shared: SharedHops | None) -> Awaitable[Response]:
        def request() -> Awaitable[Response]:
            return self._hop(url, verify=verify, max_bytes=max_bytes, shared=shared)

        if shared is None:
            return request()
        return shared.hop((_hop_key(url), verify, max_bytes), request)

    async def _hop(self, url: str, *, verify: bool, max_bytes: int,
                   shared: SharedHops | None = None) -> Response:
        try:
            async with asyncio.timeout(self.timeout * 2):
                return await self._get(url, verify=verify, max_bytes=max_bytes, shared=shared)
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

    async def _get(self, url: str, *, verify: bool, max_bytes: int,
                   shared: SharedHops | None) -> Response:
        url, scheme, port, host, host_header = self._target(url)
        address = await self._address(host, port)
        parts = urlsplit(url)
        target = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                       safe=_TARGET_SAFE)
        headers = [("Host", host_header), ("User-Agent", USER_AGENT),
                   ("Accept-Encoding", "identity"), ("Accept", "text/html,*/*;q=0.5")]
        mode = TlsMode.VERIFY if verify else TlsMode.NO_VERIFY
        context = self.ssl_context_factory(mode) if scheme == "https" else None
        offered = shared.take((address, port, host), verify=verify) \
            if shared is not None and context is not None else None
        request = h11.Request(method="GET", target=target, headers=headers)
        try:
            status, raw_headers, raw, truncated = await self._request(
                request, (address, port, host), context, offered, max_bytes)
        except _NETWORK_FAILURES as exc:
            raise _Stop(describe_failure(exc)) from None
        encodings = next((v for k, v in raw_headers if k.lower() == "content-encoding"), "")
        body, cut = _inflate(raw, encodings, max_bytes)
        return Response(url=url, address=address, status=status, headers=raw_headers,
                        body=body, truncated=truncated or cut)

    async def _request(self, request: h11.Request, endpoint: _Endpoint,
                       context: ssl.SSLContext | None, offered: _Stream | None, max_bytes: int
                       ) -> tuple[int, tuple[tuple[str, str], ...], bytes, bool]:
        """``request`` on the ``offered`` connection if there is one, else on a new one."""
        if offered is not None:
            try:
                return await self._exchange(offered, request, max_bytes)
            except _NETWORK_FAILURES:
                pass  # the server may have closed it before this request came: ask afresh
        return await self._exchange(await self._connect(*endpoint, context), request, max_bytes)

    async def _connect(self, address: str, port: int, host: str,
                       context: ssl.SSLContext | None) -> _Stream:
        """A connection of its own to ``address``, with ``host`` in SNI. A connection serves
        one request and is never pooled: it would carry one host's SNI into another's."""
        async with asyncio.timeout(self.timeout):
            return await asyncio.open_connection(
                address, port, ssl=context, server_hostname=host if context else None,
                ssl_handshake_timeout=self.timeout if context else None)

    async def _exchange(self, stream: _Stream, request: h11.Request, max_bytes: int
                        ) -> tuple[int, tuple[tuple[str, str], ...], bytes, bool]:
        """One request on ``stream``, closed afterwards: the status, the headers as the
        server spelled them, the body up to ``max_bytes`` and whether it was cut."""
        reader, writer = stream
        try:
            connection = h11.Connection(h11.CLIENT)
            writer.write(connection.send(request) + connection.send(h11.EndOfMessage()))
            async with asyncio.timeout(self.timeout):
                await writer.drain()
            events = _events(connection, reader, self.timeout)
            response = await _response(events, reader)
            body, truncated = await _read_body(events, max_bytes)
        finally:
            writer.transport.abort()  # nothing more to say; a polite TLS close could stall
        headers = tuple((name.decode("latin-1"), value.decode("latin-1"))
                        for name, value in response.headers.raw_items())
        return response.status_code, headers, body, truncated


def _hop_key(url: str) -> str:
    try:
        return normalise_url(url)
    except ValueError:  # no URL at all: the hop itself says so, under the text as given
        return url


def _ascii_host(hostname: str) -> str:
    """An IP literal as written, or a name in the ASCII form DNS and TLS use (IDNA 2008)."""
    if not hostname:
        return ""
    if _is_plain_name(hostname):
        return hostname
    try:
        return str(ipaddress.ip_address(hostname))
    except ValueError:
        return idna.encode(hostname, uts46=True).decode("ascii")


_MAX_NAME = 253  # characters in a host name, as idna counts them


def _is_plain_name(hostname: str) -> bool:
    """Whether ``hostname`` is already in the form idna would give: most are, and idna's
    checks cost a third of a millisecond a name, on every request.

    IDNA 2008 leaves a lower-case letters-digits-hyphens label as it is; "xn--" and any other
    hyphens in the third and fourth places go through idna, which checks them.
    """
    labels = hostname.split(".")
    return len(hostname) <= _MAX_NAME and not labels[-1].isdigit() and all(
        HOST_LABEL.fullmatch(label) and label[2:4] != "--" for label in labels)


_READ_BYTES = 65_536
# What a request target may hold as it is (RFC 3986 reserved characters, and "%" so escapes
# stay escapes); anything else, spaces and non-ASCII included, is percent-encoded as browsers do.
_TARGET_SAFE = "!#$%&'()*+,/:;=?@[]~"


async def _events(connection: h11.Connection, reader: asyncio.StreamReader, timeout: float
                  ) -> AsyncIterator[h11.Event]:
    """What the server says, as h11 events; every read is bounded by ``timeout``."""
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            async with asyncio.timeout(timeout):
                data = await _read(reader)
            connection.receive_data(data)
            continue
        yield event  # type: ignore[misc]


async def _read(reader: asyncio.StreamReader) -> bytes:
    """The next bytes; ``b""`` at the end, also when a TLS server closed without saying so
    (as many do, and as browsers accept)."""
    try:
        return await reader.read(_READ_BYTES)
    except ssl.SSLError as exc:
        if isinstance(exc, ssl.SSLEOFError) or exc.reason == "UNEXPECTED_EOF_WHILE_READING":
            return b""
        raise


async def _response(events: AsyncIterator[h11.Event], reader: asyncio.StreamReader
                    ) -> h11.Response:
    """The response's head, past any 1xx; h11's complaint in plainer words when the server
    hung up first."""
    try:
        event = await anext(events)
        while isinstance(event, h11.InformationalResponse):  # 100 Continue and kin
            event = await anext(events)
    except h11.RemoteProtocolError:
        if reader.at_eof():
            raise h11.RemoteProtocolError("the server closed the connection without a "
                                          "response") from None
        raise
    if not isinstance(event, h11.Response):
        raise h11.RemoteProtocolError("the server closed the connection without a response")
    return event


async def _read_body(events: AsyncIterator[h11.Event], max_bytes: int) -> tuple[bytes, bool]:
    body = bytearray()
    async for event in events:
        if isinstance(event, h11.Data):
            body += event.data
            if len(body) > max_bytes:
                return bytes(body[:max_bytes]), True
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            break
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
