"""The bench data generator writes what the app itself would: the app signs in, renders,
verifies its audit chain and scores the generated answers as if it had written them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bench.generate import Generated, Scale, generate
from bench.generation.activity import explanation
from bench.generation.store import reset_database
from riskapp.accounts.models import User
from riskapp.agreements.models import Agreement, BaaStatus
from riskapp.assessments import services as assessments
from riskapp.assessments.models import Assessment, Status
from riskapp.audit.models import AuditEvent
from riskapp.audit.services import diff, verify_chain
from riskapp.database import db
from riskapp.scoring import services as scoring
from riskapp.scoring.engine import rate
from riskapp.vendors import services as vendor_services
from riskapp.vendors.models import Vendor
from riskapp.vendors.services import PAGE_SIZE, VendorFields
from tests.conftest import build_app

SCALE = Scale.of(0.002)  # 20 vendors, 80 assessments, 2,000 answers, 100 findings


@dataclass(frozen=True)
class Bench:
    generated: Generated
    app: Flask


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    folder = tmp_path_factory.mktemp("bench")
    url = f"sqlite:///{folder / 'riskapp.db'}"
    generated = generate(url, SCALE, instance_path=folder / "instance")
    app = build_app(url, folder / "app")
    yield Bench(generated, app)
    with app.app_context():
        db.engine.dispose()


def signed_in(bench: Bench, email: str) -> FlaskClient:
    client = bench.app.test_client()
    response = client.post("/login", data={"email": email,
                                           "password": bench.generated.password})
    assert response.status_code == 302, "sign-in failed"
    return client


def test_scale_of_a_factor_scales_every_count() -> None:
    assert Scale.of(0.01) == Scale(vendors=100, assessments=400, answers=10_000, findings=500)


def test_the_counts_match_the_scale(bench: Bench) -> None:
    counts = bench.generated.counts
    assert counts["vendors"] == SCALE.vendors
    assert counts["assessments"] == SCALE.assessments
    assert counts["assessment_answers"] == SCALE.answers
    assert counts["scan_findings"] == SCALE.findings


def test_every_table_the_pages_read_has_rows(bench: Bench) -> None:
    empty = [table for table in (
        "users", "questionnaire_versions", "vendor_domains", "assessment_questionnaires",
        "share_links", "clarifications", "scans", "finding_acceptances", "vendor_scores",
        "agreements", "vendor_decisions", "reminder_deliveries", "calendar_feeds",
        "audit_events") if not bench.generated.counts[table]]
    assert empty == []


def test_assessments_and_baas_are_in_every_status(bench: Bench) -> None:
    with bench.app.app_context():
        statuses = set(db.session.scalars(select(Assessment.status).distinct()))
        baa = set(db.session.scalars(select(Agreement.baa_status).distinct()))
    assert statuses == {status.value for status in Status}
    assert baa == {status.value for status in BaaStatus}


def test_the_officer_signs_in_and_the_pages_render(bench: Bench) -> None:
    client = signed_in(bench, bench.generated.officer_email)
    vendor_id = bench.generated.report_vendor_id
    last_page = -(-(SCALE.vendors - 1) // PAGE_SIZE)  # one vendor is archived
    for url in ("/", "/vendors/", f"/vendors/?page={last_page}",
                "/vendors/?category=hosting&sort=criticality&dir=desc",
                f"/vendors/{vendor_id}", f"/vendors/{vendor_id}/report", "/deadlines"):
        assert client.get(url).status_code == 200, url


def test_the_administrator_reads_the_audit_log(bench: Bench) -> None:
    client = signed_in(bench, bench.generated.admin_email)
    assert client.get("/admin/audit/").status_code == 200
    assert client.get("/admin/audit/?page=2").status_code == 200


def test_the_audit_chain_verifies(bench: Bench) -> None:
    with bench.app.app_context():
        report = verify_chain()
    assert report.intact, report.first_break
    # The sign-ins of the tests above may have added to it.
    assert report.events_checked >= bench.generated.counts["audit_events"]


def test_the_report_vendor_has_every_questionnaire_answered_and_50_findings(
        bench: Bench) -> None:
    with bench.app.app_context():
        vendor = db.session.get(Vendor, bench.generated.report_vendor_id)
        assessment = scoring.latest_completed_assessment(vendor)
        saved = assessments.answers_by_questionnaire(assessment)
        parts = assessments.scored(assessment)
        missing = assessments.missing(assessment)
        scan = scoring.latest_finished_scan(vendor)
        findings = len(scan.findings)
    assert len(saved) == 3
    assert sum(len(answers) for answers in saved.values()) == bench.generated.report_answers
    assert bench.generated.report_answers >= 150
    assert bench.generated.report_values >= 300  # counting each group row's answers
    assert missing == []
    assert round(sum(p.result.score for p in parts) / len(parts), 2) == assessment.score
    assert findings == 50


def test_vendor_created_events_record_what_create_vendor_records(bench: Bench) -> None:
    with bench.app.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "vendor.created")).all()
        assert events, "no vendor was added within the audit trail's window"
        for event in events:
            vendor = db.session.get(Vendor, int(event.object_id))
            expected = diff({}, vendor_services._audited(VendorFields.of(vendor)))
            assert event.changes == expected, vendor.id


def test_completed_assessments_keep_the_score_the_app_gives_their_answers(
        bench: Bench) -> None:
    with bench.app.app_context():
        completed = db.session.scalars(select(Assessment).where(
            Assessment.status == Status.COMPLETED.value).order_by(Assessment.id)).all()
        for assessment in completed:
            parts = assessments.scored(assessment)
            mean = round(sum(p.result.score for p in parts) / len(parts), 2)
            assert (mean, assessment.score_floor) == (
                assessment.score, next((p.result.floor for p in parts if p.result.floor),
                                       None)), assessment.id


def test_the_latest_rating_is_the_one_the_engine_gives_now(bench: Bench) -> None:
    with bench.app.app_context():
        vendor = db.session.get(Vendor, bench.generated.report_vendor_id)
        inputs, _, _ = scoring.gather(vendor)
        fresh = rate(inputs, scoring.current_profile())
        stored = scoring.latest_score(vendor)
    assert stored.explanation == json.loads(json.dumps(fresh.to_json()))


def test_the_portal_assessment_opens_with_a_new_link(bench: Bench) -> None:
    with bench.app.app_context():
        assessment = db.session.get(Assessment, bench.generated.portal_assessment_id)
        assert assessment.status == Status.SENT.value
        assert assessment.due_date >= date.today()
        officer = db.session.scalar(select(User).where(
            User.email == bench.generated.officer_email))
        token = assessments.reissue_link(assessment, actor=officer, link_days=30)
        db.session.commit()
    client = bench.app.test_client()
    entered = client.get(f"/r/{token}")
    assert entered.status_code == 303
    assert client.get("/portal/").status_code == 200


def test_explanation_is_what_to_json_gives(bench: Bench) -> None:
    with bench.app.app_context():
        vendor = db.session.get(Vendor, bench.generated.report_vendor_id)
        risk = rate(scoring.gather(vendor)[0], scoring.current_profile())
    assert json.dumps(explanation(risk)) == json.dumps(risk.to_json())


def test_generating_again_gives_the_same_counts(bench: Bench, tmp_path: Path) -> None:
    again = generate(f"sqlite:///{tmp_path / 'again.db'}", SCALE,
                     instance_path=tmp_path / "instance")
    assert again.counts == bench.generated.counts
    with bench.app.app_context():
        vendors = db.session.scalar(select(func.count()).select_from(Vendor))
    assert vendors == SCALE.vendors


@pytest.mark.parametrize("name", ["test", "postgres"])
def test_refuses_to_wipe_a_database_that_is_not_the_benchs(name: str) -> None:
    with pytest.raises(ValueError, match="refusing"):
        reset_database(f"postgresql://postgres@127.0.0.1:5432/{name}")
