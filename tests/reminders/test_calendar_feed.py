"""The deadlines page and each user's secret, revocable iCalendar feed, through the browser.

Pages and the feed count from today, so the dates here do too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select

from riskapp.access import Role
from riskapp.agreements.models import Agreement
from riskapp.assessments.models import Status
from riskapp.audit.models import AuditEvent
from riskapp.database import db
from riskapp.reminders import services
from riskapp.reminders.models import CalendarFeed
from riskapp.vendors.models import Vendor

DAY = dt.timedelta(days=1)
FEED_URL = re.compile(r'value="(http://localhost/calendar/([A-Za-z0-9_-]+)\.ics)"')


@pytest.fixture
def officer(login_as: Callable[..., FlaskClient]) -> FlaskClient:
    return login_as(Role.OFFICER, email="officer@hospital.example")


@pytest.fixture
def today() -> dt.date:
    return services.today()


def make_feed(client: FlaskClient) -> tuple[str, str]:
    """Ask for a new feed address as the user would; return the address and its token."""
    response = client.post("/deadlines/calendar")
    assert response.status_code == 200
    match = FEED_URL.search(response.text)
    assert match, "the new feed address is not on the page"
    return match.group(1), match.group(2)


def read_feed(app: Flask, url: str) -> Calendar:
    """Fetch the feed as a calendar app would: no session, only the address."""
    response = app.test_client().get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def feed_status(app: Flask, url: str) -> int:
    return app.test_client().get(url).status_code


# --- the feed ------------------------------------------------------------------------------------


def test_a_new_feed_address_is_shown_once(officer: FlaskClient) -> None:
    url, token = make_feed(officer)

    page = officer.get("/deadlines").text

    assert token not in page
    assert "You have a feed, created" in page
    assert "Make a new feed address" in page


def test_the_feed_lists_the_deadlines_as_all_day_events(
        app: Flask, officer: FlaskClient, make_vendor: Callable[..., Vendor],
        signed_baa: Callable[..., Agreement], make_assessment: Callable[..., object],
        today: dt.date) -> None:
    acme = make_vendor("Acme Mail")
    signed_baa(acme, today + 30 * DAY)
    make_assessment(make_vendor("Bolt Billing"), status=Status.SENT, due_date=today - 2 * DAY)
    url, _ = make_feed(officer)

    calendar = read_feed(app, url)

    assert str(calendar["X-WR-CALNAME"]) == "riskapp deadlines"
    events = [(event.decoded("DTSTART"), str(event["SUMMARY"]))
              for event in calendar.walk("VEVENT")]
    assert events == [(today - 2 * DAY, "Questionnaire due from the vendor: Bolt Billing"),
                      (today + 30 * DAY, "BAA expires: Acme Mail")]
    baa = calendar.walk("VEVENT")[1]
    assert str(baa["URL"]) == f"http://localhost/vendors/{acme.id}"


def test_the_feed_is_never_cached(app: Flask, officer: FlaskClient) -> None:
    url, _ = make_feed(officer)

    response = app.test_client().get(url)

    assert "no-store" in response.headers["Cache-Control"]


def test_only_a_hash_of_the_token_is_kept(officer: FlaskClient) -> None:
    _, token = make_feed(officer)

    (feed,) = db.session.scalars(select(CalendarFeed))
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    kept = [str(value) for value in vars(feed).values()]
    kept += [f"{event.summary} {event.changes}" for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("calendar.%")))]
    assert not any(token in value for value in kept)


def test_reading_the_feed_is_shown_on_the_page(app: Flask, officer: FlaskClient) -> None:
    url, _ = make_feed(officer)
    assert "last read" not in officer.get("/deadlines").text

    read_feed(app, url)

    assert "last read" in officer.get("/deadlines").text


def test_a_revoked_feed_is_gone(app: Flask, officer: FlaskClient) -> None:
    url, _ = make_feed(officer)

    response = officer.post("/deadlines/calendar/revoke", follow_redirects=True)

    assert "Calendar feed revoked" in response.text
    assert feed_status(app, url) == 404
    assert "Make a feed address" in response.text


def test_a_new_feed_address_revokes_the_old_one(app: Flask, officer: FlaskClient) -> None:
    old, _ = make_feed(officer)
    new, _ = make_feed(officer)

    assert new != old
    assert feed_status(app, old) == 404
    assert feed_status(app, new) == 200


def test_feeds_are_per_user(app: Flask, officer: FlaskClient,
                            login_as: Callable[..., FlaskClient]) -> None:
    mine, _ = make_feed(officer)
    theirs, _ = make_feed(login_as(Role.VIEWER))

    officer.post("/deadlines/calendar/revoke")

    assert feed_status(app, mine) == 404
    assert feed_status(app, theirs) == 200


def test_a_deactivated_users_feed_is_gone(app: Flask, officer: FlaskClient) -> None:
    url, _ = make_feed(officer)
    user = officer.user  # type: ignore[attr-defined]

    user.is_active = False
    db.session.commit()

    assert feed_status(app, url) == 404


@pytest.mark.parametrize("wrong", ["x" * 43, "", "../deadlines"])
def test_a_wrong_token_finds_nothing(app: Flask, officer: FlaskClient, wrong: str) -> None:
    url, token = make_feed(officer)

    assert feed_status(app, url.replace(token, wrong)) == 404
    assert feed_status(app, url.replace(token, token[:-1])) == 404


def test_making_or_revoking_a_feed_needs_a_signed_in_user(app: Flask) -> None:
    anonymous = app.test_client()

    for path in ("/deadlines/calendar", "/deadlines/calendar/revoke"):
        response = anonymous.post(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    assert db.session.scalars(select(CalendarFeed)).all() == []


# --- the deadlines page -------------------------------------------------------------------------


def section(html: str, name: str) -> str:
    """The text of the page's ``<section id=name>``."""
    match = re.search(rf'<section class="panel" id="{name}">(.*?)</section>', html, re.S)
    assert match, f"no section {name}"
    return match.group(1)


def test_the_page_lists_overdue_and_upcoming_deadlines_with_links_to_the_vendor(
        make_vendor: Callable[..., Vendor], signed_baa: Callable[..., Agreement],
        make_assessment: Callable[..., object], make_agreement: Callable[..., Agreement],
        login_as: Callable[..., FlaskClient], today: dt.date) -> None:
    acme, bolt = make_vendor("Acme Mail"), make_vendor("Bolt Billing")
    signed_baa(acme, today + 30 * DAY)
    make_assessment(bolt, status=Status.SENT, due_date=today - 2 * DAY)
    make_agreement(make_vendor("Far Future"), contract_renews_on=today + 200 * DAY)

    page = login_as(Role.VIEWER).get("/deadlines")

    assert page.status_code == 200
    overdue, upcoming = section(page.text, "overdue"), section(page.text, "upcoming")
    assert "Overdue (1)" in overdue
    assert "2 days overdue" in overdue
    assert f'<a href="/vendors/{bolt.id}/agreement">Bolt Billing</a>' in overdue
    assert "Upcoming in the next 90 days (1)" in upcoming
    assert f'<a href="/vendors/{acme.id}/agreement">Acme Mail</a>' in upcoming
    assert "in 30 days" in upcoming
    assert "Far Future" not in page.text


def test_the_page_looks_further_ahead_on_request(
        make_vendor: Callable[..., Vendor], make_agreement: Callable[..., Agreement],
        login_as: Callable[..., FlaskClient], today: dt.date) -> None:
    make_agreement(make_vendor("Far Future"), contract_renews_on=today + 200 * DAY)
    viewer = login_as(Role.VIEWER)

    assert "Far Future" in section(viewer.get("/deadlines?days=365").text, "upcoming")
    assert "Far Future" not in viewer.get("/deadlines?days=1000").text  # not a choice: 90


def test_vendor_names_are_escaped(
        make_vendor: Callable[..., Vendor], signed_baa: Callable[..., Agreement],
        login_as: Callable[..., FlaskClient], today: dt.date) -> None:
    signed_baa(make_vendor('<img src=x onerror="alert(1)"> & Sons'), today + 7 * DAY)

    page = login_as(Role.VIEWER).get("/deadlines").text

    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; Sons" in page
    assert "<img src=x" not in page


def test_the_page_needs_a_signed_in_user(app: Flask) -> None:
    response = app.test_client().get("/deadlines")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_long_agenda_is_paged_overdue_first(
        make_vendor: Callable[..., Vendor], make_assessment: Callable[..., object],
        signed_baa: Callable[..., Agreement], login_as: Callable[..., FlaskClient],
        today: dt.date, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("riskapp.reminders.views.PER_PAGE", 2)
    for n in range(3):
        make_assessment(make_vendor(f"Late {n}"), status=Status.SENT,
                        due_date=today - (n + 1) * DAY)
    for n in range(2):
        signed_baa(make_vendor(f"Soon {n}"), today + (n + 10) * DAY)
    viewer = login_as(Role.VIEWER)

    first, second, third = (viewer.get(f"/deadlines?page={n}").text for n in (1, 2, 3))

    assert "Overdue (3)" in section(first, "overdue")  # the totals, on every page
    assert "Upcoming in the next 90 days (2)" in section(third, "upcoming")
    assert "Late 2" in section(first, "overdue")
    assert "Late 1" in section(first, "overdue")
    assert "Late 0" in section(second, "overdue")
    assert "Soon 0" in section(second, "upcoming")
    assert "On the earlier pages" in section(third, "overdue")
    assert "Soon 1" in section(third, "upcoming")
    assert 'href="/deadlines?page=3&amp;days=90"' in first
