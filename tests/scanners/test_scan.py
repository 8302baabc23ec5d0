"""``python -m scanners scan`` against the lab: DNS on 127.0.0.1, the lab's SMTP servers and its
web servers (a well-kept site, so the web probes add nothing unless a test says otherwise)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

import scanners.__main__ as cli
from scanners import scan
from scanners.findings import Severity
from tests.scanners.lab.dns_server import DnsLab, RecordValue
from tests.scanners.lab.smtp_server import SmtpKind, SmtpLab
from tests.scanners.lab.web_server import Page, TlsKind, WebLab

DOMAIN = "clinic.test"
SLOW = "slow.test"
TIMEOUT = 2.0

# A vendor whose mail goes to the lab's SMTP server (SPF fine, nothing else published) and
# whose website is the web lab's good server.
ZONES: dict[str, list[tuple[str, RecordValue]]] = {
    DOMAIN: [("MX", "10 mx.lab.test"), ("TXT", "v=spf1 mx -all")],
    "mx.lab.test": [("A", "127.0.0.1")],
}
DNS_IDS = {"email.dmarc.missing", "email.mta_sts.missing", "email.tlsrpt.missing",
           "dns.caa.missing"}
# Every name the scan asks about slow.test: the lab never answers any of them.
SLOW_NAMES = [SLOW, f"_dmarc.{SLOW}", f"_mta-sts.{SLOW}", f"_smtp._tls.{SLOW}"]


@pytest.fixture
def lab(
    dns_lab: DnsLab, smtp_lab: SmtpLab, web_lab: WebLab, tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> SmtpLab:
    """The lab zones served, the CLI's SMTP probe aimed at the lab's plain server and its web
    probes at the web lab's ports, and one CA file trusting both labs' CAs."""
    good_web = web_lab.address(TlsKind.GOOD)
    dns_lab.set_zones({**ZONES, DOMAIN: [*ZONES[DOMAIN], ("A", good_web)],
                       f"www.{DOMAIN}": [("A", good_web)]}, silent=SLOW_NAMES)
    monkeypatch.setattr(cli, "SMTP_PORT", smtp_lab.port(SmtpKind.PLAIN))
    monkeypatch.setattr(cli, "HTTPS_PORT", web_lab.https_port)
    monkeypatch.setattr(cli, "HTTP_PORT", web_lab.http_port)
    cas = tmp_path / "lab-cas.pem"
    cas.write_bytes(smtp_lab.ca.cert_pem.bytes() + web_lab.ca.cert_pem.bytes())
    monkeypatch.setattr(smtp_lab, "ca_file", str(cas))
    return smtp_lab


def _args(dns_lab: DnsLab, smtp_lab: SmtpLab, *extra: str, private: bool = True) -> list[str]:
    return ["scan", "--resolver", f"127.0.0.1:{dns_lab.port}", "--ca-file", smtp_lab.ca_file,
            "--timeout", str(TIMEOUT), *(["--allow-private"] if private else []), *extra]


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> list[dict[str, Any]]:
    assert cli.main(argv) == 0
    out = capsys.readouterr()
    assert out.err == ""
    reports: list[dict[str, Any]] = json.loads(out.out)
    return reports


def _ids(report: dict[str, Any]) -> set[str]:
    return {f["id"] for f in report["findings"]}


def test_json_holds_the_findings_of_every_probe(
    dns_lab: DnsLab, lab: SmtpLab, capsys: pytest.CaptureFixture[str]
) -> None:
    (report,) = _json(capsys, _args(dns_lab, lab, "--json", DOMAIN))
    assert report["domain"] == DOMAIN
    assert _ids(report) == DNS_IDS | {"smtp.starttls.unsupported"}
    assert report["errors"] == []
    assert isinstance(report["duration_seconds"], float)
    first = report["findings"][0]  # highest severity first
    assert (first["id"], first["severity"], first["target"]) == (
        "smtp.starttls.unsupported", "high", "mx.lab.test")
    assert set(first) == {"id", "severity", "title", "detail", "evidence", "target",
                          "remediation"}
    ranks = [Severity(f["severity"]).rank for f in report["findings"]]
    assert ranks == sorted(ranks, reverse=True)


def test_the_ca_file_is_trusted_for_the_mx_certificate(
    dns_lab: DnsLab, lab: SmtpLab, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli, "SMTP_PORT", lab.port(SmtpKind.GOOD))
    (report,) = _json(capsys, _args(dns_lab, lab, "--json", DOMAIN))
    assert _ids(report) == DNS_IDS


def test_table_is_readable(
    dns_lab: DnsLab, lab: SmtpLab, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(_args(dns_lab, lab, DOMAIN)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{DOMAIN}  (")
    assert lines[1].split() == ["severity", "id", "target", "title"]
    assert lines[2].split()[:3] == ["high", "smtp.starttls.unsupported", "mx.lab.test"]
    assert "Mail server does not offer encryption (STARTTLS)" in lines[2]
    # Columns line up: every id starts where the heading's does.
    column = lines[1].index("id")
    assert all(line[column:].split()[0] in DNS_IDS | {"id", "smtp.starttls.unsupported"}
               for line in lines[1:7])
    assert lines[-1] == "  5 findings (1 high, 1 medium, 1 low, 2 info)"


def test_only_dns_opens_no_smtp_connection(
    dns_lab: DnsLab, lab: SmtpLab, capsys: pytest.CaptureFixture[str]
) -> None:
    before = dict(lab.connections)
    (report,) = _json(capsys, _args(dns_lab, lab, "--json", "--only", "dns", DOMAIN))
    assert _ids(report) == DNS_IDS
    assert lab.connections == before


def test_only_smtp_resolves_mx_once(
    dns_lab: DnsLab, lab: SmtpLab, capsys: pytest.CaptureFixture[str]
) -> None:
    (report,) = _json(capsys, _args(dns_lab, lab, "--json", "--only", "smtp", DOMAIN))
    assert _ids(report) == {"smtp.starttls.unsupported"}
    assert dns_lab.queries.count((DOMAIN, "MX")) == 1


def test_loopback_hosts_are_blocked_without_allow_private(
    dns_lab: DnsLab, lab: SmtpLab, web_lab: WebLab, capsys: pytest.CaptureFixture[str]
) -> None:
    before = dict(lab.connections)
    (report,) = _json(capsys, _args(dns_lab, lab, "--json", DOMAIN, private=False))
    assert _ids(report) == DNS_IDS | {"scan.blocked_address"}
    blocked = {f["evidence"] for f in report["findings"] if f["id"] == "scan.blocked_address"}
    good_web = web_lab.address(TlsKind.GOOD)
    assert blocked == {"mx.lab.test -> 127.0.0.1 (loopback address)",
                       f"{DOMAIN} -> {good_web} (loopback address)",
                       f"www.{DOMAIN} -> {good_web} (loopback address)"}
    assert lab.connections == before
    assert web_lab.requests == []
    assert {e.split(":")[0] for e in report["errors"]} == {"headers not run", "tracking not run"}


def test_a_silent_domain_does_not_delay_another(
    dns_lab: DnsLab, lab: SmtpLab, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    slow, fast = _json(capsys, _args(dns_lab, lab, "--json", "--concurrency", "2", SLOW, DOMAIN))
    elapsed = time.monotonic() - started
    assert fast["domain"] == DOMAIN
    assert "smtp.starttls.unsupported" in _ids(fast)
    assert fast["duration_seconds"] < TIMEOUT  # it never waited for the silent resolver
    assert slow["domain"] == SLOW
    assert slow["findings"] == []  # nothing seen, so nothing claimed missing
    dns_error, web_error, *not_run = slow["errors"]
    assert dns_error.startswith(f"DNS lookups failed: {SLOW} MX (timed out)")
    assert web_error == f"web not run: DNS lookups failed: {SLOW}: timed out"
    assert not_run == [f"headers not run: no web page of {SLOW} or www.{SLOW} could be read "
                       "over HTTPS", f"tracking not run: no web page of {SLOW} or www.{SLOW} "
                       "could be read over HTTPS"]
    assert elapsed < 3 * TIMEOUT  # the two ran side by side, each bounded by its timeouts


def test_an_mx_host_whose_lookup_times_out_is_an_error_not_unreachable(
    dns_lab: DnsLab, lab: SmtpLab, capsys: pytest.CaptureFixture[str]
) -> None:
    dns_lab.set_zones(ZONES, silent={"mx.lab.test"})
    (report,) = _json(capsys, _args(dns_lab, lab, "--json", "--only", "smtp", "--timeout", "0.5",
                                    DOMAIN))
    assert report["findings"] == []
    assert report["errors"] == ["smtp not checked on mx.lab.test: DNS lookup failed (timed out)"]


def test_a_domain_that_does_not_exist_gets_a_report(
    dns_lab: DnsLab, lab: SmtpLab, capsys: pytest.CaptureFixture[str]
) -> None:
    (report,) = _json(capsys, _args(dns_lab, lab, "--json", "nowhere.test"))
    assert {"email.mx.missing", "web.https.unreachable"} <= _ids(report)
    (unreachable,) = (f for f in report["findings"] if f["id"] == "web.https.unreachable")
    assert unreachable["evidence"] == "nowhere.test: no such name; www.nowhere.test: no such name"
    assert [e.split(":")[0] for e in report["errors"]] == ["headers not run", "tracking not run"]


def test_only_web_probes_touch_only_the_website(
    dns_lab: DnsLab, lab: SmtpLab, web_lab: WebLab, capsys: pytest.CaptureFixture[str]
) -> None:
    before = dict(lab.connections)
    (report,) = _json(capsys, _args(dns_lab, lab, "--json", "--only", "web,headers,tracking",
                                    DOMAIN))
    assert report["findings"] == []
    assert report["errors"] == []
    assert lab.connections == before
    assert {(r.scheme, r.host) for r in web_lab.requests} == {
        ("https", DOMAIN), ("http", DOMAIN), ("https", f"www.{DOMAIN}"),
        ("http", f"www.{DOMAIN}")}
    assert (DOMAIN, "MX") not in dns_lab.queries


def test_a_badly_kept_website_shows_in_the_table(
    dns_lab: DnsLab, lab: SmtpLab, web_lab: WebLab, capsys: pytest.CaptureFixture[str]
) -> None:
    dns_lab.set_zones({**ZONES, DOMAIN: [*ZONES[DOMAIN], ("A", web_lab.address(TlsKind.GOOD))],
                       f"www.{DOMAIN}": [("A", web_lab.address(TlsKind.EXPIRED))]})
    web_lab.set_page(f"http://{DOMAIN}/", Page("<p>plain</p>"))
    assert cli.main(_args(dns_lab, lab, "--only", "web", DOMAIN)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:3] for line in lines[2:4]] == [
        ["high", "web.cert.expired", f"www.{DOMAIN}"],
        ["medium", "web.http.no_redirect", f"http://{DOMAIN}/"]]
    assert lines[-1] == "  2 findings (1 high, 1 medium)"


def test_reports_keep_input_order_and_drop_repeats(
    dns_lab: DnsLab, lab: SmtpLab, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = _json(capsys, _args(dns_lab, lab, "--json", "--only", "dns",
                                  "nowhere.test", DOMAIN.upper() + ".", DOMAIN))
    assert [r["domain"] for r in reports] == ["nowhere.test", DOMAIN]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["scan", "not a domain"], "error: not a domain name: 'not a domain'"),
        (["scan", "localhost"], "error: not a domain name: 'localhost'"),
        (["scan", "192.0.2.1"], "error: not a domain name (an address?): '192.0.2.1'"),
        (["scan", "--resolver", "dns.example", DOMAIN],
         "error: bad resolver 'dns.example': not an IP address"),
        (["scan", "--resolver", "127.0.0.1:99999", DOMAIN],
         "error: bad resolver '127.0.0.1:99999': bad port '99999'"),
        (["scan", "--ca-file", "/no/such/ca.pem", DOMAIN],
         "error: cannot use CA file /no/such/ca.pem: No such file or directory"),
        (["scan", "--only", "dns,ftp", DOMAIN],
         "error: unknown probe ftp; choose from dns, smtp, web, headers, tracking"),
        (["scan", "--concurrency", "0", DOMAIN],
         "error: --concurrency must be a positive number, not '0'"),
        (["scan", "--timeout", "soon", DOMAIN],
         "error: --timeout must be a positive number, not 'soon'"),
    ],
)
def test_bad_input_exits_2_with_one_line_before_any_query(
    dns_lab: DnsLab, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert cli.main(argv) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.splitlines() == [message]
    assert dns_lab.queries == []


def test_a_file_that_is_no_pem_is_bad_input(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n", encoding="utf-8")
    assert cli.main(["scan", "--ca-file", str(junk), DOMAIN]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: cannot use CA file {junk}")


def test_help_lists_the_registered_probes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["scan", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "[--only dns,smtp,web,headers,tracking]" in help_text
    assert "known: dns,smtp,web,headers,tracking" in help_text


def test_registry_maps_every_probe() -> None:
    assert set(scan.PROBES) == set(scan.Probe)
    assert [str(p) for p in scan.Probe] == ["dns", "smtp", "web", "headers", "tracking"]


def test_scan_domains_shares_facts_between_probes(
    dns_lab: DnsLab, lab: SmtpLab, web_lab: WebLab
) -> None:
    async def run() -> list[scan.DomainReport]:
        context = scan.make_context(resolver=dns_lab.address, timeout=TIMEOUT,
                                    allow_private=True, smtp_port=lab.port(SmtpKind.PLAIN),
                                    https_port=web_lab.https_port, http_port=web_lab.http_port,
                                    ca_file=lab.ca_file)
        return await scan.scan_domains([DOMAIN], context=context)

    (report,) = asyncio.run(run())
    assert {f.id for f in report.findings} == DNS_IDS | {"smtp.starttls.unsupported"}
    assert dns_lab.queries.count((DOMAIN, "MX")) == 1
    assert dns_lab.queries.count(("mx.lab.test", "A")) == 1
    # The web, headers and tracking probes share one fetch of each home page, for the domain
    # and for www.; http://'s redirect lands on that same fetch.
    assert web_lab.paths_requested("https") == ["/"] * 2
    assert web_lab.paths_requested("http") == ["/"] * 2
    assert dns_lab.queries.count((DOMAIN, "A")) == 1
