"""SMTP on the MX hosts: does the server answer, offer STARTTLS, and with what TLS?

Fetch, then analyse: :func:`probe_smtp` talks to one already-checked address (banner, EHLO,
STARTTLS, handshake, QUIT; never a message) and keeps what it saw in :class:`SmtpFacts`;
:func:`analyse_smtp` turns those facts into findings without touching the network. Every
step has a timeout, and a refused connection, a silent server or a broken handshake becomes a
fact, never an exception. :func:`probe_mx_hosts` runs the SSRF guard on each MX host and
probes every allowed address concurrently.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, replace
from typing import Any

import dns.exception
import dns.resolver

from scanners.addresses import AddressCheck, AllowPrivate, AsyncResolver, endpoint, resolve_checked
from scanners.catalog import finding
from scanners.dns_probe import describe_dns_failure
from scanners.findings import Finding
from scanners.tls import (
    LOCAL_REFUSALS,
    ContextFactory,
    Handshake,
    OutdatedTls,
    TlsMode,
    can_offer_outdated,
    describe_failure,
    handshake_of,
    make_ssl_context,
)

SMTP_PORT = 25
EHLO_NAME = "scanner.invalid"  # RFC 6761: a name that is ours to use and resolves nowhere
_Lookup = Callable[[str], Awaitable[list[AddressCheck]]]
_LINE_LIMIT = 8192  # bytes in one reply line (RFC 5321 allows 512; leave room for chatter)
_MAX_REPLY_LINES = 100


@dataclass(frozen=True)
class SmtpFacts:
    """What one SMTP server at one address showed.

    :param error: why the server could not be reached or did not speak SMTP; empty when it did.
    :param ehlo: the EHLO reply lines (code stripped), the first being the server's greeting.
    :param handshake: the STARTTLS handshake, with the certificate verified when possible,
        otherwise without verification.
    :param tls_error: why STARTTLS, though offered, gave no handshake at all.
    :param cert_error: why the certificate failed verification (untrusted, expired, wrong
        name); empty when it verified or no handshake took place.
    :param outdated: whether the server accepts a handshake offering only TLS 1.0/1.1.
    :param outdated_note: why that test was not run, or how the server refused.
    """

    host: str
    address: str
    port: int
    error: str = ""
    banner: str = ""
    ehlo: tuple[str, ...] = ()
    starttls_offered: bool = False
    handshake: Handshake | None = None
    tls_error: str = ""
    cert_error: str = ""
    outdated: OutdatedTls = OutdatedTls.NOT_TESTED
    outdated_handshake: Handshake | None = None
    outdated_note: str = ""

    @property
    def endpoint(self) -> str:
        return endpoint(self.address, self.port)


class _ProtocolError(Exception):
    """The server sent a reply the conversation cannot go on from."""


@dataclass(frozen=True)
class _Session:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    banner: str
    ehlo: tuple[str, ...]
    timeout: float

    @property
    def offers_starttls(self) -> bool:
        return any(line.upper().split(" ")[0] == "STARTTLS" for line in self.ehlo[1:])


async def _reply(reader: asyncio.StreamReader, timeout: float, expect: int) -> list[str]:
    """Read one (possibly multi-line) reply and return its lines if its code is ``expect``."""
    lines: list[str] = []
    async with asyncio.timeout(timeout):
        while len(lines) < _MAX_REPLY_LINES:
            line = (await reader.readline()).decode("utf-8", "replace").rstrip("\r\n")
            if len(line) < 3 or not line[:3].isdigit():
                raise _ProtocolError(f"not an SMTP reply: {line[:80]!r}" if line else "closed")
            lines.append(line[4:])
            if line[3:4] == "-":
                continue
            if int(line[:3]) != expect:
                raise _ProtocolError(f"{line[:3]} {' '.join(lines)[:120]}")
            return lines
    raise _ProtocolError(f"reply longer than {_MAX_REPLY_LINES} lines")


async def _ask(session: _Session, command: str, expect: int) -> list[str]:
    session.writer.write(f"{command}\r\n".encode("ascii"))
    async with asyncio.timeout(session.timeout):
        await session.writer.drain()
    return await _reply(session.reader, session.timeout, expect)


async def _close(writer: asyncio.StreamWriter, timeout: float) -> None:
    writer.close()
    try:
        async with asyncio.timeout(timeout):
            await writer.wait_closed()
    except (OSError, TimeoutError, ssl.SSLError):
        writer.transport.abort()


@asynccontextmanager
async def _session(address: str, port: int, timeout: float) -> AsyncIterator[_Session]:
    """Connect to ``address`` (an IP literal: nothing is resolved), read the banner, EHLO."""
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(address, port, limit=_LINE_LIMIT)
    try:
        banner = await _reply(reader, timeout, 220)
        session = _Session(reader, writer, " ".join(banner), (), timeout)
        session = replace(session, ehlo=tuple(await _ask(session, f"EHLO {EHLO_NAME}", 250)))
        yield session
        with suppress(OSError, TimeoutError, _ProtocolError, ssl.SSLError):
            await _ask(session, "QUIT", 221)
    finally:
        await _close(writer, timeout)


async def _starttls(session: _Session, host: str, context: ssl.SSLContext) -> Handshake:
    """Upgrade ``session`` with STARTTLS and return what the handshake negotiated."""
    await session.writer.start_tls(
        context, server_hostname=host, ssl_handshake_timeout=session.timeout
    )
    return handshake_of(session.writer.get_extra_info("ssl_object"))


# Failures that end a conversation; each becomes a fact, in these words.
_FAILURES = (OSError, TimeoutError, _ProtocolError, ssl.SSLError, asyncio.IncompleteReadError)


class _TlsFailed(Exception):  # noqa: N818 - carries a failure out of a session, unseen
    """STARTTLS, though offered, gave no handshake; the session ends without a QUIT."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


async def _upgrade(session: _Session, host: str, factory: ContextFactory) -> Handshake:
    """STARTTLS on ``session``, verifying the certificate; a failure is the TLS's, not the
    server's reachability."""
    try:
        await _ask(session, "STARTTLS", 220)
        return await _starttls(session, host, factory(TlsMode.VERIFY))
    except _FAILURES as exc:
        raise _TlsFailed(exc) from exc


async def _tls_once(
    host: str, address: str, port: int, timeout: float, context: ssl.SSLContext
) -> Handshake:
    async with _session(address, port, timeout) as session:
        await _ask(session, "STARTTLS", 220)
        return await _starttls(session, host, context)


async def _tls_facts(
    facts: SmtpFacts, verified: Handshake | BaseException, timeout: float,
    factory: ContextFactory,
) -> dict[str, Any]:  # SmtpFacts fields to replace
    """The verifying handshake's outcome; if only the certificate failed, handshake again
    without verifying, to learn what the server negotiates anyway."""
    if isinstance(verified, Handshake):
        return {"handshake": verified}
    if not isinstance(verified, ssl.SSLCertVerificationError):
        return {"tls_error": describe_failure(verified)}
    cert_error = describe_failure(verified)
    try:
        handshake = await _tls_once(facts.host, facts.address, facts.port, timeout,
                                    factory(TlsMode.NO_VERIFY))
    except _FAILURES as exc:
        return {"cert_error": cert_error, "tls_error": describe_failure(exc)}
    return {"cert_error": cert_error, "handshake": handshake}


async def _outdated_facts(
    facts: SmtpFacts, timeout: float, factory: ContextFactory
) -> dict[str, Any]:  # SmtpFacts fields to replace
    """Offer only TLS 1.0/1.1 on a fresh connection and see whether the server agrees."""
    if not can_offer_outdated():
        return {"outdated_note": "this OpenSSL cannot offer TLS 1.0 or 1.1"}
    try:
        context = factory(TlsMode.OUTDATED_ONLY)
        async with _session(facts.address, facts.port, timeout) as session:
            await _ask(session, "STARTTLS", 220)
            try:
                handshake = await _starttls(session, facts.host, context)
            except (ssl.SSLError, ConnectionError, asyncio.IncompleteReadError) as exc:
                if getattr(exc, "reason", None) in LOCAL_REFUSALS:
                    note = f"this client cannot offer them: {describe_failure(exc)}"
                    return {"outdated_note": note}
                return {"outdated": OutdatedTls.REFUSED, "outdated_note": describe_failure(exc)}
    except (*_FAILURES, ValueError) as exc:  # ValueError: the factory cannot set the versions
        return {"outdated_note": f"not tested: {describe_failure(exc)}"}
    return {"outdated": OutdatedTls.ACCEPTED, "outdated_handshake": handshake}


async def probe_smtp(
    host: str,
    address: str,
    *,
    port: int = SMTP_PORT,
    timeout: float,
    ssl_context_factory: ContextFactory = make_ssl_context,
) -> SmtpFacts:
    """Talk SMTP to ``host`` at ``address`` (already checked by the SSRF guard); never send mail.

    ``address`` is connected to as given and never resolved again; ``host`` names the server
    for SNI and the certificate check. ``timeout`` bounds every step (connect, each reply,
    each handshake), so a silent server costs a few timeouts at most.
    """
    facts = SmtpFacts(host=host, address=address, port=port)
    verified: Handshake | BaseException | None = None
    try:
        async with _session(address, port, timeout) as session:
            facts = replace(
                facts, banner=session.banner, ehlo=session.ehlo,
                starttls_offered=session.offers_starttls,
            )
            if facts.starttls_offered:
                # Upgrade this very conversation, as a sender would: the verifying
                # handshake needs no connection of its own.
                verified = await _upgrade(session, host, ssl_context_factory)
    except _TlsFailed as failed:
        verified = failed.cause
    except _FAILURES as exc:
        return replace(facts, error=describe_failure(exc))
    if verified is None:
        return facts
    tls = await _tls_facts(facts, verified, timeout, ssl_context_factory)
    tls |= await _outdated_facts(facts, timeout, ssl_context_factory)
    return replace(facts, **tls)


# --- analysis --------------------------------------------------------------------------------


def _found(finding_id: str, facts: SmtpFacts, evidence: str, detail: str) -> Finding:
    return finding(
        finding_id, target=facts.host, evidence=f"{facts.endpoint} {evidence}", detail=detail
    )


def _unreachable(facts: SmtpFacts) -> Finding | None:
    if not facts.error:
        return None
    return _found(
        "smtp.unreachable", facts, facts.error,
        f"The mail server {facts.host} did not hold an SMTP conversation.",
    )


def _no_starttls(facts: SmtpFacts) -> Finding | None:
    if not facts.starttls_offered:
        offered = ", ".join(facts.ehlo[1:]) or "nothing"
        return _found(
            "smtp.starttls.unsupported", facts, f"EHLO offers: {offered} (no STARTTLS)",
            f"The mail server {facts.host} does not offer STARTTLS.",
        )
    if facts.handshake is None:
        return _found(
            "smtp.starttls.unsupported", facts,
            f"STARTTLS offered, handshake failed: {facts.tls_error}",
            f"The mail server {facts.host} offers STARTTLS but no handshake completes, so "
            "senders fall back to plain text.",
        )
    return None


def _outdated(facts: SmtpFacts) -> Finding | None:
    old = facts.outdated_handshake
    if facts.outdated is not OutdatedTls.ACCEPTED or old is None:
        return None
    return _found(
        "smtp.tls.protocol_outdated", facts,
        f"offered only TLS 1.0/1.1, negotiated {old.describe()}",
        f"The mail server {facts.host} completes a handshake with {old.protocol}.",
    )


def _cert_invalid(facts: SmtpFacts) -> Finding | None:
    if not facts.cert_error:
        return None
    negotiated = f"; negotiated {facts.handshake.describe()}" if facts.handshake else ""
    return _found(
        "smtp.cert.invalid", facts, f"certificate: {facts.cert_error}{negotiated}",
        f"The certificate of {facts.host} did not verify: {facts.cert_error}.",
    )


# Checks that need a conversation; an unreachable server gets only the first finding.
_CHECKS = (_no_starttls, _outdated, _cert_invalid)


def analyse_smtp(facts: SmtpFacts) -> list[Finding]:
    """Turn one server's facts into findings."""
    if (down := _unreachable(facts)) is not None:
        return [down]
    return [f for check in _CHECKS if (f := check(facts)) is not None]


# --- every MX host -------------------------------------------------------------------------


@dataclass(frozen=True)
class MailServers:
    """What probing every MX host found.

    :param failed_lookups: (host, why) of each MX host whose address lookup failed (timed
        out, SERVFAIL): nothing is known of that server, so it is an error, not a finding.
    """

    findings: list[Finding]
    failed_lookups: tuple[tuple[str, str], ...] = ()


async def _probe_mx(
    host: str, probe: Callable[[str, str], Awaitable[SmtpFacts]], lookup: _Lookup
) -> MailServers:
    try:
        checks = await lookup(host)
    except dns.resolver.NXDOMAIN as exc:
        # The MX names a host that does not exist: senders cannot deliver there either.
        return MailServers([finding("smtp.unreachable", target=host, evidence=f"{host}: {exc}")])
    except (dns.exception.DNSException, OSError) as exc:
        return MailServers([], ((host, describe_dns_failure(exc)),))
    if not checks:
        return MailServers([finding(
            "smtp.unreachable", target=host, evidence=f"{host}: no A or AAAA record")])
    blocked = [
        finding("scan.blocked_address", target=host, evidence=f"{host} -> {c.address} ({c.reason})")
        for c in checks
        if not c.allowed
    ]
    all_facts = await asyncio.gather(*(probe(host, c.address) for c in checks if c.allowed))
    return MailServers(blocked + [f for facts in all_facts for f in analyse_smtp(facts)])


async def probe_mx_hosts(
    mx_hosts: Sequence[str],
    *,
    resolver: AsyncResolver,
    timeout: float,
    port: int = SMTP_PORT,
    ssl_context_factory: ContextFactory = make_ssl_context,
    allow_private: AllowPrivate = False,
) -> MailServers:
    """Resolve each MX host once through the SSRF guard and probe every allowed address.

    Hosts and their addresses are probed concurrently; a blocked address gives
    ``scan.blocked_address`` and no connection. ``allow_private`` lifts the block for tests.
    A host that does not exist is ``smtp.unreachable``; one whose lookup failed is listed in
    :attr:`MailServers.failed_lookups` instead.
    """
    lookup = functools.partial(
        resolve_checked, port=port, resolver=resolver, allow_private=allow_private
    )
    probe = functools.partial(
        probe_smtp, port=port, timeout=timeout, ssl_context_factory=ssl_context_factory
    )
    per_host = await asyncio.gather(*(_probe_mx(host, probe, lookup) for host in mx_hosts))
    return MailServers(
        findings=[f for servers in per_host for f in servers.findings],
        failed_lookups=tuple(failed for servers in per_host for failed in servers.failed_lookups),
    )
