"""The scanner lab as pytest fixtures: DNS, SMTP and web servers on 127.0.0.0/8 only.

Registered for the whole suite in tests/conftest.py, so the scanner tests and the app's scan
tests share one set of servers.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pytest

from scanners.tls import ContextFactory, cached_contexts, make_ssl_context
from tests.scanners.lab.dns_server import DnsLab
from tests.scanners.lab.smtp_server import SmtpLab
from tests.scanners.lab.web_server import WebLab


@pytest.fixture
def dns_lab() -> Iterator[DnsLab]:
    """An authoritative DNS server on 127.0.0.1, serving nothing until a test sets its zones."""
    with DnsLab() as lab:
        yield lab


@pytest.fixture(scope="session")
def smtp_lab() -> Iterator[SmtpLab]:
    """Every kind of SMTP server on 127.0.0.1, shared: the servers keep no state per test."""
    with SmtpLab() as lab:
        yield lab


@pytest.fixture
def lab_tls(smtp_lab: SmtpLab) -> ContextFactory:
    """TLS client contexts that trust the SMTP lab's test CA as well as the system store."""
    return functools.partial(make_ssl_context, ca_file=smtp_lab.ca_file)


@pytest.fixture(scope="session")
def web_lab_servers() -> Iterator[WebLab]:
    with WebLab() as lab:
        yield lab


@pytest.fixture
def web_lab(web_lab_servers: WebLab) -> Iterator[WebLab]:
    """HTTPS and HTTP servers of every TLS kind on 127.0.0.11 onwards, serving the default
    pages until a test sets its own; pages and the request log are cleared after each test."""
    yield web_lab_servers
    web_lab_servers.reset()


@pytest.fixture
def web_tls(web_lab_servers: WebLab) -> ContextFactory:
    """TLS client contexts that trust the web lab's test CA as well as the system store."""
    return cached_contexts(web_lab_servers.ca_file)
