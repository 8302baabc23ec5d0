"""riskapp's own pages pass riskapp's own scanner.

The app is served as ``make run`` serves it (gunicorn), over HTTPS with a certificate from a
test CA, on a loopback address the lab's DNS names ``riskapp.lab.test``; a one-line HTTP server
on the same address redirects to HTTPS, as the reverse proxy in front of riskapp would. The
scanner's web, header and tracking probes then run against it as against any vendor: none
may report anything of medium severity or above (HSTS, CSP without 'unsafe-inline' scripts,
X-Content-Type-Options, frame-ancestors, Referrer-Policy, cookie flags, version disclosure,
trackers, TLS).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme

import scanners.__main__ as cli
from bench.pages import start_gunicorn
from scanners.findings import Severity
from tests.scanners.lab.dns_server import DnsLab

NAME = "riskapp.lab.test"
ADDRESS = "127.0.0.70"  # the lab's web servers use 127.0.0.11 onwards; this is free
SERIOUS = {Severity.MEDIUM.value, Severity.HIGH.value, Severity.CRITICAL.value}


@pytest.fixture
def served_over_https(tmp_path: Path, database_url: str) -> Iterator[tuple[int, str]]:
    """riskapp under gunicorn with TLS on ADDRESS: (its port, the test CA's PEM file)."""
    ca = trustme.CA()
    certificate = ca.issue_cert(NAME, f"www.{NAME}")
    cert, key, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    certificate.private_key_and_cert_chain_pem.write_to_path(str(cert))
    certificate.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(ca_file))
    server = start_gunicorn(
        "wsgi:app", tmp_path, {"RISKAPP_DATABASE_URL": database_url,
                               "RISKAPP_INSTANCE_PATH": str(tmp_path / "instance")},
        probe="/login", host=ADDRESS, options=("--workers", "1"), tls=(cert, key))
    try:
        yield server.port, str(ca_file)
    finally:
        server.stop()


@pytest.fixture
def redirect_to_https(served_over_https: tuple[int, str]) -> Iterator[int]:
    """A plain HTTP server on ADDRESS answering every request with a redirect to HTTPS."""
    https_port, _ = served_over_https

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            host = (self.headers.get("Host") or NAME).split(":")[0]
            self.send_response(301)
            self.send_header("Location", f"https://{host}:{https_port}{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer((ADDRESS, 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def test_riskapp_passes_its_own_web_scan(
        served_over_https: tuple[int, str], redirect_to_https: int, dns_lab: DnsLab,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    https_port, ca_file = served_over_https
    dns_lab.set_zones({NAME: [("A", ADDRESS)], f"www.{NAME}": [("A", ADDRESS)]})
    monkeypatch.setattr(cli, "HTTPS_PORT", https_port)
    monkeypatch.setattr(cli, "HTTP_PORT", redirect_to_https)

    status = cli.main(["scan", NAME, "--json", "--only", "web,headers,tracking",
                       "--resolver", f"127.0.0.1:{dns_lab.port}", "--ca-file", ca_file,
                       "--allow-private", "--timeout", "10"])

    (report,) = json.loads(capsys.readouterr().out)
    assert status == 0
    assert report["errors"] == [], report["errors"]
    serious = [f"{f['id']} ({f['severity']}): {f.get('evidence', '')}"
               for f in report["findings"] if f["severity"] in SERIOUS]
    assert serious == []
