"""No page runs a query per row: each page sends as many queries with three times the vendors,
assessments, answers, findings, deadlines and audit events as it did before.

A page that loaded each row's related rows one by one would send more queries as its tables
grew; the benchmark (``bench/pages.py``) reports these counts on the full-size data set.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from riskapp.access import Role
from riskapp.accounts.models import User
from riskapp.agreements import services as agreements
from riskapp.agreements.models import BaaStatus, Decision
from riskapp.assessments import services as assessments
from riskapp.assessments.models import Assessment, Status
from riskapp.database import db, utcnow
from riskapp.questionnaires import services as questionnaires
from riskapp.questionnaires.answers import Answer
from riskapp.questionnaires.loader import load_directory
from riskapp.questionnaires.models import QuestionnaireVersion
from riskapp.reminders.models import DeliveryStatus, ReminderDelivery
from riskapp.scans import services as scans
from riskapp.scoring.services import score_vendor
from riskapp.vendors import services as vendors
from riskapp.vendors.models import Category, Criticality, Vendor, VendorStatus
from scanners.findings import Severity
from tests.dashboard.conftest import stored_scan
from tests.queries import statements_run
from tests.questionnaires.conftest import DEFINITIONS

SMALL, LARGE = 3, 9  # units of data: a unit is a vendor with everything pages show of it
TODAY = dt.date.today()
SECTION = "locations"  # the portal section with a group question: its rows grow too
CATEGORIES = list(Category)
FINDINGS = ((Severity.CRITICAL, "Expired certificate"), (Severity.HIGH, "No DMARC policy"),
            (Severity.LOW, "No CAA record"))


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"QUESTIONNAIRES_DIR": DEFINITIONS}


@dataclass
class World:
    """The data the pages show, grown a unit at a time.

    Each unit adds a vendor with its BAA, decision, assessments (one with answers), scans,
    score and a reminder sent; and to the vendor and the assessment the pages under test
    open, one more of each of their own rows: an assessment, a scan with findings, a decision,
    a BAA change, an accepted risk, and a subprocessor in the portal section's answers.
    """

    officer: User
    version: QuestionnaireVersion
    vendor: Vendor
    assessment: Assessment
    token: str
    subprocessors: list[dict[str, Any]] = field(default_factory=list)
    units: int = 0
    saves: int = 0

    def grow_to(self, units: int) -> None:
        while self.units < units:
            self.units += 1
            _add_vendor(self, self.units)
            _add_to_the_vendor(self, self.units)
            self.subprocessors.append(
                {"name": f"Subprocessor {self.units}", "country": ["US"], "baa": "yes"})
            _save(self, {"subprocessors": Answer(value=list(self.subprocessors))})
        db.session.commit()


def _save(world: World, given: dict[str, Answer]) -> None:
    entry = world.assessment.questionnaires[0]
    _, revisions = assessments.answers_of(world.assessment, entry)
    assessments.save_answers(world.assessment, entry, given, revisions, by="test")


def _completed(vendor: Vendor, n: int) -> None:
    db.session.add(Assessment(
        vendor=vendor, status=Status.COMPLETED.value, due_date=TODAY - dt.timedelta(days=400),
        respondent_name="Vera Vendor", respondent_email="vera@vendor.example", score=n % 100,
        completed_at=utcnow() - dt.timedelta(days=300 + n)))
    db.session.flush()


def _add_vendor(world: World, n: int) -> None:
    vendor = vendors.create_vendor(vendors.VendorFields(
        name=f"Vendor {n}", primary_domain=f"vendor{n}.example",
        extra_domains=[f"mail.vendor{n}.example"], category=CATEGORIES[n % len(CATEGORIES)],
        criticality=Criticality.HIGH, status=VendorStatus.ACTIVE, stores_phi=n % 2 == 0),
        actor=world.officer)
    agreements.save_agreement(vendor, agreements.AgreementFields(
        baa_status=BaaStatus.SIGNED.value, baa_effective_on=TODAY - dt.timedelta(days=700),
        baa_expires_on=TODAY + dt.timedelta(days=10 + n), contract_notice_days=30,
        contract_renews_on=TODAY + dt.timedelta(days=40 + n),
        contract_owner_id=world.officer.id), actor=world.officer)
    agreements.decide(vendor, Decision.CONDITIONAL, "Encryption attestation outstanding",
                      actor=world.officer, conditions_due_on=TODAY + dt.timedelta(days=20 + n))
    _completed(vendor, n)
    db.session.add(Assessment(
        vendor=vendor, status=Status.SENT.value, due_date=TODAY - dt.timedelta(days=1 + n),
        respondent_name="Vera Vendor", respondent_email="vera@vendor.example"))
    started, _ = assessments.start_assessment(
        vendor, [world.version], due_date=TODAY + dt.timedelta(days=14),
        respondent_name="Vera Vendor", respondent_email="vera@vendor.example",
        actor=world.officer, link_days=30)
    assessments.save_answers(started, started.questionnaires[0], {
        "mfa": Answer(value="yes"), "data_countries": Answer(value=["US"]),
        "session_timeout": Answer(value=15)}, {}, by="vera@vendor.example (vendor)")
    stored_scan(vendor, *FINDINGS, finished_at=utcnow() - dt.timedelta(days=30, minutes=n))
    stored_scan(vendor, *FINDINGS, finished_at=utcnow() - dt.timedelta(minutes=n))
    score_vendor(vendor, actor=None, reason="test")
    db.session.add(ReminderDelivery(
        once_key=f"baa_expiry:{vendor.id}:{n}", recipient=world.officer.email,
        user_id=world.officer.id, vendor_id=vendor.id, subject=f"BAA of Vendor {n} expires",
        status=DeliveryStatus.SENT.value, finished_at=utcnow()))


def _add_to_the_vendor(world: World, n: int) -> None:
    vendor = world.vendor
    _completed(vendor, n)
    stored_scan(vendor, *FINDINGS, finished_at=utcnow() - dt.timedelta(hours=n))
    finding = scans.scan_history(vendor, limit=1)[0].findings[0]
    if finding.fingerprint not in scans.acceptances_by_fingerprint(vendor):
        scans.accept_risk(finding, "Compensating control", actor=world.officer)
    agreements.decide(vendor, Decision.APPROVED_NO_PHI, f"Review {n}", actor=world.officer)
    fields = agreements.AgreementFields.of(agreements.agreement_of(vendor))
    agreements.save_agreement(vendor, agreements.AgreementFields(
        **fields.as_dict() | {"notes": f"Renegotiated, round {n}"}), actor=world.officer)
    score_vendor(vendor, actor=None, reason="test")


@pytest.fixture
def world(app: Flask, make_user: Callable[..., User],
          make_vendor: Callable[..., Vendor]) -> World:
    questionnaire = load_directory(DEFINITIONS).questionnaires["example-vendor"]
    questionnaires.publish(questionnaire, actor=None)
    version = questionnaires.published("example-vendor", "1.0.0")
    assert version is not None
    officer = make_user(Role.OFFICER, name="Olivia Officer")
    vendor = make_vendor("Acme Mail", stores_phi=True, services="Exchange Online")
    agreements.save_agreement(vendor, agreements.AgreementFields(
        baa_status=BaaStatus.SIGNED.value, baa_effective_on=TODAY - dt.timedelta(days=30),
        baa_expires_on=TODAY + dt.timedelta(days=300), covered_services="Exchange Online",
        covered_regions="US"), actor=officer)
    assessment, token = assessments.start_assessment(
        vendor, [version], due_date=TODAY + dt.timedelta(days=14), respondent_name="Vera",
        respondent_email="vera@acme.example", actor=officer, link_days=30)
    world = World(officer, version, vendor, assessment, token)
    _save(world, {"data_countries": Answer(value=["US"])})
    db.session.commit()
    return world


@dataclass(frozen=True)
class Page:
    name: str
    path: Callable[[World], str]
    who: str = "officer"  # or "admin", or "vendor": a browser that opened the share link
    form: Callable[[World], dict[str, Any]] | None = None  # posted, when given


def _autosave_form(world: World) -> dict[str, Any]:
    """What the portal's script posts: the whole section, with one comment changed."""
    world.saves += 1
    _, revisions = assessments.answers_of(world.assessment, world.assessment.questionnaires[0])
    form: dict[str, Any] = {"autosave": "1", "revisions": json.dumps(revisions),
                            "data_countries": ["US"],
                            "data_countries__comment": f"Checked again ({world.saves})"}
    for index, row in enumerate(world.subprocessors):
        form |= {f"subprocessors-{index}-{key}": value for key, value in row.items()}
    return form


PAGES = [
    Page("dashboard", lambda w: "/"),
    Page("vendor list", lambda w: "/vendors/"),
    Page("vendor list, filtered and sorted",
         lambda w: "/vendors/?status=active&criticality=high&sort=updated&dir=desc"),
    Page("vendor page", lambda w: f"/vendors/{w.vendor.id}"),
    Page("agreement page", lambda w: f"/vendors/{w.vendor.id}/agreement"),
    Page("deadlines", lambda w: "/deadlines"),
    # Filtered, so that both data sets fit on the first page: the rows shown still triple.
    Page("audit log", lambda w: "/admin/audit/?action=agreement.updated", who="admin"),
    Page("portal section", lambda w: f"/portal/0/{SECTION}", who="vendor"),
    Page("answer autosave", lambda w: f"/portal/0/{SECTION}", who="vendor",
         form=_autosave_form),
]


def _client(app: Flask, who: str, world: World,
            login_as: Callable[..., FlaskClient]) -> FlaskClient:
    if who != "vendor":
        return login_as(Role(who))
    client = app.test_client()
    assert client.get(f"/r/{world.token}").status_code == 303
    return client


def _visit(client: FlaskClient, page: Page, world: World) -> tuple[list[str], Any]:
    """Open the page once (a first request may open connections), then count the second."""
    _check(page, _open(client, page, world))
    path, form = page.path(world), page.form(world) if page.form else None
    with statements_run() as statements:
        response = client.post(path, data=form) if form else client.get(path)
    _check(page, response)
    return statements, response


def _open(client: FlaskClient, page: Page, world: World) -> Any:
    path = page.path(world)
    return client.post(path, data=page.form(world)) if page.form else client.get(path)


def _check(page: Page, response: Any) -> None:
    assert response.status_code == 200, response.text
    if page.form:  # the autosave changed the one answer it was meant to, and no other
        assert response.json["saved"] == ["data_countries"], response.json


def _rows(response: Any) -> int:
    """Table rows and list items: what grows on the page as the data does."""
    return response.text.count("<tr") + response.text.count("<li")


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_a_page_runs_as_many_queries_with_three_times_the_rows(
    page: Page, world: World, app: Flask, login_as: Callable[..., FlaskClient]
) -> None:
    client = _client(app, page.who, world, login_as)
    world.grow_to(SMALL)
    few, small = _visit(client, page, world)
    world.grow_to(LARGE)
    many, large = _visit(client, page, world)

    if page.form is None:
        assert _rows(large) > _rows(small), "the larger data set shows no more rows"
    assert len(many) == len(few), "\n\n".join(many)
