"""``flask scans run``: queue a scan of a vendor, or run it here and wait."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from riskapp.scans.models import ScanStatus
from riskapp.scans.queue import scan_queue
from riskapp.vendors.models import Vendor
from tests.scanners.lab.dns_server import DnsLab
from tests.scanners.lab.web_server import WebLab
from tests.scans.conftest import LAB_FINDINGS, lab_scan_config, only_scan


@pytest.fixture
def app_config(dns_lab: DnsLab, web_lab: WebLab) -> dict[str, Any]:
    return lab_scan_config(dns_lab, web_lab)


def test_run_queues_a_scan_for_the_worker(
    app: Flask, runner: FlaskCliRunner, clinic: Vendor,
) -> None:
    result = runner.invoke(args=["scans", "run", "clinic mail"])

    assert result.exit_code == 0, result.output
    scan = only_scan()
    assert result.output == f"Queued scan #{scan.id} of Clinic Mail; a worker will run it.\n"
    assert scan.status == ScanStatus.QUEUED
    assert scan_queue(app).huey.pending_count() == 1


def test_run_here_scans_in_this_process(
    runner: FlaskCliRunner, clinic: Vendor, lab: WebLab,
) -> None:
    result = runner.invoke(args=["scans", "run", "Clinic Mail", "--here"])

    assert result.exit_code == 0, result.output
    scan = only_scan()
    assert scan.status == ScanStatus.DONE
    assert {f.finding_id for f in scan.findings} == LAB_FINDINGS
    assert f"Scan #{scan.id} of Clinic Mail: {len(LAB_FINDINGS)} findings." in result.output


def test_run_names_a_vendor_that_does_not_exist(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["scans", "run", "Nobody"])

    assert result.exit_code == 1
    assert "No vendor is named 'Nobody'." in result.output
