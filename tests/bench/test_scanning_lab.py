"""The scanning benchmark's lab: what it expects of each domain is what our scanner finds,
and the peers' answers are read the way the benchmark says."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from bench.scanning import (
    DMARC,
    EPHEMERAL,
    MAIL,
    SPF,
    WEB,
    Lab,
    Verdicts,
    checkdmarc_verdicts,
    lab_plan,
    our_verdicts,
    sslyze_outdated,
)
from scanners import scan
from scanners.addresses import BlockReason

COVERING = 9  # the plan's first domains, which show every variant of every dimension


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    """The lab for the covering domains on free ports: any user, beside a running bench."""
    with Lab(lab_plan(COVERING), EPHEMERAL) as lab:
        yield lab


def _scan(lab: Lab) -> list[scan.DomainReport]:
    async def run() -> list[scan.DomainReport]:
        context = scan.make_context(
            resolver=lab.resolver, timeout=5.0, ca_file=lab.ca_bundle,
            allow_private=frozenset({BlockReason.LOOPBACK}), concurrency=COVERING,
            smtp_port=lab.smtp.port, https_port=lab.web.https_port,
            http_port=lab.web.http_port)
        return await scan.scan_domains([d.name for d in lab.domains], context=context)

    return asyncio.run(run())


def test_the_first_domains_show_every_variant() -> None:
    plan = lab_plan(COVERING)
    assert {d.spf for d in plan} == set(SPF)
    assert {d.dmarc for d in plan} == set(DMARC)
    assert {d.mail for d in plan} == set(MAIL)
    assert {d.web for d in plan} == set(WEB)


def test_the_plan_is_the_same_on_every_run() -> None:
    assert lab_plan() == lab_plan()
    assert len({d.name for d in lab_plan()}) == 200


def test_our_scanner_finds_what_the_lab_expects_of_every_domain(lab: Lab) -> None:
    reports = _scan(lab)
    found = {r.domain: our_verdicts(r.domain, [f.as_dict() for f in r.findings], r.errors)
             for r in reports}
    assert found == {d.name: d.expected() for d in lab.domains}


def test_a_check_whose_lookups_failed_reads_unknown_not_clean() -> None:
    errors = ["DNS lookups failed: vendor000.test MX (timed out); vendor000.test TXT "
              "(timed out)",
              "web not run: DNS lookups failed: vendor000.test: timed out; "
              "www.vendor000.test: timed out"]
    assert our_verdicts("vendor000.test", [], errors) == Verdicts(
        spf="unknown", dmarc="enforced", mx="unknown", starttls="unknown",
        smtp_outdated="unknown", web_outdated="unknown", web="unknown")


def test_a_host_whose_lookup_failed_leaves_its_checks_unknown() -> None:
    errors = ["smtp not checked on mx.vendor000.test: DNS lookup failed (timed out)",
              "web not checked on www.vendor000.test: DNS lookup failed (timed out)"]
    verdicts = our_verdicts("vendor000.test", [], errors)
    assert (verdicts.starttls, verdicts.smtp_outdated) == ("unknown", "unknown")
    assert verdicts.web == "unknown"
    assert verdicts.web_outdated == "no"  # the domain's own HTTPS host was checked


def _checkdmarc_result(**changes: object) -> dict[str, object]:
    """A checkdmarc 6 result for a well-kept domain, as its JSON output has it."""
    result: dict[str, object] = {
        "domain": "vendor000.test",
        "spf": {"record": "v=spf1 mx -all", "valid": True, "parsed": {"all": "fail"}},
        "dmarc": {"valid": True, "tags": {"p": {"value": "reject", "explicit": True}}},
        "mx": {"hosts": [{"hostname": "mx.vendor000.test", "starttls": True, "tls": True}],
               "warnings": ["127.0.25.1 does not have any reverse DNS (PTR) records"]},
    }
    return {**result, **changes}


def test_checkdmarc_reads_as_the_lab_words_it() -> None:
    assert checkdmarc_verdicts(_checkdmarc_result()) == Verdicts(
        spf="ok", dmarc="enforced", mx="present", starttls="ok")


@pytest.mark.parametrize(
    ("spf", "verdict"),
    [
        ({"valid": True, "parsed": {"all": "pass"}}, "permissive"),
        ({"valid": True, "parsed": {"all": "neutral"}}, "ok"),  # checkdmarc's view of ?all
        ({"valid": False, "error": "An SPF record does not exist."}, "missing"),
        ({"valid": False, "error": "Parsing the SPF record requires 11/10 maximum DNS "
                                   "lookups (RFC 7208 § 4.6.4)"}, "too_many_lookups"),
    ],
)
def test_checkdmarc_spf_verdicts(spf: dict[str, object], verdict: str) -> None:
    assert checkdmarc_verdicts(_checkdmarc_result(spf=spf)).spf == verdict


@pytest.mark.parametrize(
    ("warning", "verdict"),
    [
        ("STARTTLS is not supported on mx.vendor000.test.", "no_starttls"),
        ("mx.vendor000.test: SSL error: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify "
         "failed: certificate has expired (_ssl.c:1006)", "bad_cert"),
        ("mx.vendor000.test: Connection refused", "unreachable"),
    ],
)
def test_checkdmarc_starttls_verdicts(warning: str, verdict: str) -> None:
    mx = {"hosts": [{"hostname": "mx.vendor000.test", "starttls": False, "tls": False}],
          "warnings": [warning]}
    assert checkdmarc_verdicts(_checkdmarc_result(mx=mx)).starttls == verdict


def test_checkdmarc_without_mx_hosts_has_no_starttls_to_judge() -> None:
    verdicts = checkdmarc_verdicts(_checkdmarc_result(mx={"hosts": [], "warnings": []}))
    assert (verdicts.mx, verdicts.starttls) == ("missing", "n/a")


def _sslyze_result(tls_1_0: bool, tls_1_1: bool) -> dict[str, object]:
    def attempt(supported: bool) -> dict[str, object]:
        return {"status": "COMPLETED", "result": {"is_tls_version_supported": supported}}

    return {"connectivity_status": "COMPLETED",
            "scan_result": {"tls_1_0_cipher_suites": attempt(tls_1_0),
                            "tls_1_1_cipher_suites": attempt(tls_1_1)}}


def test_sslyze_calls_a_host_outdated_when_it_accepts_tls_1_0_or_1_1() -> None:
    assert sslyze_outdated(_sslyze_result(False, False)) == "no"
    assert sslyze_outdated(_sslyze_result(True, False)) == "yes"
    assert sslyze_outdated(_sslyze_result(False, True)) == "yes"
    assert sslyze_outdated({"connectivity_status": "ERROR", "scan_result": None}) == "n/a"
