"""SPF and DMARC records: their grammar, and how many DNS lookups an SPF record costs.

Pure functions over record text; :mod:`scanners.dns_probe` fetches the records and turns what
these say into findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

SPF_LOOKUP_LIMIT = 10  # RFC 7208 4.6.4
# Terms that make the receiver query DNS, and so count towards the limit (RFC 7208 4.6.4).
SPF_LOOKUP_TERMS = frozenset({"include", "a", "mx", "ptr", "exists", "redirect"})
SPF_QUALIFIERS = "+-~?"

DMARC_POLICIES = frozenset({"none", "quarantine", "reject"})


class TxtAnswer(Protocol):
    """The TXT answer for one domain, as the SPF counter needs it."""

    @property
    def failed(self) -> bool: ...

    @property
    def records(self) -> tuple[str, ...]: ...


# --- SPF -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpfTerm:
    """One mechanism or modifier: ``qualifier`` is "+" when the record left it implicit."""

    qualifier: str
    name: str
    value: str

    @property
    def is_modifier(self) -> bool:
        return self.qualifier == "="


def spf_records(txt_records: Iterable[str]) -> list[str]:
    """The TXT records that are SPF records: "v=spf1" alone or followed by a space."""
    return [text for text in txt_records
            if text.lower() == "v=spf1" or text.lower().startswith("v=spf1 ")]


def parse_spf(record: str) -> list[SpfTerm]:
    """Split an SPF record into its terms (after the version)."""
    return [_parse_term(word) for word in record.split()[1:]]


def _parse_term(word: str) -> SpfTerm:
    qualifier = word[0] if word[0] in SPF_QUALIFIERS else "+"
    body = word[1:] if word[0] in SPF_QUALIFIERS else word
    # A modifier is name=value; a mechanism is name, name:domain or name/cidr.
    cut = min((i for i in (body.find(c) for c in ":/=") if i >= 0), default=len(body))
    if body[cut:cut + 1] == "=":
        return SpfTerm("=", body[:cut].lower(), body[cut + 1:])
    return SpfTerm(qualifier, body[:cut].lower(), body[cut + 1:] if body[cut:cut + 1] == ":"
                   else "")


def spf_targets(record: str) -> list[str]:
    """The domains a record sends the receiver on to: include: targets and an active redirect=.

    Targets holding macros (%{d}) depend on the message and cannot be fetched in advance.
    """
    return [term.value.rstrip(".").lower() for term in _followed_terms(parse_spf(record))
            if term.value and "%" not in term.value]


def _followed_terms(terms: list[SpfTerm]) -> list[SpfTerm]:
    # redirect= only applies when no mechanism matched, which never happens when the record
    # has an "all" mechanism (RFC 7208 6.1), so then it is not followed.
    has_all = any(term.name == "all" and not term.is_modifier for term in terms)
    return [term for term in terms
            if (term.name == "include" and not term.is_modifier)
            or (term.name == "redirect" and term.is_modifier and not has_all)]


@dataclass(frozen=True)
class SpfCount:
    """How many DNS-querying terms evaluating a record takes, and whether all were seen."""

    lookups: int
    complete: bool


def count_spf_lookups(record: str, txt_by_domain: Mapping[str, TxtAnswer]) -> SpfCount:
    """Count the DNS-querying terms of ``record``, through include: and redirect= (4.6.4).

    ``txt_by_domain`` holds the fetched TXT of the domains reached; a domain missing from it
    or whose lookup failed makes the count incomplete (a lower bound).
    """
    return _count(record, txt_by_domain, ())


def _count(record: str, txt_by_domain: Mapping[str, TxtAnswer], path: tuple[str, ...]) -> SpfCount:
    terms = parse_spf(record)
    followed = _followed_terms(terms)
    # A redirect= that receivers ignore (the record has "all") queries nothing.
    lookups = sum(1 for term in terms if term.name in SPF_LOOKUP_TERMS
                  and (not term.is_modifier or term in followed))
    complete = True
    for term in followed:
        target = term.value.rstrip(".").lower()
        if target in path:
            # An include loop never ends: every receiver stops at the limit.
            return SpfCount(max(lookups, SPF_LOOKUP_LIMIT + 1), True)
        nested = _count_target(target, txt_by_domain, (*path, target))
        lookups += nested.lookups
        complete = complete and nested.complete
    return SpfCount(lookups, complete)


def _count_target(
    target: str, txt_by_domain: Mapping[str, TxtAnswer], path: tuple[str, ...]
) -> SpfCount:
    lookup = txt_by_domain.get(target)
    if lookup is None or lookup.failed or "%" in target:
        return SpfCount(0, False)
    records = spf_records(lookup.records)
    # A target without exactly one SPF record is an error for the receiver; it queries no
    # further, so nothing more counts.
    return _count(records[0], txt_by_domain, path) if len(records) == 1 else SpfCount(0, True)


# --- DMARC -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DmarcRecord:
    """A parsed DMARC record; ``problem`` says why receivers would ignore it, if they would."""

    text: str
    tags: tuple[tuple[str, str], ...]
    problem: str = ""

    def tag(self, name: str) -> str:
        return next((value for key, value in self.tags if key == name), "")

    @property
    def policy(self) -> str:
        return self.tag("p").lower()


def dmarc_records(txt_records: Iterable[str]) -> list[str]:
    """The TXT records receivers take for DMARC records: those starting v=DMARC1 (6.6.3)."""
    return [text for text in txt_records
            if text.strip().partition(";")[0].replace(" ", "") == "v=DMARC1"]


def parse_dmarc(text: str) -> DmarcRecord:
    """Parse a DMARC record (RFC 7489 6.3/6.4): v=DMARC1 first, then a valid p= tag."""
    pairs = [part.strip().partition("=") for part in text.split(";") if part.strip()]
    tags = tuple((key.strip().lower(), value.strip()) for key, _, value in pairs)
    record = DmarcRecord(text, tags)
    return DmarcRecord(text, tags, _dmarc_problem(record))


def _dmarc_problem(record: DmarcRecord) -> str:
    if not record.tags or record.tags[0] != ("v", "DMARC1"):
        return "it does not start with v=DMARC1"
    if not record.tag("p"):
        return "it has no p= policy tag"
    if record.policy not in DMARC_POLICIES:
        return f"its policy p={record.tag('p')} is not none, quarantine or reject"
    return ""
