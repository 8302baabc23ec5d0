"""``flask reminders run``: by hand, for a given day, or as a dry run that sends nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from riskapp.agreements.models import Agreement
from riskapp.reminders import services
from riskapp.vendors.models import Vendor
from tests.reminders.conftest import BASE_URL, ON, MailServer, Staff, deliveries

DAY = dt.timedelta(days=1)
ACME_SUBJECT = "riskapp: 1 deadline — BAA expires: Acme Mail in 30 days"


@pytest.fixture
def acme(make_vendor: Callable[..., Vendor], signed_baa: Callable[..., Agreement],
         staff: Staff) -> Vendor:
    """Acme Mail, whose BAA (owned by ``staff.owner``) expires 30 days after ON."""
    vendor = make_vendor("Acme Mail")
    signed_baa(vendor, ON + 30 * DAY, contract_owner_id=staff.owner.id)
    return vendor


def test_a_dry_run_prints_each_mail_and_sends_nothing(
        runner: FlaskCliRunner, acme: Vendor, staff: Staff, mail_server: MailServer) -> None:
    result = runner.invoke(args=["reminders", "run", "--dry-run", "--date", "2027-03-01"])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == ("Reminders due on 2027-03-01: 4 mail(s) would be sent; "
                        "0 reminder(s) were sent before.")
    officer_at = lines.index(f"To: {staff.officer.display_name} <{staff.officer.email}>")
    assert lines[officer_at + 1:officer_at + 6] == [
        f"Subject: {ACME_SUBJECT}",
        "As of 2027-03-01, 1 deadline needs attention:",
        "",
        "BAA expires: Acme Mail",
        "    due in 30 days (2027-03-31)",
    ]
    assert f"{BASE_URL}/vendors/{acme.id}" in result.stdout
    assert "To: Olive Owner <owner@hospital.example>" in lines
    assert lines.count("Subject: riskapp weekly digest 2027-W09: 0 overdue, "
                       "1 due in the next 30 days") == 2
    assert mail_server.inbox == []
    assert deliveries() == []


def test_a_dry_run_after_a_real_run_has_nothing_left_to_send(
        runner: FlaskCliRunner, acme: Vendor, mail_server: MailServer) -> None:
    services.run_reminders(ON)
    received = len(mail_server.inbox)

    result = runner.invoke(args=["reminders", "run", "--dry-run", "--date", "2027-03-01"])

    assert result.stdout.splitlines() == [
        "Reminders due on 2027-03-01: 0 mail(s) would be sent; 4 reminder(s) were sent before."]
    assert len(mail_server.inbox) == received


def test_a_run_for_a_date_sends_what_is_due_that_day(
        runner: FlaskCliRunner, acme: Vendor, staff: Staff, mail_server: MailServer) -> None:
    result = runner.invoke(args=["reminders", "run", "--date", "2027-03-01"])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "Reminders for 2027-03-01: 4 mail(s) sent, 0 failed; 0 reminder(s) sent before.")
    assert sorted((mail.to, mail.subject) for mail in mail_server.inbox if not mail.is_digest) \
        == [(staff.officer.email, ACME_SUBJECT), (staff.owner.email, ACME_SUBJECT)]
    assert {row.status for row in deliveries()} == {"sent"}


def test_a_run_for_a_day_with_nothing_due_sends_nothing(
        runner: FlaskCliRunner, acme: Vendor, mail_server: MailServer) -> None:
    result = runner.invoke(args=["reminders", "run", "--date", "2026-06-01"])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Reminders for 2026-06-01: 0 mail(s) sent, 0 failed; 0 reminder(s) sent before."]
    assert mail_server.inbox == []


def test_without_a_date_it_runs_as_of_today(
        runner: FlaskCliRunner, make_vendor: Callable[..., Vendor],
        signed_baa: Callable[..., Agreement], staff: Staff, mail_server: MailServer) -> None:
    today = services.today()
    signed_baa(make_vendor("Acme Mail"), today + 7 * DAY)

    result = runner.invoke(args=["reminders", "run"])

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Reminders for {today.isoformat()}: ")
    assert [mail.subject for mail in mail_server.reminders_to(staff.officer.email)] == [
        "riskapp: 1 deadline — BAA expires: Acme Mail in 7 days"]


def test_mails_the_server_refused_are_reported_on_stderr(
        app: Flask, runner: FlaskCliRunner, acme: Vendor, staff: Staff,
        mail_server: MailServer) -> None:
    app.config["SMTP_PORT"] = mail_server.closed_port

    result = runner.invoke(args=["reminders", "run", "--date", "2027-03-01"])

    assert result.stdout.splitlines()[0] == (
        "Reminders for 2027-03-01: 0 mail(s) sent, 4 failed; 0 reminder(s) sent before.")
    assert f"Not sent to {staff.officer.email}: " in result.stderr
    assert "refused" in result.stderr.lower()


@pytest.mark.parametrize("value", ["2027-02-30", "01/03/2027", "tomorrow"])
def test_a_bad_date_is_refused(runner: FlaskCliRunner, acme: Vendor, mail_server: MailServer,
                               value: str) -> None:
    result = runner.invoke(args=["reminders", "run", "--date", value])

    assert result.exit_code == 2
    assert "Invalid value for '--date'" in result.stderr
    assert mail_server.inbox == []
    assert deliveries() == []
