"""HTTPS on a vendor's domain and its ``www.``: reachability, TLS versions, certificates, redirect.

Fetch, then analyse. :func:`probe_tls` handshakes with one already-checked address: first
verifying the certificate, then (when only the certificate failed) without verifying, to
learn what the server negotiates and what its certificate says, and then offering only TLS
1.0 and 1.1. :func:`gather_site` adds the two page fetches (``https://host/`` and
``http://host/``, redirects followed through the guard) and keeps it all in
:class:`SiteFacts`; :func:`analyse_sites` turns the facts of the domain and its ``www.``
into findings without touching the network.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import dns.exception
import dns.resolver

from scanners.addresses import AddressCheck, endpoint
from scanners.catalog import finding
from scanners.dns_probe import describe_dns_failure
from scanners.findings import Finding
from scanners.tls import (
    LOCAL_REFUSALS,
    Certificate,
    CertProblem,
    ContextFactory,
    Handshake,
    OutdatedTls,
    TlsMode,
    can_offer_outdated,
    certificate_problem,
    describe_failure,
    handshake_of,
    read_certificate,
)
from scanners.web_fetch import Fetch, Fetcher, Response, SharedHops

HTTPS_PORT = 443
HTTP_PORT = 80
EXPIRY_WARNING = dt.timedelta(days=30)

_FAILURES = (OSError, TimeoutError, ssl.SSLError, asyncio.IncompleteReadError)
_CERT_FINDINGS = {
    CertProblem.EXPIRED: "web.cert.expired",
    CertProblem.HOSTNAME_MISMATCH: "web.cert.hostname_mismatch",
    CertProblem.UNTRUSTED: "web.cert.untrusted",
}


@dataclass(frozen=True)
class TlsFacts:
    """What the TLS endpoint of one host at one address showed.

    :param error: why no handshake completed at all (refused, timed out, not TLS); "" if one did.
    :param certificate: the leaf certificate, read whether or not it verified.
    :param verified: the chain and host name verified, as a browser would require.
    :param cert_problem: why verification failed, when it did.
    """

    host: str
    address: str
    port: int
    error: str = ""
    handshake: Handshake | None = None
    certificate: Certificate | None = None
    verified: bool = False
    cert_problem: CertProblem | None = None
    cert_error: str = ""
    outdated: OutdatedTls = OutdatedTls.NOT_TESTED
    outdated_handshake: Handshake | None = None
    outdated_note: str = ""

    @property
    def endpoint(self) -> str:
        return endpoint(self.address, self.port)


_Keep = Callable[[tuple[asyncio.StreamReader, asyncio.StreamWriter], bool], None]


async def _handshake(
    host: str, address: str, port: int, timeout: float, context: ssl.SSLContext,
    keep: _Keep | None = None,
) -> tuple[Handshake, Certificate | None]:
    """Handshake and read what was negotiated; the connection is closed, or handed to
    ``keep`` (with whether its certificate verified) for a request to use."""
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(
            address, port, ssl=context, server_hostname=host, ssl_handshake_timeout=timeout)
    try:
        tls = writer.get_extra_info("ssl_object")
        found = handshake_of(tls), read_certificate(tls.getpeercert(binary_form=True))
    except BaseException:
        writer.transport.abort()
        raise
    if keep is None:
        writer.transport.abort()  # nothing more to say; a polite TLS close could stall
    else:
        keep((reader, writer), context.verify_mode != ssl.CERT_NONE)
    return found


async def _offer_outdated(facts: TlsFacts, timeout: float, factory: ContextFactory) -> TlsFacts:
    if not can_offer_outdated():
        return replace(facts, outdated_note="this OpenSSL cannot offer TLS 1.0 or 1.1")
    try:
        context = factory(TlsMode.OUTDATED_ONLY)
        handshake, _ = await _handshake(facts.host, facts.address, facts.port, timeout, context)
    except ValueError as exc:  # the factory cannot set the versions
        return replace(facts, outdated_note=f"not tested: {exc}")
    except _FAILURES as exc:
        if getattr(exc, "reason", None) in LOCAL_REFUSALS:
            return replace(facts, outdated_note=f"this client cannot offer them: {exc}")
        return replace(facts, outdated=OutdatedTls.REFUSED, outdated_note=describe_failure(exc))
    return replace(facts, outdated=OutdatedTls.ACCEPTED, outdated_handshake=handshake)


async def probe_tls(
    host: str, address: str, *, port: int = HTTPS_PORT, timeout: float,
    ssl_context_factory: ContextFactory,
) -> TlsFacts:
    """Handshake with ``host`` at ``address`` (already checked by the SSRF guard).

    ``timeout`` bounds each handshake; at most three are made.
    """
    facts, finished = await _certificate_handshakes(
        host, address, port=port, timeout=timeout, ssl_context_factory=ssl_context_factory)
    return await _with_outdated_offer(facts, finished, timeout, ssl_context_factory)


async def _with_outdated_offer(facts: TlsFacts, finished: bool, timeout: float,
                               ssl_context_factory: ContextFactory) -> TlsFacts:
    """``facts``, with the outdated-versions handshake added unless the first ones settled it."""
    if finished:
        return facts
    return await _offer_outdated(facts, timeout, ssl_context_factory)


async def _certificate_handshakes(
    host: str, address: str, *, port: int, timeout: float, ssl_context_factory: ContextFactory,
    keep: _Keep | None = None,
) -> tuple[TlsFacts, bool]:
    """Verifying the certificate, and without verifying when only the certificate failed;
    and whether that is all there is to learn (nothing listens, or answers, at all).
    ``keep`` receives the connection that completed, if one did."""
    facts = TlsFacts(host=host, address=address, port=port)
    where = (host, address, port, timeout)
    try:
        handshake, cert = await _handshake(*where, ssl_context_factory(TlsMode.VERIFY), keep)
        facts = replace(facts, handshake=handshake, certificate=cert, verified=True)
    except ssl.SSLCertVerificationError as exc:
        facts = replace(facts, cert_problem=certificate_problem(exc),
                        cert_error=describe_failure(exc))
        try:
            handshake, cert = await _handshake(
                *where, ssl_context_factory(TlsMode.NO_VERIFY), keep)
        except _FAILURES as again:
            return replace(facts, error=describe_failure(again)), True
        facts = replace(facts, handshake=handshake, certificate=cert)
    except _FAILURES as exc:
        facts = replace(facts, error=describe_failure(exc))
        # Nothing listens, or nothing answers: no other version will do. Any other failure
        # may be a server that speaks only TLS 1.0 or 1.1, which the next test tells.
        return facts, isinstance(exc, ConnectionRefusedError | TimeoutError)
    return facts, False


# --- one host ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteFacts:
    """One web host (the domain or its ``www.``) as the scan saw it.

    :param lookup_error: why the host has no address to try ("" when it has one).
    :param lookup_failed: the DNS lookup itself failed (timed out, server failure), so
        whether the host exists is unknown; a missing host is no failure.
    :param blocked: addresses the guard refused; with no allowed address, nothing else ran.
    :param tls: the handshakes with the first allowed address.
    :param https: ``https://host/`` fetched, redirects followed.
    :param http: ``http://host/`` fetched, redirects followed.
    """

    host: str
    lookup_error: str = ""
    lookup_failed: bool = False
    blocked: tuple[AddressCheck, ...] = ()
    tls: TlsFacts | None = None
    https: Fetch | None = None
    http: Fetch | None = None

    @property
    def resolves(self) -> bool:
        return not self.lookup_error


async def gather_site(
    host: str, fetcher: Fetcher, *, timeout: float, ssl_context_factory: ContextFactory,
) -> SiteFacts:
    """Resolve ``host`` once through the guard, then handshake and fetch both schemes."""
    port = fetcher.ports["https"]
    try:
        checks = await fetcher.addresses(host, port)
    except dns.resolver.NXDOMAIN:
        return SiteFacts(host, lookup_error=f"{host}: no such name")
    except (dns.exception.DNSException, OSError) as exc:
        return SiteFacts(host, lookup_error=f"{host}: {describe_dns_failure(exc)}",
                         lookup_failed=True)
    if not checks:
        return SiteFacts(host, lookup_error=f"{host}: no A or AAAA record")
    allowed = [check for check in checks if check.allowed]
    blocked = tuple(check for check in checks if not check.allowed)
    if not allowed:
        return SiteFacts(host, blocked=blocked)
    # http:// usually redirects to the very page https:// fetches, and the TLS probe's
    # handshake leaves a connection that page can be asked on: one handshake, one request.
    shared = SharedHops()
    address = allowed[0].address
    try:
        facts, finished = await _certificate_handshakes(
            host, address, port=port, timeout=timeout, ssl_context_factory=ssl_context_factory,
            keep=lambda stream, verified: shared.offer((address, port, host), stream,
                                                       verified=verified))
        tls, https, http = await asyncio.gather(
            _with_outdated_offer(facts, finished, timeout, ssl_context_factory),
            fetcher.fetch(f"https://{host}/", shared=shared),
            fetcher.fetch(f"http://{host}/", shared=shared),
        )
    finally:
        shared.close()
    return SiteFacts(host, blocked=blocked, tls=tls, https=https, http=http)


def web_hosts(domain: str) -> tuple[str, ...]:
    """The hosts a web scan of ``domain`` covers: the domain and its ``www.``."""
    if domain.startswith("www."):
        return (domain,)
    return (domain, f"www.{domain}")


# --- analysis ----------------------------------------------------------------------------------


def _blocked(host: str, checks: Sequence[AddressCheck], via: str = "") -> list[Finding]:
    return [
        finding("scan.blocked_address", target=host,
                evidence=f"{via}{c.host} -> {c.address} ({c.reason})")
        for c in checks
    ]


def _unreachable(site: SiteFacts) -> Finding | None:
    tls = site.tls
    if tls is not None and tls.error:
        return finding(
            "web.https.unreachable", target=site.host, evidence=f"{tls.endpoint} {tls.error}",
            detail=f"No TLS connection to {site.host} on port {tls.port}: {tls.error}.")
    https = site.https
    if https is not None and https.final is None and not https.blocked:
        return finding(
            "web.https.unreachable", target=site.host, evidence=https.chain(),
            detail=f"A TLS connection to {site.host} opens, but no web page comes back over "
                   f"it: {https.error}.")
    return None


def _certificate(tls: TlsFacts, now: dt.datetime) -> list[Finding]:
    cert = tls.certificate
    described = cert.describe() if cert else "a certificate this scanner could not read"
    findings = []
    if tls.cert_problem is not None:
        findings.append(finding(
            _CERT_FINDINGS[tls.cert_problem], target=tls.host,
            evidence=f"{tls.endpoint} {tls.cert_error}; {described}",
            detail=f"The certificate {tls.host} presents did not verify: {tls.cert_error}."))
    if cert is None:
        return findings
    left = cert.not_after - now
    if left.total_seconds() < 0 and tls.cert_problem is not CertProblem.EXPIRED:
        # OpenSSL names one problem only: an untrusted or misnamed certificate may be
        # expired as well, and the report should say so.
        findings.append(finding(
            "web.cert.expired", target=tls.host, evidence=f"{tls.endpoint} {described}",
            detail=f"The certificate of {tls.host} expired on {cert.not_after:%Y-%m-%d}."))
    elif tls.verified and left < EXPIRY_WARNING:
        findings.append(finding(
            "web.cert.expiring_soon", target=tls.host, evidence=f"{tls.endpoint} {described}",
            detail=f"The certificate of {tls.host} expires in {max(left.days, 0)} day(s), on "
                   f"{cert.not_after:%Y-%m-%d}."))
    return findings


def _outdated_finding(tls: TlsFacts) -> Finding | None:
    old = tls.outdated_handshake
    if tls.outdated is not OutdatedTls.ACCEPTED or old is None:
        return None
    return finding(
        "web.tls.protocol_outdated", target=tls.host,
        evidence=f"{tls.endpoint} offered only TLS 1.0/1.1, negotiated {old.describe()}",
        detail=f"{tls.host} completes a handshake with {old.protocol}.")


def _no_redirect(site: SiteFacts) -> Finding | None:
    final = site.http.final if site.http else None
    if final is None or urlsplit(final.url).scheme == "https":
        return None  # ends on HTTPS, or nothing answers plain HTTP at all
    return finding(
        "web.http.no_redirect", target=f"http://{site.host}/", evidence=site.http.chain(),
        detail=f"http://{site.host}/ ends on a plain-HTTP page ({final.url}, status "
               f"{final.status}) instead of redirecting to HTTPS.")


def _redirects_blocked(site: SiteFacts) -> list[Finding]:
    """One finding per refused address a redirect led to, quoting the first chain that did."""
    first: dict[str, Finding] = {}
    fetches = [fetch for fetch in (site.https, site.http) if fetch is not None]
    for fetch in fetches:
        fresh = [check for check in fetch.blocked if check.address not in first]
        for found, check in zip(_blocked(site.host, fresh, f"{fetch.chain()}: "), fresh,
                                strict=True):
            first[check.address] = found
    return list(first.values())


def analyse_site(site: SiteFacts, *, now: dt.datetime) -> list[Finding]:
    """Findings for one host that resolved; a host with no address gives none here."""
    findings = _blocked(site.host, site.blocked)
    if site.tls is None:
        return findings
    if (down := _unreachable(site)) is not None:
        findings.append(down)
    if not site.tls.error:
        findings += _certificate(site.tls, now)
    if (outdated := _outdated_finding(site.tls)) is not None:
        findings.append(outdated)
    if (plain := _no_redirect(site)) is not None:
        findings.append(plain)
    return findings + _redirects_blocked(site)


def analyse_sites(domain: str, sites: Sequence[SiteFacts], *,
                  now: dt.datetime | None = None) -> list[Finding]:
    """Findings for the domain's web hosts; none of them existing is itself a finding, but a
    lookup that failed proves nothing (the caller reports it as an error)."""
    now = now or dt.datetime.now(dt.UTC)
    if any(site.lookup_failed for site in sites) and not any(s.resolves for s in sites):
        return []
    if not any(site.resolves for site in sites):
        reasons = "; ".join(site.lookup_error for site in sites)
        return [finding(
            "web.https.unreachable", target=domain, evidence=reasons,
            detail=f"No web host to connect to: {' and '.join(s.host for s in sites)} have "
                   "no address.")]
    unique: dict[tuple[str, str, str], Finding] = {}
    for site in sites:
        for found in analyse_site(site, now=now):
            unique.setdefault((found.id, found.target, found.evidence), found)
    return list(unique.values())


def final_pages(sites: Sequence[SiteFacts]) -> list[Response]:
    """The HTTPS pages the domain's and www.'s fetches ended on, one per URL, domain first."""
    pages: dict[str, Response] = {}
    for site in sites:
        final = site.https.final if site.https else None
        if final is not None and urlsplit(final.url).scheme == "https":
            pages.setdefault(final.url, final)
    return list(pages.values())
