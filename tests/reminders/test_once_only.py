"""Each reminder goes out once per item, deadline and step: when the job runs twice, runs late,
dies half-way, meets a mail server that is down, or runs twice at once.

What counts is what the SMTP server on 127.0.0.1 received (see conftest.py).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import Counter
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from riskapp import mail
from riskapp.access import Role
from riskapp.accounts.models import User
from riskapp.agreements.models import Agreement
from riskapp.database import db
from riskapp.reminders import services
from riskapp.reminders.models import DeliveryStatus
from riskapp.vendors.models import Vendor
from tests.reminders.conftest import ON, MailServer, Staff, deliveries

DAY = dt.timedelta(days=1)


class WorkerKilled(BaseException):
    """What a worker killed mid-run raises, as far as the code under it can tell."""


@pytest.fixture
def acme(make_vendor: Callable[..., Vendor], signed_baa: Callable[..., Agreement],
         staff: Staff) -> Agreement:
    """Acme Mail's BAA, owned by the viewer ``staff.owner``, expiring in 30 days."""
    return signed_baa(make_vendor("Acme Mail"), ON + 30 * DAY, contract_owner_id=staff.owner.id)


def reminders_received(mail_server: MailServer) -> Counter[tuple[str, str]]:
    """How many times each person received each reminder mail (digests aside)."""
    return Counter((m.to, m.subject) for m in mail_server.inbox if not m.is_digest)


def statuses() -> dict[str, str]:
    return {row.recipient: row.status for row in deliveries() if "digest" not in row.once_key}


def delivery_rows_on_page(client: FlaskClient) -> dict[tuple[str, str], str]:
    """The "Reminders sent" table of /deadlines: each (recipient, subject)'s status, as text."""
    response = client.get("/deadlines")
    assert response.status_code == 200
    section = response.text.split('id="sent"', 1)[1]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", section, re.S)[1:]:
        cells = [re.sub(r"<[^>]+>", "", cell).strip()
                 for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows[cells[1], cells[2]] = " ".join(cells[3].split())
    return rows


# --- run twice, run late -----------------------------------------------------------------------


def test_a_second_run_the_same_day_sends_nothing(
        acme: Agreement, staff: Staff, mail_server: MailServer) -> None:
    first = services.run_reminders(ON)
    received = len(mail_server.inbox)

    second = services.run_reminders(ON)

    assert received == len(first.sent) == 4  # owner, officer, and both viewers' digest
    assert len(mail_server.inbox) == received
    assert (second.sent, second.failed, second.already) == ([], [], 4)
    assert set(statuses().values()) == {DeliveryStatus.SENT.value}


def test_a_late_run_sends_only_the_nearest_step_and_only_once(
        make_vendor: Callable[..., Vendor], signed_baa: Callable[..., Agreement],
        staff: Staff, mail_server: MailServer) -> None:
    expiry = ON + 100 * DAY
    signed_baa(make_vendor("Acme Mail"), expiry)

    # The worker was down for the 90-day step and comes back 20 days before the expiry.
    for day in (expiry - 20 * DAY, expiry - 19 * DAY, expiry - 8 * DAY):
        services.run_reminders(day)

    assert reminders_received(mail_server) == {
        (staff.officer.email, "riskapp: 1 deadline — BAA expires: Acme Mail in 20 days"): 1}
    assert [row.once_key.rsplit(":", 1)[1] for row in deliveries()
            if row.recipient == staff.officer.email] == ["d30"]


def test_a_run_days_late_sends_the_overdue_escalation_alone(
        make_vendor: Callable[..., Vendor], signed_baa: Callable[..., Agreement],
        staff: Staff, mail_server: MailServer) -> None:
    expiry = ON + 10 * DAY
    signed_baa(make_vendor("Acme Mail"), expiry)
    services.run_reminders(ON)  # the 30-day step

    services.run_reminders(expiry + 3 * DAY)
    services.run_reminders(expiry + 4 * DAY)

    assert [mail.subject for mail in mail_server.reminders_to(staff.officer.email)] == [
        "riskapp: 1 deadline — BAA expires: Acme Mail in 10 days",
        "riskapp: 1 deadline — BAA expires: Acme Mail overdue by 3 days",
    ]


# --- a run that dies, a mail server that is down ------------------------------------------------


def kill_the_run_at_mail(monkeypatch: pytest.MonkeyPatch, number: int) -> list[str]:
    """Let mails go out until the ``number``-th, and kill the run as it sends that one;
    return the recipients it tried, in order. ``monkeypatch.undo()`` starts a new worker."""
    real_send = mail.send
    tried: list[str] = []

    def send(to: str, subject: str, body: str) -> mail.Sent:
        tried.append(to)
        if len(tried) == number:
            raise WorkerKilled
        return real_send(to, subject, body)

    monkeypatch.setattr(mail, "send", send)
    return tried


def test_a_run_killed_while_sending_resumes_without_sending_anything_twice(
        acme: Agreement, make_user: Callable[..., User], staff: Staff,
        mail_server: MailServer, monkeypatch: pytest.MonkeyPatch) -> None:
    second_officer = make_user(Role.OFFICER, email="second.officer@hospital.example")
    tried = kill_the_run_at_mail(monkeypatch, 2)
    with pytest.raises(WorkerKilled):
        services.run_reminders(ON)
    db.session.rollback()  # the worker is gone; what it committed stays
    delivered, killed = tried
    assert [mail.to for mail in mail_server.inbox] == [delivered]

    monkeypatch.undo()
    services.run_reminders(ON)
    services.run_reminders(ON + DAY)

    assert Counter(mail.to for mail in mail_server.inbox if not mail.is_digest) == {
        email: 1 for email in (staff.owner.email, staff.officer.email, second_officer.email)
        if email != killed}
    assert Counter(mail.to for mail in mail_server.inbox if mail.is_digest) == {
        staff.owner.email: 1, staff.viewer.email: 1}
    assert statuses()[killed] == DeliveryStatus.SENDING.value
    assert {status for email, status in statuses().items() if email != killed} == {
        DeliveryStatus.SENT.value}


def test_the_deadlines_page_shows_a_killed_runs_reminder_as_unconfirmed(
        acme: Agreement, staff: Staff, mail_server: MailServer,
        monkeypatch: pytest.MonkeyPatch, login_as: Callable[..., FlaskClient]) -> None:
    tried = kill_the_run_at_mail(monkeypatch, 2)
    with pytest.raises(WorkerKilled):
        services.run_reminders(ON)
    db.session.rollback()
    monkeypatch.undo()
    services.run_reminders(ON)
    delivered, killed = tried

    rows = delivery_rows_on_page(login_as(Role.VIEWER))

    reminder = "riskapp: 1 deadline — BAA expires: Acme Mail in 30 days"
    assert rows[killed, reminder] == "Unconfirmed (the run stopped while sending)"
    assert rows[delivered, reminder] == "Sent"


def other_process() -> sa.Engine:
    """An engine of another process on the same database, that waits a second at most for a
    lock."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        return sa.create_engine(url, connect_args={"timeout": 1})
    return sa.create_engine(url, connect_args={"options": "-c lock_timeout=1000"})


def test_the_claim_is_committed_before_the_mail_goes_out_and_the_database_stays_free(
        acme: Agreement, staff: Staff, mail_server: MailServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    real_send = mail.send
    seen_while_sending: list[tuple[str, int]] = []
    engine = other_process()
    viewer_id = staff.viewer.id

    def send(to: str, subject: str, body: str) -> mail.Sent:
        with engine.begin() as connection:
            seen_while_sending.append((to, connection.scalar(
                sa.text("SELECT count(*) FROM reminder_deliveries "
                        "WHERE recipient = :to AND status = 'sending'"), {"to": to})))
            # The web app must be able to write while the job waits on the mail server.
            connection.execute(sa.text("UPDATE users SET name = 'Chief Financial Officer' "
                                       "WHERE id = :id"), {"id": viewer_id})
        return real_send(to, subject, body)

    monkeypatch.setattr(mail, "send", send)
    try:
        services.run_reminders(ON)
    finally:
        engine.dispose()

    # Each mail's claim was visible to others, as "sending", while it was being sent.
    assert seen_while_sending == [(received.to, 1) for received in mail_server.inbox]
    assert len(seen_while_sending) == 4


def test_a_mail_server_that_is_down_fails_and_the_next_run_sends_once(
        app: Flask, acme: Agreement, staff: Staff, mail_server: MailServer) -> None:
    app.config["SMTP_PORT"] = mail_server.closed_port

    down = services.run_reminders(ON)

    assert (len(down.sent), len(down.failed)) == (0, 4)
    assert mail_server.inbox == []
    rows = deliveries()
    assert {row.status for row in rows} == {DeliveryStatus.FAILED.value}
    assert all("refused" in row.error.lower() for row in rows)

    app.config["SMTP_PORT"] = mail_server.port
    services.run_reminders(ON + DAY)
    services.run_reminders(ON + 2 * DAY)

    assert sorted(mail.to for mail in mail_server.inbox) == sorted(
        [staff.owner.email, staff.owner.email, staff.officer.email, staff.viewer.email])
    assert {(row.status, row.attempts, row.error) for row in deliveries()} == {
        (DeliveryStatus.SENT.value, 2, "")}


def test_a_refused_mail_shows_as_failed_and_is_retried(
        acme: Agreement, staff: Staff, mail_server: MailServer,
        login_as: Callable[..., FlaskClient]) -> None:
    mail_server.refuse = True
    services.run_reminders(ON)
    viewer = login_as(Role.VIEWER)

    rows = delivery_rows_on_page(viewer)

    reminder = "riskapp: 1 deadline — BAA expires: Acme Mail in 30 days"
    assert rows[staff.officer.email, reminder].startswith("Failed, will retry")
    assert "Message rejected" in rows[staff.officer.email, reminder]
    mail_server.refuse = False
    services.run_reminders(ON)
    assert delivery_rows_on_page(viewer)[staff.officer.email, reminder] == "Sent"
    assert [mail.subject for mail in mail_server.to(staff.officer.email)] == [reminder]


# --- two runs at once ---------------------------------------------------------------------------


def test_two_runs_at_once_deliver_each_reminder_exactly_once(
        app: Flask, make_vendor: Callable[..., Vendor], signed_baa: Callable[..., Agreement],
        make_agreement: Callable[..., Agreement], make_user: Callable[..., User],
        staff: Staff, mail_server: MailServer) -> None:
    officers = [staff.officer] + [make_user(Role.OFFICER) for _ in range(3)]
    signed_baa(make_vendor("Acme Mail"), ON + 7 * DAY, contract_owner_id=staff.owner.id)
    make_agreement(make_vendor("Bolt Billing"), contract_renews_on=ON + 30 * DAY)
    make_agreement(make_vendor("Cura Labs"), contract_ends_on=ON - DAY)
    # Each officer: one mail with all three; the owner: Acme's reminder and the digest; the
    # admin: Cura's escalation; the other viewer: the digest.
    officer_emails = {officer.email for officer in officers}
    expected = dict.fromkeys(officer_emails, 1) | {
        staff.owner.email: 2, staff.admin.email: 1, staff.viewer.email: 1}
    db.session.close()  # the runs alone use the database
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                start.wait()
                services.run_reminders(ON)
        except Exception as error:  # a thread's failure would otherwise go unseen
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Counter(mail.to for mail in mail_server.inbox) == expected
    for received in mail_server.inbox:
        if received.to in officer_emails:
            assert [received.body.count(name) for name in ("Acme", "Bolt", "Cura")] == [1, 1, 1]


def test_a_run_that_checked_before_another_claimed_still_sends_nothing(
        acme: Agreement, staff: Staff, mail_server: MailServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    services.run_reminders(ON)
    received = len(mail_server.inbox)
    # The second run read "not sent yet" just before the first one claimed: only the unique
    # row stands between it and a duplicate.
    monkeypatch.setattr(services, "unsent", lambda outgoing: outgoing.keys)

    late = services.run_reminders(ON)

    assert (late.sent, late.already) == ([], 4)
    assert len(mail_server.inbox) == received


# --- a renewed BAA -------------------------------------------------------------------------------


def test_a_renewed_baa_gets_fresh_reminders_for_its_new_expiry(
        acme: Agreement, staff: Staff, mail_server: MailServer) -> None:
    services.run_reminders(ON)  # 30 days before the first expiry
    old_expiry = acme.baa_expires_on
    assert old_expiry is not None
    new_expiry = old_expiry + 365 * DAY
    acme.baa_expires_on = new_expiry
    db.session.commit()

    for day in (old_expiry - 7 * DAY, old_expiry, new_expiry - 90 * DAY, new_expiry - 30 * DAY):
        services.run_reminders(day)

    assert [mail.subject for mail in mail_server.reminders_to(staff.officer.email)] == [
        "riskapp: 1 deadline — BAA expires: Acme Mail in 30 days",
        "riskapp: 1 deadline — BAA expires: Acme Mail in 90 days",
        "riskapp: 1 deadline — BAA expires: Acme Mail in 30 days",
    ]
    assert [mail.body.splitlines()[3] for mail in mail_server.reminders_to(
        staff.officer.email)][1:] == [f"    due in 90 days ({new_expiry.isoformat()})",
                                      f"    due in 30 days ({new_expiry.isoformat()})"]
