"""Stored scores: gathered from the database, kept with their profile, rescored on demand, and
after a completed assessment or a finished scan."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from riskapp.audit.models import AuditEvent
from riskapp.database import db
from riskapp.scans import scanning, tasks
from riskapp.scans import services as scans
from riskapp.scans.models import Scan
from riskapp.scoring import services
from riskapp.scoring.models import VendorScore
from riskapp.scoring.profile import DEFAULT_PROFILE
from riskapp.vendors.models import Category, Criticality, Vendor
from scanners.findings import Finding, Severity
from scanners.scan import DomainReport
from tests.queries import statements_run


def scores_of(vendor: Vendor) -> list[VendorScore]:
    return list(db.session.scalars(select(VendorScore).where(VendorScore.vendor_id == vendor.id)
                                   .order_by(VendorScore.id)))


def test_a_score_is_stored_with_its_profile_and_explanation(
    make_vendor: Callable[..., Vendor], completed: Callable[..., object],
    scanned: Callable[..., Scan],
) -> None:
    vendor = make_vendor(stores_phi=True)
    completed(vendor, 20.0)
    scan = scanned(vendor, ("high", "No DMARC policy"))

    row = services.score_vendor(vendor, actor=None, reason="test")
    db.session.commit()

    assert (row.profile_id, row.profile_version) == ("default", "1.0.0")
    assert row.profile_hash == services.current_profile().content_hash
    assert row.scan_id == scan.id
    assert row.risk.tier == row.tier
    assert "No DMARC policy" in [c.label for c in row.risk.contributions]
    assert services.latest_score(vendor) == row
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "vendor.scored")
                               ).one()
    assert "with profile default 1.0.0" in event.summary


def test_an_accepted_finding_counts_as_the_officer_decided(
    make_vendor: Callable[..., Vendor], scanned: Callable[..., Scan],
) -> None:
    vendor = make_vendor()
    scan = scanned(vendor, ("critical", "Expired certificate"))
    assert services.score_vendor(vendor, actor=None, reason="before").tier == "critical"
    scans.accept_risk(scan.findings[0], "Host retired next week", actor=None)

    row = services.score_vendor(vendor, actor=None, reason="after")

    assert row.tier != "critical"
    assert "Host retired next week" in row.risk.accepted[0].detail


def test_a_new_profile_never_rewrites_a_stored_score(
    app: Flask, tmp_path: Path, make_vendor: Callable[..., Vendor],
    completed: Callable[..., object], runner: FlaskCliRunner, signed_baa: Callable[..., object],
) -> None:
    vendor = make_vendor(stores_phi=True, criticality=Criticality.HIGH,
                         category=Category.HOSTING)
    signed_baa(vendor)
    completed(vendor, 40.0)
    first = services.score_vendor(vendor, actor=None, reason="first")
    db.session.commit()
    stricter = tmp_path / "stricter.yaml"
    stricter.write_text(DEFAULT_PROFILE.read_text(encoding="utf-8")
                        .replace("version: 1.0.0", "version: 1.1.0")
                        .replace("  high: 60", "  high: 40"), encoding="utf-8")
    app.config["SCORING_PROFILE"] = stricter

    assert services.latest_score(vendor) == first  # nothing changes until a rescore
    result = runner.invoke(args=["scores", "rescore", "--vendor", str(vendor.id)])

    assert result.exit_code == 0, result.output
    old, new = scores_of(vendor)
    assert (old.profile_version, old.tier) == ("1.0.0", "moderate")
    assert (new.profile_version, new.tier) == ("1.1.0", "high")
    assert new.profile_hash != old.profile_hash


def test_rescoring_everyone_from_the_command_line(
    make_vendor: Callable[..., Vendor], runner: FlaskCliRunner,
) -> None:
    make_vendor("Acme Mail")
    make_vendor("Beta Hosting", category=Category.HOSTING)

    result = runner.invoke(args=["scores", "rescore"])

    assert result.exit_code == 0, result.output
    assert "Acme Mail: " in result.output
    assert "Rescored 2 vendor(s)." in result.output


def test_a_broken_profile_is_reported_not_half_applied(
    app: Flask, tmp_path: Path, make_vendor: Callable[..., Vendor], runner: FlaskCliRunner,
) -> None:
    vendor = make_vendor()
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: default\nversion: 1.0.0\n", encoding="utf-8")
    app.config["SCORING_PROFILE"] = broken

    result = runner.invoke(args=["scores", "rescore"])
    check = runner.invoke(args=["scores", "check"])

    assert result.exit_code == 1
    assert f"{broken}:1:1: 'title' is missing" in result.output
    assert check.exit_code == 1
    assert scores_of(vendor) == []
    assert services.score_quietly(vendor, actor=None, reason="event") is None


def test_the_default_profile_checks(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["scores", "check"])
    assert result.exit_code == 0
    assert "Scoring profile default 1.0.0 is valid" in result.output


def test_a_finished_scan_rescores_its_vendor(
    make_vendor: Callable[..., Vendor], monkeypatch: pytest.MonkeyPatch,
) -> None:
    vendor = make_vendor()
    scan = scans.request_scan(vendor, actor=None)
    db.session.commit()
    found = Finding(id="tls.expired", severity=Severity.CRITICAL, title="Expired certificate",
                    detail="", evidence="", target=vendor.primary_domain, remediation="")
    monkeypatch.setattr(scanning, "scan_domains", lambda domains, options: [
        DomainReport(domain=d, findings=(found,), errors=(), duration=0.1) for d in domains])

    tasks.run_scan(scan.id, will_retry=False)

    (row,) = scores_of(vendor)
    assert (row.tier, row.scan_id) == ("critical", scan.id)
    assert row.reason == f"scan #{scan.id} finished"


def _vendors_of_every_kind(make_vendor: Callable[..., Vendor], completed: Callable[..., object],
                           scanned: Callable[..., Scan],
                           signed_baa: Callable[[Vendor], object]) -> list[Vendor]:
    """A vendor with nothing on file, one assessed with a critical answer, one scanned with an
    accepted finding, and one with all three and a BAA."""
    bare = make_vendor()
    assessed = make_vendor(stores_phi=True)
    completed(assessed, 40.0, "critical")
    with_scan = make_vendor(processes_phi=True)
    scan = scanned(with_scan, ("high", "No DMARC policy"), ("critical", "Open relay"))
    scans.accept_risk(scan.findings[0], "Host retired next week", actor=None)
    covered = make_vendor(stores_phi=True, criticality=Criticality.HIGH)
    signed_baa(covered)
    completed(covered, 10.0)
    scanned(covered, ("low", "No MTA-STS policy"))
    return [bare, assessed, with_scan, covered]


def _rating(row: VendorScore) -> tuple[object, ...]:
    return (row.vendor_id, row.score, row.tier, row.assessed, row.assessment_id, row.scan_id,
            row.explanation)


def test_rescoring_vendors_together_rates_each_as_rating_it_alone(
    make_vendor: Callable[..., Vendor], completed: Callable[..., object],
    scanned: Callable[..., Scan], signed_baa: Callable[[Vendor], object],
) -> None:
    vendors = _vendors_of_every_kind(make_vendor, completed, scanned, signed_baa)

    alone = [services.score_vendor(vendor, actor=None, reason="one") for vendor in vendors]
    together = services.rescore(vendors, actor=None, reason="all")

    assert [_rating(row) for row in together] == [_rating(row) for row in alone]
    audited = db.session.scalars(select(AuditEvent.summary)
                                 .where(AuditEvent.action == "vendor.scored")).all()
    assert len(audited) == 2 * len(vendors)


def test_rescoring_reads_in_bulk_however_many_vendors(
    make_vendor: Callable[..., Vendor], completed: Callable[..., object],
    scanned: Callable[..., Scan], signed_baa: Callable[[Vendor], object],
) -> None:
    few = _vendors_of_every_kind(make_vendor, completed, scanned, signed_baa)
    many = few + _vendors_of_every_kind(make_vendor, completed, scanned, signed_baa) * 2

    with statements_run() as for_few:
        services.rescore(few, actor=None)
    with statements_run() as for_many:
        services.rescore(many, actor=None)

    def reads(statements: list[str]) -> int:
        return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT")) \
            - sum(1 for s in statements if "audit_chain_head" in s and "SELECT" in s.upper())

    assert reads(for_many) == reads(for_few)  # only the audit trail's writes grow per vendor
