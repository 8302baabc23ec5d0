"""`flask demo load` records BAAs, contracts and decisions, so the demo shows every BAA state,
a clause checklist, a coverage gap, deadlines due and missed, and the reminders they send."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from click.testing import Result
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from riskapp.access import Role
from riskapp.accounts.models import User
from riskapp.agreements import services as agreements
from riskapp.agreements.models import Agreement, BaaDocument, BaaStatus, Decision, VendorDecision
from riskapp.audit.models import AuditEvent
from riskapp.database import db
from riskapp.demo.agreements import EXAMPLE_AGREEMENTS, EXAMPLE_DECISIONS, SIGNED_DOCUMENT
from riskapp.demo.data import DEMO_OFFICER, DEMO_VIEWER
from riskapp.reminders import services as reminders
from riskapp.vendors.models import Vendor
from tests.conftest import Browser
from tests.demo.test_demo_load import printed


@pytest.fixture
def loaded(runner: FlaskCliRunner) -> Result:
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return result


def vendor_named(name: str) -> Vendor:
    return db.session.scalars(select(Vendor).where(Vendor.name == name)).one()


def user_with(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def count(model: type[db.Model]) -> int:  # type: ignore[name-defined]
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_the_demo_baas_stand_in_at_least_six_states(loaded: Result) -> None:
    states = {agreements.state_of(vendor).status
              for vendor in db.session.scalars(select(Vendor))}

    assert len(states) >= 6
    assert {BaaStatus.SIGNED, BaaStatus.EXPIRED, BaaStatus.REQUESTED, BaaStatus.NEGOTIATING,
            BaaStatus.REFUSED, BaaStatus.NOT_REQUIRED, BaaStatus.MISSING} <= states
    assert f"Recorded {len(EXAMPLE_AGREEMENTS)} BAAs and contracts" in loaded.output


def test_the_expired_demo_baa_is_derived_from_its_date(loaded: Result) -> None:
    vendor = vendor_named("Ironclad Backup")

    state = agreements.state_of(vendor)

    assert state.recorded is BaaStatus.SIGNED
    assert state.status is BaaStatus.EXPIRED
    assert state.expires_on is not None
    assert state.expires_on < agreements.today()


def test_one_signed_demo_baa_expires_within_30_days_and_one_renews_itself(
    loaded: Result,
) -> None:
    today = agreements.today()
    expiring = agreements.state_of(vendor_named("Bluebird Transactional Email"))
    renewing = agreements.overview(vendor_named("Summit Cloud Hosting"))

    assert expiring.in_force
    assert expiring.expires_on is not None
    assert 0 <= (expiring.expires_on - today).days <= 30
    assert renewing.state.in_force
    assert renewing.agreement is not None
    assert renewing.agreement.baa_auto_renews
    notice = next(d for d in renewing.dates if d.label == "Last day to give notice on the BAA")
    assert 0 <= notice.days_left(today) <= 30


def test_the_signed_demo_baa_checklist_has_found_and_not_found_clauses(loaded: Result) -> None:
    overview = agreements.overview(vendor_named(SIGNED_DOCUMENT.vendor_name))

    assert overview.document is not None
    assert overview.document.filename == SIGNED_DOCUMENT.filename
    assert overview.document.text_problem == ""
    found = [row.clause.key for row in overview.clauses if row.check.matched_sentence]
    missing = [row.clause.key for row in overview.clauses_missing]
    assert len(found) >= 8
    assert missing == ["audit_access"]


def test_a_demo_baa_does_not_cover_everything_the_vendor_uses(loaded: Result) -> None:
    gaps = agreements.overview(vendor_named("Summit Cloud Hosting")).gaps

    assert {gap.kind for gap in gaps} == {"service", "location"}
    assert any("PostgreSQL" in gap.item for gap in gaps)


def test_demo_breach_windows_come_from_the_baa_or_the_legal_maximum(loaded: Result) -> None:
    windows = {vendor.name: agreements.overview(vendor).breach
               for vendor in db.session.scalars(select(Vendor))}

    assert {w.days for w in windows.values() if w.from_baa} >= {5, 10, 30}
    assert windows["Bluebird Transactional Email"].from_baa is False
    assert windows["Bluebird Transactional Email"].days == 60


def test_demo_decisions_include_each_kind_and_one_needs_attention(loaded: Result) -> None:
    decided = {vendor.name: agreements.overview(vendor)
               for vendor in db.session.scalars(select(Vendor))}
    kinds = {o.decision.decision_enum for o in decided.values() if o.decision}
    attention = [name for name, o in decided.items() if o.standing.needs_attention]

    assert {Decision.APPROVED_PHI, Decision.CONDITIONAL, Decision.REJECTED} <= kinds
    assert attention == ["Ironclad Backup"]
    assert decided["Northwind Secure Mail"].standing.decision is Decision.APPROVED_PHI
    conditional = decided["Harborview Fax-to-Email"].decision
    assert conditional is not None
    assert conditional.conditions_due_on is not None
    assert conditional.conditions_due_on > agreements.today()


def test_demo_contracts_are_owned_by_the_demo_officer(loaded: Result) -> None:
    officer = user_with(DEMO_OFFICER.email)
    owners = set(db.session.scalars(select(Agreement.contract_owner_id)))
    renewing = db.session.scalars(select(Agreement.contract_renews_on).where(
        Agreement.contract_renews_on.is_not(None))).all()
    soon = [day for day in renewing if 0 <= (day - agreements.today()).days <= 90]

    assert officer.role == Role.OFFICER
    assert owners == {officer.id}
    assert len(soon) >= 3


def test_the_demo_has_overdue_and_upcoming_deadlines(loaded: Result) -> None:
    agenda = reminders.agenda(reminders.today())

    assert agenda.overdue
    assert agenda.upcoming


def test_a_dry_run_plans_reminders_and_the_digest_for_leadership(loaded: Result) -> None:
    report = reminders.run_reminders(reminders.today(), dry_run=True)
    by_email = {outgoing.user.email: outgoing for outgoing in report.planned}

    assert set(by_email) == {DEMO_OFFICER.email, DEMO_VIEWER.email, "admin@riskapp.example"}
    assert by_email[DEMO_VIEWER.email].keys[0].startswith("digest:")
    assert "OVERDUE  BAA expires: Ironclad Backup" in by_email[DEMO_OFFICER.email].body
    assert user_with(DEMO_VIEWER.email).role == Role.VIEWER


def test_the_demo_calendar_feed_lists_the_deadlines(loaded: Result, client: FlaskClient) -> None:
    token = reminders.create_feed(user_with(DEMO_OFFICER.email))
    db.session.commit()

    feed = client.get(f"/calendar/{token}.ics")

    assert feed.status_code == 200
    assert "Ironclad Backup" in feed.text
    assert feed.text.count("BEGIN:VEVENT") >= 10


def test_the_lapsed_approval_shows_on_the_vendor_page(
    loaded: Result, login_as: Callable[..., FlaskClient],
) -> None:
    vendor = vendor_named("Ironclad Backup")

    page = login_as(Role.VIEWER).get(f"/vendors/{vendor.id}/agreement")

    assert page.status_code == 200
    assert "Needs attention" in page.text


def test_the_viewers_printed_password_signs_in(loaded: Result, browser: Browser) -> None:
    password = printed(rf"^  {re.escape(DEMO_VIEWER.email)} \(.*\): (\S+)$", loaded.output)

    assert browser.login(DEMO_VIEWER.email, password).status_code == 302


def test_demo_dates_follow_the_day_it_is_loaded(
    runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch,
) -> None:
    later = date(2031, 5, 1)
    monkeypatch.setattr(agreements, "today", lambda: later)

    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    agenda = reminders.agenda(later)

    assert agenda.overdue
    assert agenda.upcoming
    assert agreements.state_of(vendor_named("Northwind Secure Mail")).in_force


def test_loading_twice_adds_nothing(loaded: Result, runner: FlaskCliRunner) -> None:
    models = (User, Vendor, Agreement, BaaDocument, VendorDecision, AuditEvent)
    before = {model: count(model) for model in models}

    again = runner.invoke(args=["demo", "load"])

    assert again.exit_code == 0, again.output
    assert {model: count(model) for model in models} == before
    assert before[VendorDecision] == len(EXAMPLE_DECISIONS)
