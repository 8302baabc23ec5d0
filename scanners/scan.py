"""Scan whole domains: run the registered probes on each, concurrently, and collect reports.

The registry is explicit: :class:`Probe` names every probe that exists and :data:`PROBES` maps
each name to its coroutine. A probe takes the domain and the shared :class:`ScanContext` and
returns findings. What several probes need is gathered once per domain and shared: the DNS
facts (the SMTP probe takes its MX hosts from them) and the web hosts' facts (the headers and
tracking probes read the pages the web probe fetched). :func:`scan_domains` runs domains
concurrently, at most ``concurrency`` at a time, and turns whatever happens to a domain (a
name that does not exist, a resolver that never answers, a probe that fails) into a
:class:`DomainReport`, never an exception.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

import dns.asyncresolver
import dns.resolver

from scanners.addresses import AllowPrivate
from scanners.dns_probe import (
    HOST_LABEL,
    DnsFacts,
    LookupStatus,
    analyse_dns,
    gather_dns_facts,
    starts_with_tag,
)
from scanners.dns_probe import make_resolver as _make_resolver
from scanners.dns_probe import normalise_domain as _normalise_domain
from scanners.findings import Finding
from scanners.https_probe import (
    HTTP_PORT,
    HTTPS_PORT,
    SiteFacts,
    analyse_sites,
    final_pages,
    gather_site,
    web_hosts,
)
from scanners.mta_sts import analyse_announcements, analyse_policy, fetch_policy
from scanners.page_crawl import trackers_on_site
from scanners.smtp_probe import SMTP_PORT, probe_mx_hosts
from scanners.tls import ContextFactory, cached_contexts
from scanners.tracking import tracking_findings
from scanners.web_fetch import Fetcher, started_once
from scanners.web_headers import analyse_response_headers

DEFAULT_CONCURRENCY = 10  # domains scanned at once
DEFAULT_TIMEOUT = 5.0  # seconds for one step: a DNS lookup, a connection, a reply, a handshake
DNS_PORT = 53
DNS_CACHE_ENTRIES = 10_000  # answers one scan keeps


class Probe(StrEnum):
    """Every probe a scan can run; ``--only`` accepts exactly these names."""

    DNS = "dns"  # DNS and mail authentication, the MTA-STS policy fetch included
    SMTP = "smtp"
    WEB = "web"  # HTTPS reachability, TLS versions, certificates, the HTTP redirect
    HEADERS = "headers"  # response headers and cookies of the final HTTPS page
    TRACKING = "tracking"


class ProbeNotRun(Exception):  # noqa: N818 - reads as the report's words: "tracking not run"
    """A probe had nothing to work on (no page to read); the report says why, in words."""


@dataclass(frozen=True, kw_only=True)
class ScanContext:
    """What every probe of one scan shares.

    :param resolver: asks every DNS question of the scan; its lifetime bounds each lookup.
    :param timeout: seconds for each network step (a lookup, a connection, a reply, a handshake).
    :param allow_private: connect to private and loopback addresses too (a lab); a set of
        :class:`~scanners.addresses.BlockReason` lifts only those blocks.
    :param ssl_context_factory: TLS client contexts, trusting any extra CA the user gave.
    :param semaphore: how many domains are scanned at once.
    :param smtp_port, https_port, http_port: where the probes connect: 25, 443 and 80 in
        every real scan; the tests point them at the lab's servers.
    :param shared: what probes of one domain share, by (what, domain), each computed once;
        one context serves one scan (one event loop).
    :param notes: by domain, what a probe could not check though it ran (a lookup that
        failed, say), reported with the domain's errors.
    """

    resolver: dns.asyncresolver.Resolver
    timeout: float = DEFAULT_TIMEOUT
    allow_private: AllowPrivate = False
    ssl_context_factory: ContextFactory = field(default_factory=cached_contexts)
    semaphore: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(DEFAULT_CONCURRENCY))
    smtp_port: int = SMTP_PORT
    https_port: int = HTTPS_PORT
    http_port: int = HTTP_PORT
    shared: dict[tuple[str, str], asyncio.Future[Any]] = field(
        default_factory=dict, repr=False, compare=False)
    notes: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)

    def note(self, domain: str, text: str) -> None:
        """Record something a probe could not check, for the domain's ``errors``."""
        self.notes.setdefault(domain, []).append(text)

    @functools.cached_property
    def fetcher(self) -> Fetcher:
        """Every web request of the scan; it resolves each host once, through the guard."""
        return Fetcher(resolver=self.resolver, timeout=self.timeout,
                       allow_private=self.allow_private,
                       ports={"https": self.https_port, "http": self.http_port},
                       ssl_context_factory=self.ssl_context_factory)


@dataclass(frozen=True)
class DomainReport:
    """The outcome of scanning one domain.

    :param findings: highest severity first.
    :param errors: what the scan could not do, in words ("DNS lookups failed: ...").
    :param duration: seconds the domain's probes took, waiting for a free slot excluded.
    """

    domain: str
    findings: tuple[Finding, ...]
    errors: tuple[str, ...]
    duration: float


# --- probes ----------------------------------------------------------------------------------


T = TypeVar("T")


def _shared(
    context: ScanContext, what: str, domain: str, gather: Callable[[], Awaitable[T]]
) -> Awaitable[T]:
    """The first caller starts ``gather``; later callers of the same domain share its result."""
    return started_once(context.shared, (what, domain), gather)


def domain_dns_facts(domain: str, context: ScanContext) -> Awaitable[DnsFacts]:
    return _shared(context, "dns", domain,
                   lambda: gather_dns_facts(domain, resolver=context.resolver))


async def probe_dns(domain: str, context: ScanContext) -> list[Finding]:
    facts = await domain_dns_facts(domain, context)
    findings = analyse_dns(facts)
    announced = [r for r in facts.mta_sts.records if starts_with_tag(r, "v=STSv1")]
    if (several := analyse_announcements(domain, facts.mta_sts.name, announced)) is not None:
        return [*findings, several]
    if announced:
        fetch = await fetch_policy(domain, context.fetcher)
        if fetch.dns_failed:
            context.note(domain, f"MTA-STS policy not checked: {fetch.error}")
        else:
            findings += analyse_policy(domain, fetch)
    return findings


def mx_hosts(facts: DnsFacts) -> list[str]:
    """The MX exchanges, lowest preference first, without the null MX's root."""
    if facts.mx.status is not LookupStatus.ANSWER:
        return []
    pairs = sorted((int(pref), host.rstrip(".").lower())
                   for pref, host in (record.split() for record in facts.mx.records))
    return list(dict.fromkeys(host for _, host in pairs if host))


async def probe_mail_servers(domain: str, context: ScanContext) -> list[Finding]:
    facts = await domain_dns_facts(domain, context)
    servers = await probe_mx_hosts(
        mx_hosts(facts), resolver=context.resolver, timeout=context.timeout,
        port=context.smtp_port, ssl_context_factory=context.ssl_context_factory,
        allow_private=context.allow_private)
    for host, why in servers.failed_lookups:
        context.note(domain, f"smtp not checked on {host}: DNS lookup failed ({why})")
    return servers.findings


async def _gather_sites(domain: str, context: ScanContext) -> tuple[SiteFacts, ...]:
    return tuple(await asyncio.gather(*(
        gather_site(host, context.fetcher, timeout=context.timeout,
                    ssl_context_factory=context.ssl_context_factory)
        for host in web_hosts(domain))))


def domain_sites(domain: str, context: ScanContext) -> Awaitable[tuple[SiteFacts, ...]]:
    return _shared(context, "web", domain, lambda: _gather_sites(domain, context))


async def probe_web(domain: str, context: ScanContext) -> list[Finding]:
    sites = await domain_sites(domain, context)
    failed = [site for site in sites if site.lookup_failed]
    if failed and not any(site.resolves for site in sites):
        raise ProbeNotRun(f"DNS lookups failed: {'; '.join(s.lookup_error for s in failed)}")
    # The other host was checked; this one may be anything, so the report must say so.
    for site in failed:
        why = site.lookup_error.removeprefix(f"{site.host}: ")
        context.note(domain, f"web not checked on {site.host}: DNS lookup failed ({why})")
    return analyse_sites(domain, sites)


async def probe_headers(domain: str, context: ScanContext) -> list[Finding]:
    pages = final_pages(await domain_sites(domain, context))
    if not pages:
        raise ProbeNotRun(_no_page(domain))
    return [found for page in pages for found in analyse_response_headers(page.url, page.headers)]


async def probe_tracking(domain: str, context: ScanContext) -> list[Finding]:
    pages = final_pages(await domain_sites(domain, context))
    home = next((page for page in pages if page.is_html), None)
    if home is None:
        raise ProbeNotRun(_no_page(domain))
    seen = await trackers_on_site(home, context.fetcher)
    return tracking_findings(seen.hits_by_page, phi_pages=seen.phi_pages)


def _no_page(domain: str) -> str:
    hosts = " or ".join(web_hosts(domain))
    return f"no web page of {hosts} could be read over HTTPS"


ProbeFunction = Callable[[str, ScanContext], Awaitable[list[Finding]]]

PROBES: dict[Probe, ProbeFunction] = {
    Probe.DNS: probe_dns,
    Probe.SMTP: probe_mail_servers,
    Probe.WEB: probe_web,
    Probe.HEADERS: probe_headers,
    Probe.TRACKING: probe_tracking,
}


# --- scanning --------------------------------------------------------------------------------


def _sorted(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=lambda f: (-f.severity.rank, f.id, f.target)))


def _dns_errors(domain: str, context: ScanContext) -> list[str]:
    future = context.shared.get(("dns", domain))
    if future is None or not future.done() or future.cancelled() or future.exception():
        return []
    failed = future.result().failed_lookups
    if not failed:
        return []
    return ["DNS lookups failed: " + "; ".join(
        f"{lookup.name} {lookup.rdtype} ({lookup.error})" for lookup in failed)]


async def scan_domain(domain: str, *, only: Sequence[Probe], context: ScanContext) -> DomainReport:
    """Run the ``only`` probes on ``domain`` (already normalised) once a slot is free."""
    async with context.semaphore:
        started = time.monotonic()
        results = await asyncio.gather(
            *(PROBES[probe](domain, context) for probe in only), return_exceptions=True)
        findings: list[Finding] = []
        errors: list[str] = []
        for probe, result in zip(only, results, strict=True):
            if isinstance(result, ProbeNotRun):
                errors.append(f"{probe} not run: {result}")
            elif isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result  # cancellation and interrupts are not the domain's doing
                errors.append(f"{probe} probe failed: {type(result).__name__}: {result}")
            else:
                findings.extend(result)
        errors = _dns_errors(domain, context) + context.notes.get(domain, []) + errors
        return DomainReport(domain=domain, findings=_sorted(findings), errors=tuple(errors),
                            duration=time.monotonic() - started)


async def scan_domains(
    domains: Sequence[str], *, only: Sequence[Probe] = tuple(Probe), context: ScanContext
) -> list[DomainReport]:
    """Scan every domain concurrently (bounded by the context's semaphore), in input order.

    :raises ValueError: before any network use, when a domain is not a host name.
    """
    names = normalise_domains(domains)
    return list(await asyncio.gather(
        *(scan_domain(name, only=only, context=context) for name in names)))


# --- input -----------------------------------------------------------------------------------


def normalise_domain(text: str) -> str:
    """A vendor's domain in lower-case ASCII; ValueError unless it is a dotted host name."""
    name = _normalise_domain(text)
    labels = name.split(".")
    if len(labels) < 2 or not all(HOST_LABEL.fullmatch(label) for label in labels):
        raise ValueError(f"not a domain name: {text!r}")
    if labels[-1].isdigit():
        raise ValueError(f"not a domain name (an address?): {text!r}")
    return name


def normalise_domains(domains: Iterable[str]) -> list[str]:
    """Every domain normalised, repeats dropped, in input order; ValueError for the first bad."""
    return list(dict.fromkeys(normalise_domain(domain) for domain in domains))


def parse_resolver(text: str) -> tuple[str, int]:
    """``IP``, ``IP:PORT``, ``IPv6`` or ``[IPv6]:PORT`` -> (address, port)."""
    host, port = text, str(DNS_PORT)
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"bad resolver {text!r}: expected IP[:PORT]")
            port = rest[1:]
    elif text.count(":") == 1:
        host, port = text.split(":")
    try:
        address = str(ipaddress.ip_address(host))
    except ValueError:
        raise ValueError(f"bad resolver {text!r}: not an IP address") from None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"bad resolver {text!r}: bad port {port!r}")
    return address, int(port)


def parse_only(text: str) -> tuple[Probe, ...]:
    """``dns,smtp`` -> the probes, in registry order; ValueError naming an unknown probe."""
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    known = {probe.value for probe in Probe}
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise ValueError(f"unknown probe {', '.join(unknown) or '(none given)'!s}; "
                         f"choose from {', '.join(Probe)}")
    return tuple(probe for probe in Probe if probe.value in names)


def check_ca_file(path: str) -> str:
    """Return ``path`` if it holds PEM certificates TLS can trust; ValueError otherwise."""
    try:
        # A bare context: the system's trust store has nothing to say about this file.
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=path)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"cannot use CA file {path}: {getattr(exc, 'strerror', None) or exc}"
                         ) from exc
    return path


def make_context(
    *,
    resolver: tuple[str, int] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    ca_file: str | None = None,
    allow_private: AllowPrivate = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    smtp_port: int = SMTP_PORT,
    https_port: int = HTTPS_PORT,
    http_port: int = HTTP_PORT,
) -> ScanContext:
    """A context for one scan; call it inside the event loop that runs the scan."""
    nameserver, port = resolver if resolver is not None else (None, DNS_PORT)
    contexts = cached_contexts(ca_file)
    dns_resolver = _make_resolver(nameserver, port=port, timeout=timeout)
    # Vendors share SPF includes and mail hosts: one scan asks each question once while the
    # answer's TTL lasts. Timeouts and SERVFAILs are never kept; every address still meets the
    # guard.
    dns_resolver.cache = dns.resolver.LRUCache(DNS_CACHE_ENTRIES)
    return ScanContext(
        resolver=dns_resolver, timeout=timeout,
        allow_private=allow_private, ssl_context_factory=contexts,
        semaphore=asyncio.Semaphore(concurrency), smtp_port=smtp_port, https_port=https_port,
        http_port=http_port)
