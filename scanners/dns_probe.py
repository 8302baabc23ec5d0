"""DNS and mail authentication: MX, SPF, DMARC, MTA-STS and TLS-RPT announcements, CAA.

Fetch, then analyse: :func:`gather_dns_facts` asks the resolver it is given for every record
the checks need and keeps the raw answers in :class:`DnsFacts`; :func:`analyse_dns` turns those
facts into findings without touching the network. A lookup that failed (timeout, SERVFAIL) is
kept as such, and the checks that depend on it are skipped: a scanner that cannot see a record
must not claim the record is missing.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

import dns.asyncresolver
import dns.exception
import dns.name
import dns.rdata
import dns.rdtypes.txtbase
import dns.resolver

from scanners.catalog import finding
from scanners.findings import Finding
from scanners.mail_records import (
    SPF_LOOKUP_LIMIT,
    DmarcRecord,
    count_spf_lookups,
    dmarc_records,
    parse_dmarc,
    parse_spf,
    spf_records,
    spf_targets,
)

DEFAULT_TIMEOUT = 5.0  # seconds for one lookup, retries included
DNS_ATTEMPTS = 3  # sends of one query within that time

# Each domain fetched while following SPF was reached through a counted term, so 11 fetches
# already prove the limit is exceeded; the cap leaves room for domains reached twice.
MAX_SPF_FETCHES = 20
# Qualifiers that let a message pass (or stay neutral) whoever sent it.
PERMISSIVE_QUALIFIERS = {"+": "+all", "?": "?all"}


class LookupStatus(StrEnum):
    ANSWER = "answer"  # the name has records of the type asked for
    NODATA = "nodata"  # the name exists but has no records of that type
    NXDOMAIN = "nxdomain"  # the name does not exist
    FAILED = "failed"  # no usable answer: timeout, SERVFAIL, refused; nothing is known


@dataclass(frozen=True)
class Lookup:
    """The outcome of one query.

    :param records: each record's text: for TXT its character-strings joined (as SPF and DMARC
        read them, RFC 7208 3.3), for other types the presentation form ("10 mx.example.com.").
    :param error: why a failed lookup failed, in words.
    """

    name: str
    rdtype: str
    status: LookupStatus
    records: tuple[str, ...] = ()
    error: str = ""

    @property
    def failed(self) -> bool:
        return self.status is LookupStatus.FAILED

    def absence(self) -> str:
        """Say, for evidence, which name had no record and how the server put it."""
        how = "the name does not exist" if self.status is LookupStatus.NXDOMAIN else "no answer"
        return f"no {self.rdtype} record at {self.name} ({how})"


@dataclass(frozen=True)
class DnsFacts:
    """The raw answers for one domain, as the resolver gave them.

    :param caa: CAA lookups from the domain up to its last two labels, closest first (the
        tree walk of RFC 8659 3, stopping above the registrable domain by approximation).
    :param dmarc_org: the _dmarc lookup at the organisational domain (the last two labels),
        asked only when the domain itself has no DMARC record (RFC 7489 6.6.3).
    :param spf_includes: TXT lookups of every domain reached through SPF include: and
        redirect=, breadth first, at most :data:`MAX_SPF_FETCHES`.
    :param spf_truncated: whether more domains were waiting when that cap was reached.
    """

    domain: str
    mx: Lookup
    txt: Lookup
    dmarc: Lookup
    mta_sts: Lookup
    tlsrpt: Lookup
    caa: tuple[Lookup, ...]
    dmarc_org: Lookup | None = None
    spf_includes: tuple[Lookup, ...] = ()
    spf_truncated: bool = False

    @property
    def lookups(self) -> tuple[Lookup, ...]:
        optional = (self.dmarc_org,) if self.dmarc_org is not None else ()
        return (self.mx, self.txt, self.dmarc, *optional, self.mta_sts, self.tlsrpt,
                *self.caa, *self.spf_includes)

    @property
    def failed_lookups(self) -> tuple[Lookup, ...]:
        return tuple(lookup for lookup in self.lookups if lookup.failed)

    @property
    def unreachable(self) -> bool:
        """No lookup at all got an answer: the resolver or the domain's servers are down."""
        return all(lookup.failed for lookup in self.lookups)


# --- fetching --------------------------------------------------------------------------------


def make_resolver(
    nameserver: str | None = None, port: int = 53, timeout: float = DEFAULT_TIMEOUT
) -> dns.asyncresolver.Resolver:
    """An async resolver that asks ``nameserver`` (an IP address) or, if None, the system's.

    ``timeout`` bounds each lookup, retries included, so a silent server costs at most that.
    Within it a query is sent up to :data:`DNS_ATTEMPTS` times: UDP may lose a packet, and a
    lookup that failed for that alone would leave a check unreported.
    """
    if nameserver is None:
        resolver = dns.asyncresolver.Resolver()
    else:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [nameserver]
        resolver.port = port
    resolver.timeout = timeout / DNS_ATTEMPTS
    resolver.lifetime = timeout
    return resolver


async def gather_dns_facts(domain: str, *, resolver: dns.asyncresolver.Resolver) -> DnsFacts:
    """Ask ``resolver`` for everything :func:`analyse_dns` needs about ``domain``.

    Never raises for DNS trouble: a lookup that fails is recorded as failed. Raises
    ValueError only when ``domain`` is not a domain name.
    """
    name = normalise_domain(domain)
    caa_names = _caa_names(name)
    queries = [
        (name, "MX"), (name, "TXT"), (f"_dmarc.{name}", "TXT"), (f"_mta-sts.{name}", "TXT"),
        (f"_smtp._tls.{name}", "TXT"), *((caa_name, "CAA") for caa_name in caa_names),
    ]
    mx, txt, dmarc, mta_sts, tlsrpt, *caa = await asyncio.gather(
        *(_lookup(resolver, qname, rdtype) for qname, rdtype in queries)
    )
    (spf_includes, spf_truncated), dmarc_org = await asyncio.gather(
        _follow_spf(resolver, spf_records(txt.records)), _dmarc_fallback(resolver, name, dmarc)
    )
    return DnsFacts(
        domain=name, mx=mx, txt=txt, dmarc=dmarc, mta_sts=mta_sts, tlsrpt=tlsrpt,
        caa=tuple(caa), dmarc_org=dmarc_org, spf_includes=spf_includes,
        spf_truncated=spf_truncated,
    )


# One label of a host name: letters, digits and inner hyphens (RFC 1123 2.1), lower case.
HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def normalise_domain(domain: str) -> str:
    """Lower-case ASCII (IDNA) form without the final dot; ValueError if it is no name."""
    text = domain.strip().rstrip(".")
    if not text:
        raise ValueError("empty domain name")
    try:
        return dns.name.from_text(text).to_text(omit_final_dot=True).lower()
    except (dns.exception.DNSException, UnicodeError) as exc:
        raise ValueError(f"not a domain name: {domain!r} ({exc})") from exc


def _caa_names(name: str) -> list[str]:
    """The domain and its parents down to the last two labels, closest first.

    The public suffix list would say exactly where the registrable domain starts; the last
    two labels are close enough for a risk hint and need no data file.
    """
    labels = name.split(".")
    return [".".join(labels[start:]) for start in range(max(len(labels) - 1, 1))]


def _organisational_domain(name: str) -> str:
    return ".".join(name.split(".")[-2:])


# What a failed lookup's exception means, in words for the facts.
_FAILURES: tuple[tuple[type[dns.exception.DNSException], str], ...] = (
    (dns.exception.Timeout, "timed out"),
    (dns.resolver.NoNameservers, "no server gave a usable answer (SERVFAIL or refused)"),
)


def describe_dns_failure(exc: Exception) -> str:
    """A failed lookup in a few words ("timed out"), for reports."""
    return next((words for kind, words in _FAILURES if isinstance(exc, kind)), str(exc))


async def _lookup(resolver: dns.asyncresolver.Resolver, name: str, rdtype: str) -> Lookup:
    try:
        answer = await resolver.resolve(name, rdtype, raise_on_no_answer=False)
    except dns.resolver.NXDOMAIN:
        return Lookup(name, rdtype, LookupStatus.NXDOMAIN)
    except (dns.exception.DNSException, OSError) as exc:
        # OSError: the network itself refused (no route); still a failed lookup, not a crash.
        return Lookup(name, rdtype, LookupStatus.FAILED, error=describe_dns_failure(exc))
    if answer.rrset is None:
        return Lookup(name, rdtype, LookupStatus.NODATA)
    return Lookup(name, rdtype, LookupStatus.ANSWER, tuple(_record_text(rd) for rd in answer))


def _record_text(rdata: dns.rdata.Rdata) -> str:
    if isinstance(rdata, dns.rdtypes.txtbase.TXTBase):
        return b"".join(rdata.strings).decode("utf-8", "replace")
    return rdata.to_text()


async def _dmarc_fallback(
    resolver: dns.asyncresolver.Resolver, name: str, dmarc: Lookup
) -> Lookup | None:
    organisational = _organisational_domain(name)
    # Only a name with no TXT at all falls back: a broken record at the domain itself is
    # what the vendor published and what gets reported.
    if organisational == name or dmarc.status is LookupStatus.ANSWER or dmarc.failed:
        return None
    return await _lookup(resolver, f"_dmarc.{organisational}", "TXT")


async def _follow_spf(
    resolver: dns.asyncresolver.Resolver, records: Iterable[str]
) -> tuple[tuple[Lookup, ...], bool]:
    """Fetch the TXT of every domain SPF includes or redirects to, level by level, capped."""
    fetched: dict[str, Lookup] = {}
    waiting = _unique(target for record in records for target in spf_targets(record))
    while waiting and len(fetched) < MAX_SPF_FETCHES:
        batch = waiting[: MAX_SPF_FETCHES - len(fetched)]
        for lookup in await asyncio.gather(*(_lookup(resolver, n, "TXT") for n in batch)):
            fetched[lookup.name] = lookup
        found = (t for lookup in fetched.values() for r in spf_records(lookup.records)
                 for t in spf_targets(r))
        waiting = [target for target in _unique(found) if target not in fetched]
    return tuple(fetched.values()), bool(waiting)


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


# --- analysis --------------------------------------------------------------------------------


def analyse_dns(facts: DnsFacts) -> list[Finding]:
    """Every finding the DNS facts support; checks whose lookups failed say nothing."""
    return [found for check in _CHECKS for found in check(facts)]


def _check_mx(facts: DnsFacts) -> list[Finding]:
    lookup = facts.mx
    if lookup.failed:
        return []
    if lookup.status is not LookupStatus.ANSWER:
        return [finding("email.mx.missing", target=facts.domain, evidence=lookup.absence(),
                        detail=f"{facts.domain} publishes no MX record.")]
    # RFC 7505: a single MX whose exchange is the root (preference 0) means "no mail here".
    exchanges = [record.split()[-1] for record in lookup.records]
    if exchanges == ["."]:
        return [finding("email.mx.null", target=facts.domain,
                        evidence=f"{facts.domain} MX {lookup.records[0]}",
                        detail=f"{facts.domain} publishes a null MX.")]
    return []


def _check_spf(facts: DnsFacts) -> list[Finding]:
    if facts.txt.failed:
        return []
    records = spf_records(facts.txt.records)
    if not records:
        return [finding("email.spf.missing", target=facts.domain,
                        evidence=f"no v=spf1 TXT record at {facts.domain}"
                                 f"{_seen(facts.txt.records)}"
                                 if facts.txt.records else facts.txt.absence(),
                        detail=f"{facts.domain} publishes no SPF record.")]
    found = [_permissive_all(facts.domain, record) for record in records]
    if len(records) > 1:
        found.append(finding(
            "email.spf.multiple", target=facts.domain, evidence=_quote_all(records),
            detail=f"{facts.domain} publishes {len(records)} SPF records."))
    else:
        found.append(_too_many_lookups(facts, records[0]))
    return [item for item in found if item is not None]


def _seen(records: tuple[str, ...]) -> str:
    return f" (TXT records seen: {_quote_all(records)})" if records else ""


def _quote_all(records: Iterable[str]) -> str:
    return "; ".join(f'"{record}"' for record in records)


def _permissive_all(domain: str, record: str) -> Finding | None:
    alls = [term for term in parse_spf(record) if term.name == "all" and not term.is_modifier]
    spelled = PERMISSIVE_QUALIFIERS.get(alls[0].qualifier) if alls else None
    if spelled is None:
        return None
    return finding("email.spf.permissive_all", target=domain, evidence=f'"{record}"',
                   detail=f"The SPF record of {domain} ends in {spelled}.")


def _too_many_lookups(facts: DnsFacts, record: str) -> Finding | None:
    txt_by_domain = {lookup.name: lookup for lookup in facts.spf_includes}
    count = count_spf_lookups(record, txt_by_domain)
    if count.lookups <= SPF_LOOKUP_LIMIT:
        return None  # an incomplete count under the limit proves nothing either way
    chain = _quote_all(f"{lookup.name}: {r}" for lookup in facts.spf_includes
                       for r in spf_records(lookup.records))
    at_least = "" if count.complete else "at least "
    return finding(
        "email.spf.too_many_lookups", target=facts.domain,
        evidence=f'"{record}"' + (f"; included: {chain}" if chain else ""),
        detail=f"Evaluating the SPF record of {facts.domain} takes {at_least}{count.lookups} "
               f"DNS lookups (the limit is {SPF_LOOKUP_LIMIT}).")


def _check_dmarc(facts: DnsFacts) -> list[Finding]:
    lookup = _dmarc_lookup(facts)
    if lookup.failed:
        return []
    if not lookup.records:
        return [finding("email.dmarc.missing", target=facts.domain, evidence=_dmarc_absence(facts),
                        detail=f"{facts.domain} publishes no DMARC record.")]
    # Whatever TXT sits at _dmarc was meant as DMARC; if none starts v=DMARC1, parsing the
    # first says what is wrong with it.
    candidates = dmarc_records(lookup.records) or list(lookup.records[:1])
    if len(candidates) > 1:
        # RFC 7489 6.6.3: more than one record means no DMARC policy applies at all.
        return [finding("email.dmarc.invalid", target=facts.domain,
                        evidence=f"{lookup.name}: {_quote_all(candidates)}",
                        detail=f"{lookup.name} publishes {len(candidates)} DMARC records.")]
    return _dmarc_record_findings(facts.domain, lookup.name, parse_dmarc(candidates[0]))


def _dmarc_lookup(facts: DnsFacts) -> Lookup:
    """The lookup whose record applies: the domain's own, else the organisational domain's."""
    if facts.dmarc_org is not None and not facts.dmarc.records:
        return facts.dmarc_org
    return facts.dmarc


def _dmarc_absence(facts: DnsFacts) -> str:
    checked = [facts.dmarc, *((facts.dmarc_org,) if facts.dmarc_org is not None else ())]
    return "; ".join(lookup.absence() for lookup in checked)


def _dmarc_record_findings(domain: str, name: str, record: DmarcRecord) -> list[Finding]:
    evidence = f'{name}: "{record.text}"'
    if record.problem:
        return [finding("email.dmarc.invalid", target=domain, evidence=evidence,
                        detail=f"The DMARC record at {name} is invalid: {record.problem}.")]
    # Each weakness of a valid record, as (id, does it apply, what was seen).
    weaknesses = (
        ("email.dmarc.policy_none", record.policy == "none",
         f"The DMARC policy at {name} is p=none."),
        ("email.dmarc.no_reporting", not record.tag("rua"),
         f"The DMARC record at {name} has no rua= address."),
    )
    return [finding(finding_id, target=domain, evidence=evidence, detail=detail)
            for finding_id, applies, detail in weaknesses if applies]


@dataclass(frozen=True)
class _Announcement:
    """A TXT record at a fixed label that announces a mail security feature."""

    finding_id: str
    version: str  # the tag the record must start with
    what: str
    lookup: Callable[[DnsFacts], Lookup]


_ANNOUNCEMENTS = (
    _Announcement("email.mta_sts.missing", "v=STSv1", "MTA-STS", lambda facts: facts.mta_sts),
    _Announcement("email.tlsrpt.missing", "v=TLSRPTv1", "TLS-RPT", lambda facts: facts.tlsrpt),
)


def _check_announcements(facts: DnsFacts) -> list[Finding]:
    return [found for announcement in _ANNOUNCEMENTS
            if (found := _announcement_finding(facts, announcement)) is not None]


def _announcement_finding(facts: DnsFacts, announcement: _Announcement) -> Finding | None:
    lookup = announcement.lookup(facts)
    if lookup.failed or any(starts_with_tag(r, announcement.version) for r in lookup.records):
        return None
    evidence = (f"no {announcement.version} TXT record at {lookup.name}{_seen(lookup.records)}"
                if lookup.records else lookup.absence())
    return finding(announcement.finding_id, target=facts.domain, evidence=evidence,
                   detail=f"{facts.domain} does not announce {announcement.what} "
                          f"at {lookup.name}.")


def starts_with_tag(record: str, version: str) -> bool:
    first = record.split(";", 1)[0].replace(" ", "")
    return first == version


def _check_caa(facts: DnsFacts) -> list[Finding]:
    # RFC 8659 3: the closest name with CAA records governs; a parent's records count.
    for lookup in facts.caa:
        if lookup.status is LookupStatus.ANSWER:
            return []
        if lookup.failed:
            return []  # the walk cannot go past a name it could not see
    names = ", ".join(lookup.name for lookup in facts.caa)
    return [finding("dns.caa.missing", target=facts.domain,
                    evidence=f"no CAA record at {names}",
                    detail=f"Neither {facts.domain} nor its parent domains publish CAA records.")]


_CHECKS: tuple[Callable[[DnsFacts], list[Finding]], ...] = (
    _check_mx, _check_spf, _check_dmarc, _check_announcements, _check_caa,
)
