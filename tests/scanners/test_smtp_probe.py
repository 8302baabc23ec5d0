"""The SMTP probe against the lab's mail servers on 127.0.0.1, and its analysis on its own."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import pytest

from scanners.dns_probe import make_resolver
from scanners.findings import Finding
from scanners.smtp_probe import (
    MailServers,
    SmtpFacts,
    analyse_smtp,
    probe_mx_hosts,
    probe_smtp,
)
from scanners.tls import ContextFactory, Handshake, OutdatedTls
from tests.scanners.lab.dns_server import DnsLab
from tests.scanners.lab.smtp_server import SmtpKind, SmtpLab

TIMEOUT = 2.0
SMTP_IDS = (
    "smtp.unreachable",
    "smtp.starttls.unsupported",
    "smtp.tls.protocol_outdated",
    "smtp.cert.invalid",
)


def _facts(lab: SmtpLab, port: int, tls: ContextFactory, timeout: float = TIMEOUT) -> SmtpFacts:
    return asyncio.run(
        probe_smtp(lab.mx_name, lab.address, port=port, timeout=timeout, ssl_context_factory=tls)
    )


def _findings(lab: SmtpLab, kind: SmtpKind, tls: ContextFactory) -> list[Finding]:
    return analyse_smtp(_facts(lab, lab.port(kind), tls))


def _ids(findings: list[Finding]) -> set[str]:
    return {f.id for f in findings}


def _only(findings: list[Finding], finding_id: str) -> Finding:
    (match,) = (f for f in findings if f.id == finding_id)
    return match


# --- each id against the server that shows it, and away from a good one -------------------


@pytest.mark.parametrize(
    ("kind", "finding_id"),
    [
        (SmtpKind.PLAIN, "smtp.starttls.unsupported"),
        (SmtpKind.OUTDATED_TLS, "smtp.tls.protocol_outdated"),
        (SmtpKind.WRONG_NAME, "smtp.cert.invalid"),
        (SmtpKind.UNTRUSTED, "smtp.cert.invalid"),
        (SmtpKind.EXPIRED, "smtp.cert.invalid"),
    ],
)
def test_finding_appears(
    smtp_lab: SmtpLab, lab_tls: ContextFactory, kind: SmtpKind, finding_id: str
) -> None:
    assert _ids(_findings(smtp_lab, kind, lab_tls)) == {finding_id}


@pytest.mark.parametrize("finding_id", SMTP_IDS)
def test_finding_stays_away_from_a_good_server(
    smtp_lab: SmtpLab, lab_tls: ContextFactory, finding_id: str
) -> None:
    assert finding_id not in _ids(_findings(smtp_lab, SmtpKind.GOOD, lab_tls))


def test_dead_port_is_unreachable(smtp_lab: SmtpLab, lab_tls: ContextFactory) -> None:
    findings = analyse_smtp(_facts(smtp_lab, smtp_lab.dead_port, lab_tls))
    assert _ids(findings) == {"smtp.unreachable"}
    assert f"{smtp_lab.address}:{smtp_lab.dead_port}" in findings[0].evidence


def test_server_without_banner_is_unreachable_within_the_timeout(
    smtp_lab: SmtpLab, lab_tls: ContextFactory
) -> None:
    started = time.monotonic()
    facts = _facts(smtp_lab, smtp_lab.stall_port, lab_tls, timeout=0.5)
    assert time.monotonic() - started < 2.0
    assert facts.error == "timed out"
    assert _ids(analyse_smtp(facts)) == {"smtp.unreachable"}


# --- what the facts and the evidence say ---------------------------------------------------


def test_good_server_records_protocol_and_cipher(
    smtp_lab: SmtpLab, lab_tls: ContextFactory
) -> None:
    facts = _facts(smtp_lab, smtp_lab.port(SmtpKind.GOOD), lab_tls)
    assert facts.handshake is not None
    assert facts.handshake.protocol in {"TLSv1.2", "TLSv1.3"}
    assert facts.handshake.cipher
    assert facts.cert_error == ""
    assert facts.outdated is OutdatedTls.REFUSED


def test_cert_evidence_names_protocol_and_cipher(
    smtp_lab: SmtpLab, lab_tls: ContextFactory
) -> None:
    facts = _facts(smtp_lab, smtp_lab.port(SmtpKind.WRONG_NAME), lab_tls)
    evidence = _only(analyse_smtp(facts), "smtp.cert.invalid").evidence
    assert facts.handshake is not None
    assert facts.handshake.protocol in evidence
    assert facts.handshake.cipher in evidence


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        (SmtpKind.WRONG_NAME, "hostname mismatch"),
        (SmtpKind.UNTRUSTED, "unable to get local issuer certificate"),
        (SmtpKind.EXPIRED, "certificate has expired"),
    ],
)
def test_cert_evidence_says_what_is_wrong(
    smtp_lab: SmtpLab, lab_tls: ContextFactory, kind: SmtpKind, words: str
) -> None:
    evidence = _only(_findings(smtp_lab, kind, lab_tls), "smtp.cert.invalid").evidence
    assert words in evidence.lower()


def test_outdated_evidence_names_old_protocol_and_cipher(
    smtp_lab: SmtpLab, lab_tls: ContextFactory
) -> None:
    facts = _facts(smtp_lab, smtp_lab.port(SmtpKind.OUTDATED_TLS), lab_tls)
    assert facts.outdated_handshake is not None
    assert facts.outdated_handshake.protocol in {"TLSv1", "TLSv1.1"}
    evidence = _only(analyse_smtp(facts), "smtp.tls.protocol_outdated").evidence
    assert facts.outdated_handshake.protocol in evidence
    assert facts.outdated_handshake.cipher in evidence


def test_lab_ca_unknown_to_the_client_makes_the_good_cert_invalid(smtp_lab: SmtpLab) -> None:
    facts = asyncio.run(
        probe_smtp(
            smtp_lab.mx_name, smtp_lab.address, port=smtp_lab.port(SmtpKind.GOOD), timeout=TIMEOUT
        )
    )
    assert _ids(analyse_smtp(facts)) == {"smtp.cert.invalid"}
    assert facts.handshake is not None  # still encrypted, as opportunistic TLS would be


def test_plain_server_is_not_tested_for_tls(smtp_lab: SmtpLab, lab_tls: ContextFactory) -> None:
    facts = _facts(smtp_lab, smtp_lab.port(SmtpKind.PLAIN), lab_tls)
    assert facts.handshake is None
    assert facts.outdated is OutdatedTls.NOT_TESTED


# --- the analysis on its own ---------------------------------------------------------------

_BASE = SmtpFacts(
    host="mx.example.test",
    address="192.0.2.25",
    port=25,
    ehlo=("mx.example.test", "STARTTLS"),
    starttls_offered=True,
    handshake=Handshake("TLSv1.3", "TLS_AES_256_GCM_SHA384", 256),
)


def test_analysis_of_a_good_server_finds_nothing() -> None:
    assert analyse_smtp(_BASE) == []


def test_unreachable_server_gets_no_other_finding() -> None:
    facts = SmtpFacts(host="mx.example.test", address="192.0.2.25", port=25, error="timed out")
    assert _ids(analyse_smtp(facts)) == {"smtp.unreachable"}


def test_starttls_offered_but_failing_counts_as_unsupported() -> None:
    facts = SmtpFacts(**{**_BASE.__dict__, "handshake": None, "tls_error": "unsupported protocol"})
    finding = _only(analyse_smtp(facts), "smtp.starttls.unsupported")
    assert "unsupported protocol" in finding.evidence


def test_outdated_not_tested_gives_no_finding() -> None:
    facts = SmtpFacts(
        **{**_BASE.__dict__, "outdated_note": "this OpenSSL cannot offer TLS 1.0 or 1.1"}
    )
    assert "smtp.tls.protocol_outdated" not in _ids(analyse_smtp(facts))


def test_ipv6_endpoint_is_bracketed() -> None:
    facts = SmtpFacts(host="mx.example.test", address="2001:db8::25", port=25, error="refused")
    assert "[2001:db8::25]:25" in analyse_smtp(facts)[0].evidence


# --- every MX host, through the SSRF guard -------------------------------------------------


@dataclass(frozen=True)
class _Mx:
    lab: SmtpLab
    dns: DnsLab

    def scan(self, hosts: list[str], port: int, tls: ContextFactory, **kw: bool) -> list[Finding]:
        return self.servers(hosts, port, tls, **kw).findings

    def servers(self, hosts: list[str], port: int, tls: ContextFactory, *,
                timeout: float = TIMEOUT, **kw: bool) -> MailServers:
        resolver = make_resolver(*self.dns.address, timeout=timeout)
        return asyncio.run(
            probe_mx_hosts(
                hosts, resolver=resolver, port=port, timeout=timeout,
                ssl_context_factory=tls, **kw,
            )
        )


@pytest.fixture
def mx(smtp_lab: SmtpLab, dns_lab: DnsLab) -> _Mx:
    dns_lab.set_zones({smtp_lab.mx_name: [("A", smtp_lab.address)]})
    return _Mx(smtp_lab, dns_lab)


def test_loopback_mx_is_blocked_without_a_connection(mx: _Mx, lab_tls: ContextFactory) -> None:
    before = mx.lab.connections[SmtpKind.PLAIN]
    findings = mx.scan([mx.lab.mx_name], mx.lab.port(SmtpKind.PLAIN), lab_tls)
    assert _ids(findings) == {"scan.blocked_address"}
    assert "loopback" in findings[0].evidence
    assert mx.lab.connections[SmtpKind.PLAIN] == before


def test_allow_private_lets_the_probe_reach_the_lab(mx: _Mx, lab_tls: ContextFactory) -> None:
    findings = mx.scan(
        [mx.lab.mx_name], mx.lab.port(SmtpKind.PLAIN), lab_tls, allow_private=True
    )
    assert _ids(findings) == {"smtp.starttls.unsupported"}


def test_good_mx_host_gives_no_finding(mx: _Mx, lab_tls: ContextFactory) -> None:
    findings = mx.scan([mx.lab.mx_name], mx.lab.port(SmtpKind.GOOD), lab_tls, allow_private=True)
    assert findings == []


def test_mx_host_that_does_not_resolve_is_unreachable(mx: _Mx, lab_tls: ContextFactory) -> None:
    findings = mx.scan(["gone.lab.test"], mx.lab.port(SmtpKind.GOOD), lab_tls, allow_private=True)
    assert _ids(findings) == {"smtp.unreachable"}


def test_mx_host_whose_lookup_times_out_is_an_error_not_a_finding(
    mx: _Mx, lab_tls: ContextFactory
) -> None:
    mx.dns.set_zones({mx.lab.mx_name: [("A", mx.lab.address)]}, silent={mx.lab.mx_name})
    servers = mx.servers([mx.lab.mx_name], mx.lab.port(SmtpKind.GOOD), lab_tls, timeout=0.5,
                         allow_private=True)
    assert servers.findings == []  # a lookup that failed proves nothing about the server
    assert servers.failed_lookups == ((mx.lab.mx_name, "timed out"),)
