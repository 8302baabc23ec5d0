"""Sending reminders: on which days, to whom, in how many mails, and leadership's digest.

Every mail here goes through a real SMTP server on 127.0.0.1 (see conftest.py), so a test
reads what the recipient would.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable

from flask import Flask

from riskapp.access import Role
from riskapp.accounts.models import User
from riskapp.agreements.models import Agreement
from riskapp.assessments.models import Assessment, Status
from riskapp.database import db
from riskapp.reminders import services
from riskapp.vendors.models import Vendor
from tests.reminders.conftest import BASE_URL, ON, MailServer, Staff, deliveries

DAY = dt.timedelta(days=1)


def mail_days(mail_server: MailServer, email: str, sent_on: dict[int, dt.date]) -> list[dt.date]:
    """The days on which ``email`` received a reminder (digests aside)."""
    return [sent_on[index] for index, mail in enumerate(mail_server.inbox)
            if mail.to == email and not mail.is_digest]


def run_every_day(first: dt.date, last: dt.date, mail_server: MailServer) -> dict[int, dt.date]:
    """Run the reminders once a day from ``first`` to ``last``; map each mail to its day."""
    sent_on: dict[int, dt.date] = {}
    day = first
    while day <= last:
        services.run_reminders(day)
        for index in range(len(sent_on), len(mail_server.inbox)):
            sent_on[index] = day
        day += DAY
    return sent_on


# --- on which days -----------------------------------------------------------------------------


def test_each_default_offset_reminds_on_its_day_and_not_the_day_before(
        make_vendor: Callable[..., Vendor], signed_baa: Callable[..., Agreement],
        staff: Staff, mail_server: MailServer) -> None:
    expiry = ON + 100 * DAY
    signed_baa(make_vendor("Acme Mail"), expiry)

    sent_on = run_every_day(ON, expiry + 3 * DAY, mail_server)

    assert mail_days(mail_server, staff.officer.email, sent_on) == [
        expiry - 90 * DAY, expiry - 30 * DAY, expiry - 7 * DAY, expiry, expiry + DAY]
    subjects = [mail.subject for mail in mail_server.reminders_to(staff.officer.email)]
    assert subjects == [
        "riskapp: 1 deadline — BAA expires: Acme Mail in 90 days",
        "riskapp: 1 deadline — BAA expires: Acme Mail in 30 days",
        "riskapp: 1 deadline — BAA expires: Acme Mail in 7 days",
        "riskapp: 1 deadline — BAA expires: Acme Mail today",
        "riskapp: 1 deadline — BAA expires: Acme Mail overdue by 1 day",
    ]


def test_reminder_days_are_configurable(
        app: Flask, make_vendor: Callable[..., Vendor], make_agreement: Callable[..., Agreement],
        staff: Staff, mail_server: MailServer) -> None:
    app.config["REMINDER_DAYS"] = "14, 1"
    renews = ON + 40 * DAY
    make_agreement(make_vendor(), contract_renews_on=renews)

    sent_on = run_every_day(ON, renews + 2 * DAY, mail_server)

    # No escalation after the day: the contract simply renewed.
    assert mail_days(mail_server, staff.officer.email, sent_on) == [
        renews - 14 * DAY, renews - DAY]


def test_overdue_escalates_once_to_the_admins_as_well(
        make_vendor: Callable[..., Vendor], make_assessment: Callable[..., object],
        staff: Staff, mail_server: MailServer) -> None:
    due = ON + 7 * DAY
    make_assessment(make_vendor("Acme Mail"), status=Status.SENT, due_date=due,
                    created_by=staff.owner)

    sent_on = run_every_day(ON, due + 10 * DAY, mail_server)

    for person in (staff.owner, staff.officer):
        assert mail_days(mail_server, person.email, sent_on) == [ON, due, due + DAY]
    assert mail_days(mail_server, staff.admin.email, sent_on) == [due + DAY]
    (escalation,) = mail_server.to(staff.admin.email)
    assert escalation.subject == ("riskapp: 1 deadline — Questionnaire due from the vendor: "
                                  "Acme Mail overdue by 1 day")
    assert "OVERDUE  Questionnaire due from the vendor: Acme Mail" in escalation.body


# --- who hears of them -------------------------------------------------------------------------


def test_the_owner_and_every_officer_are_reminded_and_nobody_else(
        make_vendor: Callable[..., Vendor], signed_baa: Callable[..., Agreement],
        make_user: Callable[..., User], staff: Staff, mail_server: MailServer) -> None:
    second_officer = make_user(Role.OFFICER, email="second.officer@hospital.example")
    make_user(Role.OFFICER, email="left@hospital.example", is_active=False)
    signed_baa(make_vendor(), ON + 30 * DAY, contract_owner_id=staff.owner.id)

    services.run_reminders(ON)

    # The owner is a viewer here: reminded as the owner, not for the role.
    assert sorted(mail.to for mail in mail_server.inbox if not mail.is_digest) == sorted(
        [staff.owner.email, staff.officer.email, second_officer.email])


def test_an_inactive_owner_is_not_reminded(
        make_vendor: Callable[..., Vendor], signed_baa: Callable[..., Agreement],
        staff: Staff, mail_server: MailServer) -> None:
    staff.owner.is_active = False
    db.session.commit()
    signed_baa(make_vendor(), ON + 30 * DAY, contract_owner_id=staff.owner.id)

    services.run_reminders(ON)

    assert [mail.to for mail in mail_server.inbox if not mail.is_digest] == [staff.officer.email]


def test_admins_are_reminded_when_there_is_no_owner_and_no_officer(
        make_vendor: Callable[..., Vendor], signed_baa: Callable[..., Agreement],
        make_user: Callable[..., User], mail_server: MailServer) -> None:
    admin = make_user(Role.ADMIN, email="admin@hospital.example")
    make_user(Role.VIEWER, email="cfo@hospital.example")
    signed_baa(make_vendor("Acme Mail"), ON + 30 * DAY)

    services.run_reminders(ON)

    reminders = [mail for mail in mail_server.inbox if not mail.is_digest]
    assert [(mail.to, mail.subject) for mail in reminders] == [
        (admin.email, "riskapp: 1 deadline — BAA expires: Acme Mail in 30 days")]


def test_an_owner_without_officers_is_told_alone_until_it_is_overdue(
        make_vendor: Callable[..., Vendor], signed_baa: Callable[..., Agreement],
        make_user: Callable[..., User], mail_server: MailServer) -> None:
    owner = make_user(Role.VIEWER, email="owner@hospital.example")
    admin = make_user(Role.ADMIN, email="admin@hospital.example")
    expiry = ON + 30 * DAY
    signed_baa(make_vendor("Acme Mail"), expiry, contract_owner_id=owner.id)

    services.run_reminders(ON)
    services.run_reminders(expiry + DAY)

    assert [(mail.to, mail.subject) for mail in mail_server.inbox if not mail.is_digest] == [
        (owner.email, "riskapp: 1 deadline — BAA expires: Acme Mail in 30 days"),
        (owner.email, "riskapp: 1 deadline — BAA expires: Acme Mail overdue by 1 day"),
        (admin.email, "riskapp: 1 deadline — BAA expires: Acme Mail overdue by 1 day"),
    ]


def test_the_mail_comes_from_riskapp_and_links_to_the_vendor(
        make_vendor: Callable[..., Vendor], signed_baa: Callable[..., Agreement],
        staff: Staff, mail_server: MailServer) -> None:
    vendor = make_vendor("Acme Mail")
    signed_baa(vendor, ON + 30 * DAY, contract_owner_id=staff.owner.id)

    services.run_reminders(ON)

    (mail,) = mail_server.to(staff.officer.email)
    assert mail.mail_from == "riskapp@hospital.example"
    assert mail.message["To"] == staff.officer.email
    assert mail.body.splitlines()[:5] == [
        "As of 2027-03-01, 1 deadline needs attention:",
        "",
        "BAA expires: Acme Mail",
        "    due in 30 days (2027-03-31)",
        "    no automatic renewal",
    ]
    assert f"{BASE_URL}/vendors/{vendor.id}" in mail.body


def test_each_person_gets_one_mail_listing_all_their_reminders(
        make_vendor: Callable[..., Vendor], signed_baa: Callable[..., Agreement],
        make_agreement: Callable[..., Agreement], make_assessment: Callable[..., object],
        staff: Staff, mail_server: MailServer) -> None:
    signed_baa(make_vendor("Acme Mail"), ON + 7 * DAY, contract_owner_id=staff.owner.id)
    make_agreement(make_vendor("Bolt Billing"), contract_renews_on=ON + 30 * DAY)
    make_assessment(make_vendor("Cura Labs"), status=Status.SENT, due_date=ON - 2 * DAY)

    services.run_reminders(ON)

    (mail,) = mail_server.to(staff.officer.email)
    assert mail.subject == ("riskapp: 3 deadlines — Questionnaire due from the vendor: "
                            "Cura Labs overdue by 2 days")
    body = mail.body
    assert body.index("Cura Labs") < body.index("Acme Mail") < body.index("Bolt Billing")
    (owners,) = mail_server.reminders_to(staff.owner.email)
    assert "Acme Mail" in owners.body
    assert "Bolt Billing" not in owners.body
    rows = {(row.recipient, row.once_key.split(":")[0]) for row in deliveries()}
    assert {kind for email, kind in rows if email == staff.officer.email} == {
        "baa_expiry", "contract_renewal", "questionnaire_due"}


# --- leadership's weekly digest ----------------------------------------------------------------


def test_viewers_get_the_digest_once_per_iso_week(
        make_vendor: Callable[..., Vendor], make_agreement: Callable[..., Agreement],
        make_assessment: Callable[..., Assessment], staff: Staff, mail_server: MailServer) -> None:
    make_agreement(make_vendor("Acme Mail"), contract_renews_on=ON + 20 * DAY)
    late = make_assessment(make_vendor("Bolt Billing"), status=Status.SENT,
                           due_date=ON - 3 * DAY)
    make_agreement(make_vendor("Far Future"), contract_renews_on=ON + 200 * DAY)

    sent_on = run_every_day(ON - 2 * DAY, ON + 8 * DAY, mail_server)  # Saturday to Tuesday

    digests: dict[str, list[tuple[dt.date, str]]] = defaultdict(list)
    for index, mail in enumerate(mail_server.inbox):
        if mail.is_digest:
            digests[mail.to].append((sent_on[index], mail.subject))
    weekly = [
        (ON - 2 * DAY, "riskapp weekly digest 2027-W08: 1 overdue, 1 due in the next 30 days"),
        (ON, "riskapp weekly digest 2027-W09: 1 overdue, 1 due in the next 30 days"),
        (ON + 7 * DAY, "riskapp weekly digest 2027-W10: 1 overdue, 1 due in the next 30 days"),
    ]
    assert digests == {staff.viewer.email: weekly, staff.owner.email: weekly}
    first = mail_server.digests_to(staff.viewer.email)[0]
    assert first.body.splitlines()[:5] == [
        "Deadlines for 2027-W08: 1 overdue, 1 due in the next 30 days.",
        "",
        "Overdue:",
        "2027-02-26  Questionnaire due from the vendor: Bolt Billing  "
        f"(assessment #{late.id}, sent to Vera Vendor)",
        "",
    ]
    assert "Acme Mail" in first.body
    assert "Far Future" not in first.body


def test_no_digest_when_nothing_is_overdue_or_near(
        make_vendor: Callable[..., Vendor], make_agreement: Callable[..., Agreement],
        staff: Staff, mail_server: MailServer) -> None:
    make_agreement(make_vendor(), contract_renews_on=ON + 200 * DAY)

    services.run_reminders(ON)

    assert mail_server.inbox == []
