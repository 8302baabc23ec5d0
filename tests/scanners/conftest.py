"""Fixtures for the scanner tests: servers on 127.0.0.1 only, no app and no database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.scanners.lab.dns_server import DnsLab


@pytest.fixture
def dns_lab() -> Iterator[DnsLab]:
    """An authoritative DNS server on 127.0.0.1, serving nothing until a test sets its zones."""
    with DnsLab() as lab:
        yield lab
