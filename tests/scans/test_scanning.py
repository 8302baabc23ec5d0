"""The app hands the scanners its settings; the private-address block stays on outside tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from riskapp import create_app
from riskapp.scans.scanning import ScanConfigError, ScanOptions
from scanners.addresses import BlockReason
from tests.conftest import base_config, build_app


def test_by_default_scans_use_the_systems_resolver_and_the_real_ports() -> None:
    options = ScanOptions.from_config({})

    assert options.resolver is None
    assert (options.smtp_port, options.https_port, options.http_port) == (25, 443, 80)
    assert options.allow_private is False


def test_the_resolver_setting_is_read_as_address_and_port() -> None:
    options = ScanOptions.from_config({"SCAN_RESOLVER": "127.0.0.1:5353", "SCAN_TIMEOUT": 2})

    assert (options.resolver, options.timeout) == (("127.0.0.1", 5353), 2.0)


def test_tests_may_lift_the_loopback_block_and_nothing_else() -> None:
    options = ScanOptions.from_config({"TESTING": True, "SCAN_ALLOW_LOOPBACK": True})

    assert options.allow_private == frozenset({BlockReason.LOOPBACK})


def test_outside_tests_the_loopback_block_cannot_be_lifted() -> None:
    with pytest.raises(ScanConfigError, match="only the tests may set it"):
        ScanOptions.from_config({"SCAN_ALLOW_LOOPBACK": True})


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("SCAN_RESOLVER", "dns.example", "not an IP address"),
    ("SCAN_CA_FILE", "/nonexistent/ca.pem", "cannot use CA file"),
])
def test_an_app_with_a_bad_scan_setting_refuses_to_start(
    setting: str, value: str, message: str, tmp_path: Path,
) -> None:
    with pytest.raises(ScanConfigError, match=message):
        build_app(f"sqlite:///{tmp_path / 'riskapp.db'}", tmp_path, **{setting: value})


def test_the_operator_settings_reach_the_scans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RISKAPP_SCAN_RESOLVER", "127.0.0.1:5353")
    monkeypatch.setenv("RISKAPP_SCAN_TIMEOUT", "3")
    config = base_config(f"sqlite:///{tmp_path / 'riskapp.db'}", tmp_path)
    del config["SCAN_RESOLVER"]  # the suite's own safety net, which the environment's replaces
    app = create_app(config)

    options = ScanOptions.from_config(app.config)

    assert (options.resolver, options.timeout) == (("127.0.0.1", 5353), 3.0)
