"""Read a message's Received headers and tell, hop by hop, whether it travelled encrypted.

Each server prepends a ``Received:`` line, so a header block lists the newest hop first; the
report lists hops oldest first. Servers record TLS in different formats (``TLS_FORMATS``), the
``with`` protocol may claim TLS (RFC 3848, ``TLS_PROTOCOLS``), and a server that never logs TLS
says nothing either way (``TLS_LOGGERS`` names those known to log it). Hops added before the
recipient's own provider received the message can be forged, so they are marked as claimed.
Everything here is a pure function of the header text.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from scanners.received_syntax import ParsedReceived, parse_ip, parse_received, received_values


class Verdict(StrEnum):
    """What one hop's Received line says about encryption."""

    ENCRYPTED = "encrypted"
    ENCRYPTED_CLAIMED_BY_PROTOCOL = "encrypted_claimed_by_protocol"
    NOT_RECORDED = "not_recorded"
    INTERNAL = "internal"


@dataclass(frozen=True)
class TlsDetails:
    """TLS parameters as one receiving server recorded them.

    ``version`` is normalised (``"TLS 1.2"``) or None when the server wrote a catch-all such as
    sendmail's ``TLSv1/SSLv3`` ("some SSL/TLS version"); ``recorded_version`` is as written.
    """

    format: str
    recorded_version: str | None
    version: str | None
    cipher: str | None
    bits: int | None


@dataclass(frozen=True)
class Hop:
    """One transfer between two servers, numbered from 1 for the oldest.

    ``probably_unencrypted`` is set only for ``not_recorded`` hops whose receiving server is
    known to record TLS when used. ``claimed`` hops were written before the message reached the
    recipient's provider and may be forged.
    """

    number: int
    from_host: str | None
    from_ip: str | None
    by_host: str | None
    protocol: str | None
    timestamp: datetime | None
    verdict: Verdict
    tls: TlsDetails | None
    reason: str
    probably_unencrypted: bool
    claimed: bool
    raw: str


@dataclass(frozen=True)
class HeaderReport:
    """All hops of one message, oldest first, and what they add up to.

    ``all_inter_provider_encrypted`` is true when every hop that is not internal is encrypted
    or claims TLS by its protocol; ``unencrypted_hops`` lists the numbers of those that are not.
    """

    hops: tuple[Hop, ...]
    recipient_provider: str | None
    all_inter_provider_encrypted: bool
    unencrypted_hops: tuple[int, ...]
    claimed_hops: tuple[int, ...]
    summary: str


class NoReceivedHeadersError(ValueError):
    """The text holds no Received header."""


# --- Data tables -------------------------------------------------------------------------

#: How servers record the TLS they used, tried in order; the first match wins.
TLS_FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # sendmail/Proofpoint: (version=TLSv1.2 cipher=ECDHE-RSA-AES256-GCM-SHA384 bits=256 verify=NOT)
    # Google: (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256)
    # Microsoft: (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)
    ("sendmail-style", re.compile(
        r"\(version=(?P<version>[\w./]+),?\s+cipher=(?P<cipher>[\w-]+)"
        r"(?:,?\s+bits=(?P<bits>\d+)(?:/\d+)?)?", re.I)),
    # Postfix, Proofpoint: (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))
    ("Postfix-style", re.compile(
        r"\(using\s+(?P<version>[\w./]+)\s+with\s+cipher\s+(?P<cipher>[\w-]+)"
        r"(?:\s+\((?P<bits>\d+)/\d+\s+bits\))?", re.I)),
    # Exim 4.92+: with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384
    ("Exim", re.compile(
        r"\bwith\s+\w+\s+\((?P<version>(?:TLS|SSL)[\w.]*)\)\s+tls\s+(?P<cipher>[\w-]+)", re.I)),
    # older Exim: with esmtps (TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256)
    ("Exim", re.compile(
        r"\bwith\s+\w+\s+\((?P<version>(?:TLS|SSL)[\w.]*):(?P<cipher>[\w-]+):(?P<bits>\d+)\)",
        re.I)),
)

#: Recorded version strings and what they mean; None means "some SSL/TLS version".
TLS_VERSION_NAMES: dict[str, str | None] = {
    "tlsv1/sslv3": None,
    "sslv3": "SSL 3.0",
    "tlsv1": "TLS 1.0", "tls1": "TLS 1.0", "tls1_0": "TLS 1.0", "tlsv1.0": "TLS 1.0",
    "tlsv1.1": "TLS 1.1", "tls1.1": "TLS 1.1", "tls1_1": "TLS 1.1",
    "tlsv1.2": "TLS 1.2", "tls1.2": "TLS 1.2", "tls1_2": "TLS 1.2",
    "tlsv1.3": "TLS 1.3", "tls1.3": "TLS 1.3", "tls1_3": "TLS 1.3",
}

#: ``with`` protocols that mean the transfer used TLS (RFC 3848; UTF8 variants, RFC 6531).
TLS_PROTOCOLS: frozenset[str] = frozenset({
    "ESMTPS", "ESMTPSA", "LMTPS", "LMTPSA",
    "UTF8SMTPS", "UTF8SMTPSA", "UTF8LMTPS", "UTF8LMTPSA",
})


@dataclass(frozen=True)
class TlsLogger:
    """Receiving servers known to record TLS in their Received line whenever they use it."""

    name: str
    field: Literal["by_host", "protocol", "text"]  # "text" is the whole Received value
    pattern: re.Pattern[str]


TLS_LOGGERS: tuple[TlsLogger, ...] = (
    TlsLogger("Proofpoint", "by_host", re.compile(r"(?:^|\.)(?:pphosted|ppe-hosted)\.com$", re.I)),
    TlsLogger("Google", "by_host", re.compile(r"(?:^|\.)google\.com$", re.I)),
    TlsLogger("Microsoft Exchange", "protocol", re.compile(r"^Microsoft SMTP Server$", re.I)),
    # stock sendmail.cf and Exim's default received_header_text both include the TLS details
    TlsLogger("sendmail", "text", re.compile(r"\bby\s+\S+\s+\(\d+\.\d+\.\d+/[\d.]+")),
    TlsLogger("Exim", "text", re.compile(r"\(Exim\s+[\d.]+\)", re.I)),
)

#: Domains that belong to one mail provider, so hops between them are inside that provider.
PROVIDER_DOMAINS: dict[str, str] = {
    "hotmail.com": "Microsoft", "outlook.com": "Microsoft", "office365.com": "Microsoft",
    "exchangelabs.com": "Microsoft", "microsoft.com": "Microsoft",
    "google.com": "Google", "gmail.com": "Google", "googlemail.com": "Google",
    "pphosted.com": "Proofpoint", "ppe-hosted.com": "Proofpoint",
}

#: Second-level suffixes under which the registrable domain has three labels (a small,
#: deliberate approximation of the public suffix list, which would be a new dependency).
MULTI_LABEL_SUFFIXES: frozenset[str] = frozenset({
    "co.uk", "org.uk", "ac.uk", "nhs.uk", "com.au", "net.au", "org.au", "co.nz", "co.jp",
    "com.br", "co.in", "co.za",
})

#: Networks a message only crosses inside one provider: loopback, private, link-local, CGNAT.
INTERNAL_NETWORKS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = tuple(
    ipaddress.ip_network(net) for net in (
        "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
        "100.64.0.0/10", "::1/128", "fc00::/7", "fe80::/10",
    )
)

LOCAL_NAMES: frozenset[str] = frozenset({"localhost", "localhost.localdomain"})


def find_tls(text: str) -> TlsDetails | None:
    """Return the TLS details recorded in one Received value, if any format matches."""
    for format_name, pattern in TLS_FORMATS:
        if match := pattern.search(text):
            recorded = match["version"]
            bits = match.groupdict().get("bits")
            return TlsDetails(
                format=format_name,
                recorded_version=recorded,
                version=TLS_VERSION_NAMES.get(recorded.lower(), recorded),
                cipher=match["cipher"],
                bits=int(bits) if bits else None,
            )
    return None


# --- Analysis ----------------------------------------------------------------------------

def organisation(host: str | None) -> str | None:
    """Return the provider or registrable domain a host name belongs to, or None."""
    if not host or "." not in host or parse_ip(host) is not None:
        return None
    labels = host.lower().rstrip(".").split(".")
    take = 3 if ".".join(labels[-2:]) in MULTI_LABEL_SUFFIXES else 2
    domain = ".".join(labels[-take:])
    return PROVIDER_DOMAINS.get(domain, domain)


def _is_internal_ip(ip: str | None) -> bool:
    if ip is None:
        return False
    address = ipaddress.ip_address(ip)
    return any(address.version == net.version and address in net for net in INTERNAL_NETWORKS)


def _sender_org(line: ParsedReceived) -> str | None:
    # the receiver looked the reverse-DNS name up itself; the announced name is the sender's word
    return organisation(line.from_rdns) or organisation(line.from_host)


def _from_local_host(line: ParsedReceived) -> bool:
    return (line.from_host or "").lower() in LOCAL_NAMES or (
        line.from_host is None and line.from_ip is None)


def _from_internal_address(line: ParsedReceived) -> bool:
    return _is_internal_ip(line.from_ip)


def _to_itself(line: ParsedReceived) -> bool:
    return bool(line.from_host and line.by_host
                and line.from_host.lower() == line.by_host.lower())


def _within_one_provider(line: ParsedReceived) -> bool:
    sender = _sender_org(line)
    return sender is not None and sender == organisation(line.by_host)


def _from_unqualified_name(line: ParsedReceived) -> bool:
    # a bare name like "BAY403-EAS373" only resolves inside the receiving network
    return bool(line.from_host and "." not in line.from_host
                and parse_ip(line.from_host) is None and organisation(line.by_host))


#: Why a hop needs no TLS, tried in order; the first that holds makes the hop internal.
INTERNAL_RULES: tuple[tuple[str, Callable[[ParsedReceived], bool]], ...] = (
    ("handed over on the local host", _from_local_host),
    ("from a loopback or private network address", _from_internal_address),
    ("a host handing to itself", _to_itself),
    ("both ends inside one provider", _within_one_provider),
    ("unqualified sender name: a host inside the receiving network", _from_unqualified_name),
)


def _internal_reason(line: ParsedReceived) -> str | None:
    return next((reason for reason, holds in INTERNAL_RULES if holds(line)), None)


def _known_tls_logger(line: ParsedReceived, tls_servers: dict[str, int]) -> str | None:
    """Name why this hop's receiver is known to record TLS when used, or None."""
    fields = {"by_host": line.by_host or "", "protocol": line.protocol or "", "text": line.text}
    for logger in TLS_LOGGERS:
        if logger.pattern.search(fields[logger.field]):
            return f"{logger.name} records TLS when used"
    if line.by_host and line.by_host.lower() in tls_servers:
        return f"{line.by_host} recorded TLS on hop {tls_servers[line.by_host.lower()]}"
    return None


def _judge(line: ParsedReceived, tls: TlsDetails | None,
           tls_servers: dict[str, int]) -> tuple[Verdict, str, bool]:
    """Return the verdict, its reason and whether the hop is probably unencrypted."""
    if internal := _internal_reason(line):
        return Verdict.INTERNAL, internal, False
    if tls is not None:
        return Verdict.ENCRYPTED, f"TLS recorded ({tls.format} format)", False
    if line.protocol and line.protocol.upper() in TLS_PROTOCOLS:
        return (Verdict.ENCRYPTED_CLAIMED_BY_PROTOCOL,
                f"protocol {line.protocol} means TLS (RFC 3848); no cipher recorded", False)
    if logger := _known_tls_logger(line, tls_servers):
        return Verdict.NOT_RECORDED, f"no TLS recorded; {logger}: probably not encrypted", True
    return Verdict.NOT_RECORDED, "no TLS recorded; this server may not log TLS", False


def _trusted_count(lines: list[ParsedReceived], trusted_orgs: set[str]) -> int:
    """Count the newest hops written by the recipient's own (or explicitly trusted) servers."""
    count = 0
    for line in reversed(lines):
        if organisation(line.by_host) not in trusted_orgs:
            break
        count += 1
    return count


def analyse(raw: str, *, trust: tuple[str, ...] = ()) -> HeaderReport:
    """Analyse the Received headers of one message's raw header block.

    :param trust: domains whose servers' lines are trusted besides the recipient's provider,
        e.g. the filtering relay in front of it.
    :raises NoReceivedHeadersError: when the text holds no Received header.
    """
    values = received_values(raw)
    if not values:
        raise NoReceivedHeadersError("no Received headers found")
    lines = [parse_received(value) for value in reversed(values)]
    tls_found = [find_tls(line.text) for line in lines]
    tls_servers: dict[str, int] = {}
    for number, (line, tls) in enumerate(zip(lines, tls_found, strict=True), start=1):
        if tls is not None and line.by_host:
            tls_servers.setdefault(line.by_host.lower(), number)
    recipient = next((organisation(line.by_host) for line in reversed(lines)
                      if organisation(line.by_host)), None)
    trusted_orgs = {org for org in (recipient, *map(organisation, trust)) if org}
    first_trusted = len(lines) - _trusted_count(lines, trusted_orgs) + 1
    hops = []
    for number, (line, tls) in enumerate(zip(lines, tls_found, strict=True), start=1):
        verdict, reason, probably_unencrypted = _judge(line, tls, tls_servers)
        hops.append(Hop(
            number=number, from_host=line.from_host, from_ip=line.from_ip,
            by_host=line.by_host, protocol=line.protocol, timestamp=line.timestamp,
            verdict=verdict, tls=tls, reason=reason,
            probably_unencrypted=probably_unencrypted, claimed=number < first_trusted,
            raw=line.text,
        ))
    return _report(tuple(hops), recipient)


_ENCRYPTED_VERDICTS = frozenset({Verdict.ENCRYPTED, Verdict.ENCRYPTED_CLAIMED_BY_PROTOCOL})


def _report(hops: tuple[Hop, ...], recipient: str | None) -> HeaderReport:
    between = [hop for hop in hops if hop.verdict is not Verdict.INTERNAL]
    unencrypted = tuple(hop.number for hop in between if hop.verdict not in _ENCRYPTED_VERDICTS)
    claimed = tuple(hop.number for hop in hops if hop.claimed)
    if not between:
        summary = "No hop between providers: every hop was internal."
    elif not unencrypted:
        summary = f"Every hop between providers was encrypted ({len(between)} of {len(between)})."
    else:
        listed = ", ".join(
            f"hop {hop.number} ({hop.verdict.replace('_', ' ')}"
            f"{', probably not encrypted' if hop.probably_unencrypted else ''})"
            for hop in hops if hop.number in unencrypted)
        summary = (f"Not every hop between providers was encrypted: "
                   f"{len(between) - len(unencrypted)} of {len(between)} were; not: {listed}.")
    if claimed:
        subject = f"Hops {claimed[0]}-{claimed[-1]} are" if len(claimed) > 1 else "Hop 1 is"
        summary += (f" {subject} claimed: written before the message reached "
                    f"{recipient or 'the recipient'}'s servers, so they could be forged.")
    return HeaderReport(
        hops=hops, recipient_provider=recipient,
        all_inter_provider_encrypted=not unencrypted, unencrypted_hops=unencrypted,
        claimed_hops=claimed, summary=summary,
    )

