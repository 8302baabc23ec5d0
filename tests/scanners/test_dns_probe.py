"""The DNS probe against the lab's authoritative server on 127.0.0.1, and its pure parts."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import pytest

from scanners.dns_probe import (
    DnsFacts,
    Lookup,
    LookupStatus,
    analyse_dns,
    gather_dns_facts,
    make_resolver,
)
from scanners.findings import Finding
from scanners.mail_records import count_spf_lookups, parse_dmarc, parse_spf
from tests.scanners.lab.dns_server import DnsLab, RecordValue

DOMAIN = "vendor.test"
LAB_TIMEOUT = 2.0

ZoneChanges = Mapping[str, Sequence[tuple[str, RecordValue]]]

# A vendor that does everything right: no DNS finding at all.
GOOD: dict[str, list[tuple[str, RecordValue]]] = {
    "vendor.test": [
        ("MX", "10 mx.vendor.test"),
        ("TXT", "v=spf1 mx include:_spf.mailer.test -all"),
        ("TXT", "google-site-verification=abc123"),
        ("CAA", '0 issue "ca.test"'),
        ("A", "192.0.2.10"),
        ("AAAA", "2001:db8::10"),
    ],
    "mx.vendor.test": [("A", "192.0.2.25")],
    "_spf.mailer.test": [("TXT", "v=spf1 ip4:192.0.2.0/24 a -all")],
    "_dmarc.vendor.test": [("TXT", "v=DMARC1; p=reject; rua=mailto:dmarc@vendor.test")],
    "_mta-sts.vendor.test": [("TXT", "v=STSv1; id=20240101T000000")],
    "_smtp._tls.vendor.test": [("TXT", "v=TLSRPTv1; rua=mailto:tls@vendor.test")],
    "sub.vendor.test": [("A", "192.0.2.11")],
}


def _spf_chain(lookups: int) -> dict[str, list[tuple[str, RecordValue]]]:
    """vendor.test's SPF includes a chain whose evaluation takes exactly ``lookups`` queries."""
    zones: dict[str, list[tuple[str, RecordValue]]] = {
        "vendor.test": [*GOOD["vendor.test"][:1], ("TXT", "v=spf1 include:s1.mailer.test -all"),
                        *GOOD["vendor.test"][2:]],
    }
    # The root's include counts once, then each s<k> includes s<k+1> until s<lookups>.
    for level in range(1, lookups + 1):
        tail = f"include:s{level + 1}.mailer.test " if level < lookups else ""
        zones[f"s{level}.mailer.test"] = [("TXT", f"v=spf1 {tail}-all")]
    return zones


def _scan_facts(lab: DnsLab, changes: ZoneChanges, domain: str = DOMAIN) -> DnsFacts:
    lab.set_zones({**GOOD, **changes})
    resolver = make_resolver(*lab.address, timeout=LAB_TIMEOUT)
    return asyncio.run(gather_dns_facts(domain, resolver=resolver))


def _scan(lab: DnsLab, changes: ZoneChanges, domain: str = DOMAIN) -> list[Finding]:
    return analyse_dns(_scan_facts(lab, changes, domain))


def _ids(findings: list[Finding]) -> list[str]:
    return [item.id for item in findings]


def _with_root(*records: tuple[str, RecordValue]) -> ZoneChanges:
    """vendor.test with its records replaced by ``records``."""
    return {"vendor.test": list(records)}


def _root_without(rtype: str) -> ZoneChanges:
    return _with_root(*(r for r in GOOD["vendor.test"] if r[0] != rtype))


def _root_txt(*txt: RecordValue) -> ZoneChanges:
    return _with_root(*(r for r in GOOD["vendor.test"] if r[0] != "TXT"),
                      *(("TXT", value) for value in txt))


# --- every id appears, and stays away ---------------------------------------------------------

@dataclass(frozen=True)
class _Case:
    """A zone change (over GOOD) and the domain to scan, to show one finding id's behaviour."""

    finding_id: str
    why: str
    changes: ZoneChanges
    domain: str = DOMAIN

    def __str__(self) -> str:
        return f"{self.finding_id}: {self.why}"



_DMARC = "_dmarc.vendor.test"
_NULL_MX = _with_root(("MX", "0 ."), *GOOD["vendor.test"][1:])
_ELEVEN_TERMS = "v=spf1 a mx ptr exists:%{i}.x.test a:b.test mx:c.test a a a a a -all"

APPEARS: list[_Case] = [
    _Case("email.mx.missing", "no MX record", _root_without("MX")),
    _Case("email.mx.missing", "domain does not exist", {}, "gone.test"),
    _Case("email.mx.null", "single MX 0 dot", _NULL_MX),
    _Case("email.spf.missing", "TXT but no v=spf1", _root_txt("google-site-verification=abc")),
    _Case("email.spf.missing", "no TXT at all", _root_without("TXT")),
    _Case("email.spf.multiple", "two v=spf1 records",
          _root_txt("v=spf1 mx -all", "v=spf1 a -all")),
    _Case("email.spf.too_many_lookups", "include chain of 11", _spf_chain(11)),
    _Case("email.spf.too_many_lookups", "eleven terms in one record", _root_txt(_ELEVEN_TERMS)),
    _Case("email.spf.permissive_all", "+all", _root_txt("v=spf1 mx +all")),
    _Case("email.spf.permissive_all", "?all", _root_txt("v=spf1 mx ?all")),
    _Case("email.spf.permissive_all", "bare all", _root_txt("v=spf1 mx all")),
    _Case("email.dmarc.missing", "no _dmarc record", {_DMARC: []}),
    _Case("email.dmarc.missing", "neither subdomain nor parent has one", {_DMARC: []},
          "sub.vendor.test"),
    _Case("email.dmarc.invalid", "unknown policy", {_DMARC: [("TXT", "v=DMARC1; p=maybe")]}),
    _Case("email.dmarc.invalid", "v= not first", {_DMARC: [("TXT", "p=reject; v=DMARC1")]}),
    _Case("email.dmarc.invalid", "no p= tag",
          {_DMARC: [("TXT", "v=DMARC1; rua=mailto:a@b.test")]}),
    _Case("email.dmarc.invalid", "two DMARC records",
          {_DMARC: [("TXT", "v=DMARC1; p=reject"), ("TXT", "v=DMARC1; p=none")]}),
    _Case("email.dmarc.policy_none", "p=none",
          {_DMARC: [("TXT", "v=DMARC1; p=none; rua=mailto:d@vendor.test")]}),
    _Case("email.dmarc.no_reporting", "no rua", {_DMARC: [("TXT", "v=DMARC1; p=reject")]}),
    _Case("email.mta_sts.missing", "no _mta-sts record", {"_mta-sts.vendor.test": []}),
    _Case("email.mta_sts.missing", "wrong version",
          {"_mta-sts.vendor.test": [("TXT", "v=STSv2; id=1")]}),
    _Case("email.tlsrpt.missing", "no _smtp._tls record", {"_smtp._tls.vendor.test": []}),
    _Case("email.tlsrpt.missing", "no v=TLSRPTv1",
          {"_smtp._tls.vendor.test": [("TXT", "rua=mailto:x@y.test")]}),
    _Case("dns.caa.missing", "none on the domain", _root_without("CAA")),
    _Case("dns.caa.missing", "none on subdomain or parent", _root_without("CAA"),
          "sub.vendor.test"),
]

STAYS_AWAY: list[_Case] = [
    _Case("email.mx.missing", "MX present", {}),
    _Case("email.mx.null", "MX 0 names a host",
          _with_root(("MX", "0 mx.vendor.test"), *GOOD["vendor.test"][1:])),
    _Case("email.spf.missing", "record split into strings",
          _root_txt(("v=spf1 mx ", "include:_spf.mailer.test -all"))),
    _Case("email.spf.multiple", "one v=spf1 among other TXT",
          _root_txt("v=spf1 mx -all", "v=spf10 nothing", "spf1 a")),
    _Case("email.spf.too_many_lookups", "include chain of exactly 10", _spf_chain(10)),
    _Case("email.spf.too_many_lookups", "ip4 ip6 exp do not count",
          _root_txt("v=spf1 ip4:192.0.2.1 ip6:2001:db8::1 exp=explain.vendor.test -all")),
    _Case("email.spf.permissive_all", "~all", _root_txt("v=spf1 mx ~all")),
    _Case("email.spf.permissive_all", "-all", _root_txt("v=spf1 mx -all")),
    _Case("email.dmarc.missing", "record present", {}),
    _Case("email.dmarc.missing", "organisational record applies", {}, "sub.vendor.test"),
    _Case("email.dmarc.invalid", "tags without spaces, split strings",
          {_DMARC: [("TXT", ("v=DMARC1;p=quarantine;", "rua=mailto:d@vendor.test"))]}),
    _Case("email.dmarc.policy_none", "p=quarantine",
          {_DMARC: [("TXT", "v=DMARC1; p=quarantine; rua=mailto:d@vendor.test")]}),
    _Case("email.dmarc.no_reporting", "rua present", {}),
    _Case("email.mta_sts.missing", "v=STSv1 present", {}),
    _Case("email.tlsrpt.missing", "v=TLSRPTv1 present", {}),
    _Case("dns.caa.missing", "CAA on the domain", {}),
    _Case("dns.caa.missing", "CAA on the parent (RFC 8659)", {}, "sub.vendor.test"),
]


@pytest.mark.parametrize("case", APPEARS, ids=str)
def test_finding_appears(dns_lab: DnsLab, case: _Case) -> None:
    assert case.finding_id in _ids(_scan(dns_lab, case.changes, case.domain))


@pytest.mark.parametrize("case", STAYS_AWAY, ids=str)
def test_finding_stays_away(dns_lab: DnsLab, case: _Case) -> None:
    assert case.finding_id not in _ids(_scan(dns_lab, case.changes, case.domain))


def test_a_vendor_that_does_everything_right_has_no_dns_findings(dns_lab: DnsLab) -> None:
    assert _scan(dns_lab, {}) == []


def test_every_catalogued_dns_id_is_exercised() -> None:
    expected = {
        "email.mx.missing", "email.mx.null", "email.spf.missing", "email.spf.multiple",
        "email.spf.too_many_lookups", "email.spf.permissive_all", "email.dmarc.missing",
        "email.dmarc.invalid", "email.dmarc.policy_none", "email.dmarc.no_reporting",
        "email.mta_sts.missing", "email.tlsrpt.missing", "dns.caa.missing",
    }
    assert {case.finding_id for case in APPEARS} == expected
    assert {case.finding_id for case in STAYS_AWAY} == expected


# --- what the findings say ---------------------------------------------------------------------


def _only(findings: list[Finding], finding_id: str) -> Finding:
    (found,) = [item for item in findings if item.id == finding_id]
    return found


def test_null_mx_quotes_the_record(dns_lab: DnsLab) -> None:
    changes = _with_root(("MX", "0 ."), *GOOD["vendor.test"][1:])
    found = _only(_scan(dns_lab, changes), "email.mx.null")
    assert found.evidence == "vendor.test MX 0 ."
    assert found.target == DOMAIN


def test_missing_mx_names_the_nonexistent_domain(dns_lab: DnsLab) -> None:
    found = _only(_scan(dns_lab, {}, "gone.test"), "email.mx.missing")
    assert found.evidence == "no MX record at gone.test (the name does not exist)"


def test_a_dead_domain_gives_each_missing_finding_once_and_no_others(dns_lab: DnsLab) -> None:
    assert sorted(_ids(_scan(dns_lab, {}, "gone.test"))) == [
        "dns.caa.missing", "email.dmarc.missing", "email.mta_sts.missing", "email.mx.missing",
        "email.spf.missing", "email.tlsrpt.missing"]


def test_permissive_all_names_the_qualifier_a_bare_all_implies(dns_lab: DnsLab) -> None:
    found = _only(_scan(dns_lab, _root_txt("v=spf1 mx all")), "email.spf.permissive_all")
    assert "ends in +all" in found.detail
    assert found.evidence == '"v=spf1 mx all"'


def test_multiple_spf_quotes_both_records(dns_lab: DnsLab) -> None:
    found = _only(_scan(dns_lab, _root_txt("v=spf1 mx -all", "v=spf1 a -all")),
                  "email.spf.multiple")
    assert '"v=spf1 mx -all"' in found.evidence
    assert '"v=spf1 a -all"' in found.evidence


def test_too_many_lookups_counts_through_the_include_chain(dns_lab: DnsLab) -> None:
    found = _only(_scan(dns_lab, _spf_chain(11)), "email.spf.too_many_lookups")
    assert "takes 11 DNS lookups" in found.detail
    assert "s1.mailer.test: v=spf1" in found.evidence


def test_an_spf_record_split_into_strings_is_read_joined(dns_lab: DnsLab) -> None:
    facts = _scan_facts(dns_lab, _root_txt(("v=spf1 mx ", "-all")))
    assert "v=spf1 mx -all" in facts.txt.records


def test_invalid_dmarc_says_what_is_wrong(dns_lab: DnsLab) -> None:
    changes = {"_dmarc.vendor.test": [("TXT", "v=DMARC1; p=maybe")]}
    found = _only(_scan(dns_lab, changes), "email.dmarc.invalid")
    assert "p=maybe is not none, quarantine or reject" in found.detail
    assert found.evidence == '_dmarc.vendor.test: "v=DMARC1; p=maybe"'


def test_an_invalid_dmarc_record_reports_no_policy_weaknesses(dns_lab: DnsLab) -> None:
    changes = {"_dmarc.vendor.test": [("TXT", "v=DMARC1; p=maybe")]}
    assert _ids(_scan(dns_lab, changes)) == ["email.dmarc.invalid"]


def test_a_subdomain_without_dmarc_is_judged_by_the_organisational_record(
    dns_lab: DnsLab,
) -> None:
    changes = {"_dmarc.vendor.test": [("TXT", "v=DMARC1; p=none; rua=mailto:d@vendor.test")]}
    found = _only(_scan(dns_lab, changes, "sub.vendor.test"), "email.dmarc.policy_none")
    assert found.evidence.startswith("_dmarc.vendor.test:")


def test_missing_caa_names_every_level_walked(dns_lab: DnsLab) -> None:
    found = _only(_scan(dns_lab, _root_without("CAA"), "sub.vendor.test"), "dns.caa.missing")
    assert found.evidence == "no CAA record at sub.vendor.test, vendor.test"


def test_missing_mta_sts_quotes_the_wrong_record(dns_lab: DnsLab) -> None:
    found = _only(_scan(dns_lab, {"_mta-sts.vendor.test": [("TXT", "v=STSv2; id=1")]}),
                  "email.mta_sts.missing")
    assert '"v=STSv2; id=1"' in found.evidence


# --- the lab answers like an authoritative server ----------------------------------------------


def test_lab_tells_nodata_from_nxdomain(dns_lab: DnsLab) -> None:
    facts = _scan_facts(dns_lab, {}, "sub.vendor.test")
    assert facts.mx.status is LookupStatus.NODATA
    assert facts.dmarc.status is LookupStatus.NXDOMAIN


def test_lab_answers_an_empty_non_terminal_with_nodata(dns_lab: DnsLab) -> None:
    # _tls.vendor.test holds nothing but _smtp._tls.vendor.test sits below it.
    facts = _scan_facts(dns_lab, {"_smtp._tls.vendor.test": [], "x._smtp._tls.vendor.test": [
        ("TXT", "v=TLSRPTv1; rua=mailto:t@vendor.test")]})
    assert facts.tlsrpt.status is LookupStatus.NODATA


def test_a_cname_is_followed_to_its_target(dns_lab: DnsLab) -> None:
    facts = _scan_facts(dns_lab, {"_dmarc.vendor.test": [("CNAME", "dmarc.provider.test")],
                                  "dmarc.provider.test": [("TXT", "v=DMARC1; p=reject")]})
    assert facts.dmarc.records == ("v=DMARC1; p=reject",)


def test_a_txt_set_too_large_for_udp_arrives_over_tcp(dns_lab: DnsLab) -> None:
    padding = [f"verification-{n}={'x' * 200}" for n in range(6)]
    facts = _scan_facts(dns_lab, _root_txt(*padding, "v=spf1 mx -all"))
    assert len(facts.txt.records) == 7
    assert "email.spf.missing" not in _ids(analyse_dns(facts))


# --- failures never turn into false findings ----------------------------------------------------


@pytest.fixture
def silent_server() -> Iterator[tuple[str, int]]:
    """A UDP socket on 127.0.0.1 that receives queries and never answers them."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()


def test_a_resolver_that_never_answers_gives_no_findings_within_the_timeout(
    silent_server: tuple[str, int],
) -> None:
    resolver = make_resolver(*silent_server, timeout=0.5)
    started = time.monotonic()
    facts = asyncio.run(gather_dns_facts(DOMAIN, resolver=resolver))
    assert time.monotonic() - started < 3
    assert analyse_dns(facts) == []
    assert facts.unreachable
    assert {lookup.error for lookup in facts.failed_lookups} == {"timed out"}


def test_a_lost_query_is_asked_again_within_the_timeout(dns_lab: DnsLab) -> None:
    dns_lab.set_zones(GOOD, lossy={"_dmarc.vendor.test"})
    resolver = make_resolver(*dns_lab.address, timeout=1.5)
    started = time.monotonic()
    facts = asyncio.run(gather_dns_facts(DOMAIN, resolver=resolver))
    assert time.monotonic() - started < 1.5
    assert facts.failed_lookups == ()
    assert facts.dmarc.records == ("v=DMARC1; p=reject; rua=mailto:dmarc@vendor.test",)
    assert dns_lab.queries.count(("_dmarc.vendor.test", "TXT")) == 2


def test_a_servfail_on_dmarc_is_recorded_and_not_called_missing(dns_lab: DnsLab) -> None:
    dns_lab.set_zones({**GOOD, "_dmarc.vendor.test": []}, servfail={"_dmarc.vendor.test"})
    resolver = make_resolver(*dns_lab.address, timeout=LAB_TIMEOUT)
    facts = asyncio.run(gather_dns_facts(DOMAIN, resolver=resolver))
    assert [lookup.name for lookup in facts.failed_lookups] == ["_dmarc.vendor.test"]
    assert analyse_dns(facts) == []


def test_an_unanswered_include_makes_no_lookup_claim(dns_lab: DnsLab) -> None:
    dns_lab.set_zones(_spf_chain(11) | {
        name: records for name, records in GOOD.items() if name != "vendor.test"},
        silent={"s1.mailer.test"})
    resolver = make_resolver(*dns_lab.address, timeout=0.5)
    facts = asyncio.run(gather_dns_facts(DOMAIN, resolver=resolver))
    assert [lookup.name for lookup in facts.failed_lookups] == ["s1.mailer.test"]
    assert analyse_dns(facts) == []


def test_an_include_loop_is_fetched_once_and_counted_as_over_the_limit(dns_lab: DnsLab) -> None:
    facts = _scan_facts(dns_lab, {**_root_txt("v=spf1 include:loop.test -all"),
                                  "loop.test": [("TXT", "v=spf1 include:vendor.test -all")]})
    assert [lookup.name for lookup in facts.spf_includes] == ["loop.test", "vendor.test"]
    assert "email.spf.too_many_lookups" in _ids(analyse_dns(facts))


def test_a_name_that_is_not_a_domain_is_refused() -> None:
    resolver = make_resolver("127.0.0.1", 9, timeout=0.1)
    with pytest.raises(ValueError, match="not a domain name"):
        asyncio.run(gather_dns_facts("a..b", resolver=resolver))


def test_make_resolver_points_at_the_given_server() -> None:
    resolver = make_resolver("127.0.0.1", 5353, timeout=1.5)
    assert resolver.nameservers == ["127.0.0.1"]
    assert resolver.port == 5353
    assert resolver.lifetime == 1.5


# --- pure: SPF lookup counting -------------------------------------------------------------------


def _txt(name: str, *records: str) -> Lookup:
    return Lookup(name, "TXT", LookupStatus.ANSWER, records)


def test_spf_counts_each_dns_querying_mechanism() -> None:
    count = count_spf_lookups("v=spf1 a mx ptr exists:x.test a:b.test/24 mx/24 -all", {})
    assert count.lookups == 6
    assert count.complete


def test_spf_does_not_count_ip_all_or_exp() -> None:
    count = count_spf_lookups("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 exp=e.test ~all", {})
    assert count.lookups == 0


def test_spf_counts_through_includes_and_redirects() -> None:
    txt = {"inc.test": _txt("inc.test", "v=spf1 a mx -all"),
           "red.test": _txt("red.test", "v=spf1 include:inc.test -all")}
    count = count_spf_lookups("v=spf1 include:inc.test redirect=red.test", txt)
    # include (1) + its a, mx (2) + redirect (1) + red's include (1) + its a, mx (2)
    assert count.lookups == 7
    assert count.complete


def test_spf_ignores_a_redirect_when_the_record_has_all() -> None:
    count = count_spf_lookups("v=spf1 mx redirect=red.test -all", {})
    assert count.lookups == 1
    assert count.complete


def test_spf_count_is_incomplete_when_an_include_was_not_seen() -> None:
    failed = Lookup("inc.test", "TXT", LookupStatus.FAILED, error="timed out")
    count = count_spf_lookups("v=spf1 include:inc.test -all", {"inc.test": failed})
    assert count.lookups == 1
    assert not count.complete


def test_spf_include_without_an_spf_record_counts_only_the_include() -> None:
    txt = {"inc.test": Lookup("inc.test", "TXT", LookupStatus.NXDOMAIN)}
    assert count_spf_lookups("v=spf1 include:inc.test -all", txt).lookups == 1


def test_spf_include_loop_is_over_the_limit() -> None:
    txt = {"a.test": _txt("a.test", "v=spf1 include:b.test -all"),
           "b.test": _txt("b.test", "v=spf1 include:a.test -all")}
    assert count_spf_lookups("v=spf1 include:a.test -all", txt).lookups > 10


def test_spf_terms_keep_their_qualifiers() -> None:
    terms = parse_spf("v=spf1 -a:x.test ~mx ?all redirect=r.test")
    assert [(t.qualifier, t.name, t.value) for t in terms] == [
        ("-", "a", "x.test"), ("~", "mx", ""), ("?", "all", ""), ("=", "redirect", "r.test")]


# --- pure: DMARC parsing -------------------------------------------------------------------------


def test_dmarc_parses_tags_case_insensitively_and_trims_spaces() -> None:
    record = parse_dmarc("v=DMARC1 ; P=Quarantine ; rua = mailto:d@vendor.test; pct=50")
    assert record.problem == ""
    assert record.policy == "quarantine"
    assert record.tag("rua") == "mailto:d@vendor.test"
    assert record.tag("pct") == "50"


@pytest.mark.parametrize(("text", "problem"), [
    ("p=reject; v=DMARC1", "it does not start with v=DMARC1"),
    ("v=DMARC2; p=reject", "it does not start with v=DMARC1"),
    ("", "it does not start with v=DMARC1"),
    ("v=DMARC1; rua=mailto:d@vendor.test", "it has no p= policy tag"),
    ("v=DMARC1; p=", "it has no p= policy tag"),
    ("v=DMARC1; p=block", "its policy p=block is not none, quarantine or reject"),
])
def test_dmarc_problems_are_named(text: str, problem: str) -> None:
    assert parse_dmarc(text).problem == problem


def test_dmarc_without_rua_has_no_reporting_address() -> None:
    assert parse_dmarc("v=DMARC1; p=reject; ruf=mailto:f@vendor.test").tag("rua") == ""
