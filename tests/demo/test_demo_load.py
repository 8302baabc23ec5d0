"""`flask demo load`: a demo admin and sample vendors, once, on reserved .example domains."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

import pytest
from click.testing import Result
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from riskapp.accounts.models import User
from riskapp.audit import services as audit
from riskapp.audit.models import AuditEvent
from riskapp.database import db
from riskapp.demo.agreements import EXAMPLE_AGREEMENTS, EXAMPLE_DECISIONS, EXAMPLE_LAPSES
from riskapp.demo.data import DEMO_ACCOUNTS
from riskapp.demo.scan_data import EXAMPLE_ACCEPTANCES
from riskapp.vendors.models import Category, Vendor, VendorDomain
from tests.conftest import Browser


def load(runner: FlaskCliRunner) -> Result:
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return result


def printed(pattern: str, output: str) -> str:
    """Return the word the command printed where ``pattern``'s group stands."""
    match = re.search(pattern, output, re.MULTILINE)
    assert match, f"{pattern!r} not in output:\n{output}"
    return match.group(1)


def printed_email(output: str) -> str:
    return printed(r"^Sign in at \S+ as (\S+)$", output)


def printed_password(output: str) -> str:
    return printed(r"^One-time password: (\S+)$", output)


def vendor_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Vendor)) or 0


def demo_domains() -> list[str]:
    return list(db.session.scalars(select(VendorDomain.domain)))


@pytest.fixture
def first_load(runner: FlaskCliRunner) -> Result:
    return load(runner)


def test_load_creates_one_admin_and_prints_the_email(first_load: Result) -> None:
    admins = db.session.scalars(select(User).where(User.role == "admin")).all()

    assert len(admins) == 1
    assert printed_email(first_load.output) == admins[0].email


def test_load_creates_the_other_demo_accounts_and_prints_each_password(
    first_load: Result,
) -> None:
    others = db.session.scalars(select(User).where(User.role != "admin")).all()

    assert sorted(user.email for user in others) == sorted(a.email for a in DEMO_ACCOUNTS)
    for user in others:
        assert printed(rf"^  {re.escape(user.email)} \(.*\): (\S+)$", first_load.output)


def test_printed_password_signs_in_and_must_then_be_changed(
    first_load: Result, browser: Browser,
) -> None:
    email = printed_email(first_load.output)
    password = printed_password(first_load.output)

    signed_in = browser.login(email, password)
    next_page = browser.client.get("/vendors/")

    assert signed_in.status_code == 302
    assert next_page.status_code == 302
    assert next_page.headers["Location"] == "/account/password"


def test_wrong_password_does_not_sign_the_admin_in(first_load: Result, browser: Browser) -> None:
    email = printed_email(first_load.output)

    response = browser.login(email, "not the printed password")

    assert response.status_code == 200
    assert browser.client.get("/vendors/").status_code == 302


def test_load_creates_eight_to_ten_vendors(first_load: Result) -> None:
    assert 8 <= vendor_count() <= 10
    assert f"Loaded {vendor_count()} sample vendors." in first_load.output


def test_vendors_cover_email_hosting_and_marketing(first_load: Result) -> None:
    categories = set(db.session.scalars(select(Vendor.category)))

    assert {Category.EMAIL, Category.HOSTING, Category.MARKETING} <= categories


def test_every_demo_domain_is_reserved_example(first_load: Result) -> None:
    domains = demo_domains()

    assert domains
    assert all(domain.endswith(".example") for domain in domains), domains


def test_every_demo_email_address_is_on_a_reserved_example_domain(first_load: Result) -> None:
    addresses = [
        *db.session.scalars(select(User.email)),
        *db.session.scalars(select(Vendor.contact_email).where(Vendor.contact_email != "")),
    ]

    assert all(address.endswith(".example") for address in addresses), addresses


def test_second_load_loads_nothing_and_says_so(
    first_load: Result, runner: FlaskCliRunner,
) -> None:
    vendors_before = vendor_count()

    again = load(runner)

    assert "not loaded" in again.output
    assert "One-time password" not in again.output
    assert vendor_count() == vendors_before
    assert db.session.scalar(select(func.count()).select_from(User)) == 1 + len(DEMO_ACCOUNTS)


def test_load_leaves_an_intact_audit_trail(first_load: Result) -> None:
    report = audit.verify_chain()
    actions = Counter(db.session.scalars(select(AuditEvent.action)))

    assert report.intact
    assert report.events_checked == actions.total()
    assert actions == {
        "user.created": 1 + len(DEMO_ACCOUNTS),
        "vendor.created": vendor_count(),
        "finding.risk_accepted": len(EXAMPLE_ACCEPTANCES),
        "agreement.updated": len(EXAMPLE_AGREEMENTS) + len(EXAMPLE_LAPSES),
        "agreement.document_uploaded": 1,
        "vendor.decided": len(EXAMPLE_DECISIONS),
        # Each vendor's first score (recording its BAA gives it), and one more for each BAA
        # that lapsed after its vendor was approved.
        "vendor.scored": vendor_count() + len(EXAMPLE_LAPSES),
    }


def test_database_with_vendors_but_no_accounts_is_left_alone(
    runner: FlaskCliRunner, make_vendor: Callable[..., Vendor],
) -> None:
    make_vendor("Summit Cloud Hosting")  # say, from `flask vendors import` before any sign-up

    result = load(runner)

    assert "not loaded" in result.output
    assert vendor_count() == 1
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
