"""Load the demo data once, into an empty database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from io import BytesIO

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from riskapp.access import Role
from riskapp.accounts import services as accounts
from riskapp.accounts.models import User
from riskapp.assessments import evidence
from riskapp.assessments import services as assessments
from riskapp.assessments.models import Assessment
from riskapp.database import db, utcnow
from riskapp.demo.agreements import EXAMPLE_AGREEMENTS, EXAMPLE_DECISIONS, load_example_agreements
from riskapp.demo.data import DEMO_ACCOUNTS, DEMO_ADMIN_EMAIL, DEMO_OFFICER, DEMO_VENDORS
from riskapp.demo.scan_data import EXAMPLE_ACCEPTANCES, EXAMPLE_SCANS
from riskapp.questionnaires import services as questionnaires
from riskapp.questionnaires.answers import Answer
from riskapp.questionnaires.sample_answers import least_risky_answers
from riskapp.scans import services as scans
from riskapp.scans.models import Scan, ScanStatus, finding_fingerprint
from riskapp.scoring import services as scoring
from riskapp.vendors import services as vendors
from riskapp.vendors.models import Vendor


@dataclass(frozen=True)
class DemoLogin:
    """Another demo account and its one-time password, shown once like the admin's."""

    email: str
    password: str
    part: str


@dataclass(frozen=True)
class DemoLoad:
    admin_email: str
    admin_password: str
    vendor_count: int
    scan_count: int
    agreement_count: int
    decision_count: int
    other_logins: tuple[DemoLogin, ...]


def has_users() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(User)))


def has_vendors() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(Vendor)))


def load_demo_data() -> DemoLoad | None:
    """Create the demo accounts, vendors, scans, assessment, BAAs and decisions, unless the
    database already has accounts or vendors."""
    if has_users() or has_vendors():
        return None
    admin, password = accounts.create_user(DEMO_ADMIN_EMAIL, Role.ADMIN, actor=None,
                                           name="Demo Administrator")
    users: dict[str, User] = {}
    logins: list[DemoLogin] = []
    for account in DEMO_ACCOUNTS:
        user, one_time = accounts.create_user(account.email, account.role, actor=admin,
                                              name=account.name)
        users[account.email] = user
        logins.append(DemoLogin(user.email, one_time, account.part))
    by_name = {fields.name: vendors.create_vendor(fields, actor=admin) for fields in DEMO_VENDORS}
    load_example_scans(admin, by_name)
    load_example_assessment(admin, by_name[DEMO_ASSESSED_VENDOR])
    rescored = load_example_agreements(users[DEMO_OFFICER.email], by_name)
    for name, vendor in by_name.items():
        if name not in rescored:
            scoring.score_quietly(vendor, actor=admin, reason="demo data loaded")
    return DemoLoad(admin.email, password, len(DEMO_VENDORS), len(EXAMPLE_SCANS),
                    len(EXAMPLE_AGREEMENTS), len(EXAMPLE_DECISIONS), tuple(logins))


# The example assessment: Northwind answered the email questionnaire well, with one weaker
# answer so the score has something to explain, and attached its SOC 2 report.
DEMO_ASSESSED_VENDOR = "Northwind Secure Mail"
DEMO_QUESTIONNAIRE = "email-vendor"
DEMO_WEAKER_ANSWERS = {"session_timeout_minutes": Answer(120)}
DEMO_REPORT = ("northwind-soc2-type2-2026.pdf",
               b"%PDF-1.7\n% Northwind Secure Mail: SOC 2 Type II report (demo)\n%%EOF\n")


def load_example_assessment(admin: User, vendor: Vendor) -> Assessment | None:
    """A completed assessment of ``vendor`` through the real workflow (start, answer,
    submit, complete), when the email questionnaire is published (make run publishes first)."""
    version = questionnaires.latest_published(DEMO_QUESTIONNAIRE)
    if version is None:
        return None
    assessment, _token = assessments.start_assessment(
        vendor, [version], due_date=date.today() + timedelta(days=14),
        respondent_name=vendor.contact_name or "Vendor security team",
        respondent_email=vendor.contact_email or "security@vendor.example", actor=admin,
        link_days=30)
    entry = assessment.questionnaires[0]
    name, content = DEMO_REPORT
    report = evidence.store(assessment, entry, "evidence",
                            FileStorage(stream=BytesIO(content), filename=name),
                            by="demo data")
    definition = assessments.definition_of(entry)
    given = {qid: answer for qid, answer in DEMO_WEAKER_ANSWERS.items()
             if qid in definition.by_id}
    answers = least_risky_answers(definition, given,
                                  evidence=(evidence.as_reference(report),))
    by = f"{assessment.respondent_email} (vendor)"
    assessments.save_answers(assessment, entry, answers, {}, by=by)
    assessments.submit(assessment, name=assessment.respondent_name, title="Security lead",
                       by=by)
    assessments.complete(assessment, actor=admin)
    return assessment


def load_example_scans(admin: User, by_name: dict[str, Vendor]) -> None:
    """Store the example scans as if they had run, and accept the example risks."""
    now = utcnow()
    latest: dict[str, Scan] = {}
    for example in sorted(EXAMPLE_SCANS, key=lambda e: -e.days_ago):  # oldest first
        vendor = by_name[example.vendor_name]
        finished = now - timedelta(days=example.days_ago)
        scan = Scan(vendor=vendor, requested_by=admin, status=ScanStatus.QUEUED.value,
                    domains=[row.domain for row in vendor.domains], attempts=1,
                    requested_at=finished - timedelta(minutes=2),
                    started_at=finished - timedelta(minutes=1))
        db.session.add(scan)
        scans.record_results(scan, example.reports, finished_at=finished)
        latest[vendor.name] = scan
    for acceptance in EXAMPLE_ACCEPTANCES:
        fingerprint = finding_fingerprint(acceptance.finding_id, acceptance.target)
        finding = next(f for f in latest[acceptance.vendor_name].findings
                       if f.fingerprint == fingerprint)
        scans.accept_risk(finding, acceptance.reason, actor=admin)
