"""The admin audit log page: newest first, filters, pages, links in, and who may see it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from riskapp.accounts.models import User
from riskapp.audit import services as audit
from riskapp.database import db
from riskapp.vendors import services as vendor_services
from riskapp.vendors.models import Vendor
from tests.audit.pages import audit_rows, link_href, summaries


@pytest.fixture
def admin(login_as: Callable[..., FlaskClient]) -> FlaskClient:
    """An admin's client; signing in writes one event of its own, "Signed in"."""
    return login_as("admin")


@pytest.fixture
def record_on(
    record_event: Callable[..., int], monkeypatch: pytest.MonkeyPatch,
) -> Callable[[datetime, str], int]:
    """Return a function that records a ``test.dated`` event as if it happened at a moment."""

    def record(moment: datetime, summary: str) -> int:
        monkeypatch.setattr(audit, "utcnow", lambda: moment)
        return record_event(summary, action="test.dated")

    return record


def listed(client: FlaskClient, query: str = "") -> list[str]:
    response = client.get(f"/admin/audit/{query}")
    assert response.status_code == 200
    return summaries(response.get_data(as_text=True))


def test_lists_events_newest_first(
    admin: FlaskClient, record_event: Callable[..., int],
) -> None:
    for summary in ("First", "Second", "Third"):
        record_event(summary)

    assert listed(admin) == ["Third", "Second", "First", "Signed in"]


def test_shows_who_did_what_to_which_object(
    admin: FlaskClient, record_event: Callable[..., int], make_user: Callable[..., User],
) -> None:
    officer = make_user("officer", email="dana@hospital.example")
    record_event("Changed criticality", action="vendor.updated", actor=officer,
                 target=audit.AuditTarget("vendor", "7", "Summit Cloud Hosting"),
                 changes={"criticality": {"before": "low", "after": "high"}})

    response = admin.get("/admin/audit/?action=vendor.updated")

    [row] = audit_rows(response.get_data(as_text=True))
    assert row.who == "dana@hospital.example"
    assert row.action == "vendor.updated"
    assert row.object == "vendor Summit Cloud Hosting"
    assert row.summary == "Changed criticality"
    assert row.changes == ("criticality: low → high",)


def test_shows_the_ip_address_an_event_came_from(admin: FlaskClient) -> None:
    response = admin.get("/admin/audit/?action=auth.login")

    [row] = audit_rows(response.get_data(as_text=True))
    assert row.ip == "127.0.0.1"  # the test client's address when it signed in


def test_filters_by_action(admin: FlaskClient, record_event: Callable[..., int]) -> None:
    record_event("Vendor added", action="vendor.created")
    record_event("Vendor changed", action="vendor.updated")

    assert listed(admin, "?action=vendor.updated") == ["Vendor changed"]


def test_filters_by_a_substring_of_the_actor_email(
    admin: FlaskClient, record_event: Callable[..., int], make_user: Callable[..., User],
) -> None:
    alice = make_user("officer", email="alice.ng@hospital.example")
    bob = make_user("officer", email="bob.ng@hospital.example")
    record_event("By Alice", actor=alice)
    record_event("By Bob", actor=bob)

    assert listed(admin, "?actor=alice") == ["By Alice"]
    assert listed(admin, "?actor=.ng@") == ["By Bob", "By Alice"]


def test_actor_filter_ignores_case(
    admin: FlaskClient, record_event: Callable[..., int], make_user: Callable[..., User],
) -> None:
    alice = make_user("officer", email="alice@hospital.example")
    record_event("By Alice", actor=alice)

    assert listed(admin, "?actor=ALICE") == ["By Alice"]


def test_actor_filter_takes_wildcards_literally(
    admin: FlaskClient, record_event: Callable[..., int], make_user: Callable[..., User],
) -> None:
    record_event("By Alice", actor=make_user("officer", email="alice@hospital.example"))

    assert listed(admin, "?actor=%25") == []
    assert listed(admin, "?actor=_") == []


def test_filters_by_object_type_and_id(
    admin: FlaskClient, record_event: Callable[..., int], make_vendor: Callable[..., Vendor],
) -> None:
    mail = make_vendor("Northwind Mail")
    make_vendor("Summit Hosting")
    record_event("A user who shares the vendor's id",
                 target=audit.AuditTarget("user", str(mail.id), "someone@hospital.example"))

    query = f"?object_type=vendor&object_id={mail.id}"
    assert listed(admin, query) == ["Added vendor Northwind Mail"]


def test_since_keeps_events_from_the_start_of_that_day(
    admin: FlaskClient, record_on: Callable[[datetime, str], int],
) -> None:
    record_on(datetime(2020, 3, 1, 23, 59, 59, 999999, UTC), "Last moment of the 1st")
    record_on(datetime(2020, 3, 2, 0, 0, tzinfo=UTC), "Midnight of the 2nd")
    record_on(datetime(2020, 3, 3, 12, 0, tzinfo=UTC), "Noon on the 3rd")

    assert listed(admin, "?action=test.dated&since=2020-03-02") == [
        "Noon on the 3rd", "Midnight of the 2nd",
    ]


def test_until_keeps_events_through_the_end_of_that_day(
    admin: FlaskClient, record_on: Callable[[datetime, str], int],
) -> None:
    record_on(datetime(2020, 3, 1, 12, 0, tzinfo=UTC), "Noon on the 1st")
    record_on(datetime(2020, 3, 2, 23, 59, 59, 999999, UTC), "Last moment of the 2nd")
    record_on(datetime(2020, 3, 3, 0, 0, tzinfo=UTC), "Midnight of the 3rd")

    assert listed(admin, "?action=test.dated&until=2020-03-02") == [
        "Last moment of the 2nd", "Noon on the 1st",
    ]


def test_since_and_until_together_select_a_date_range(
    admin: FlaskClient, record_on: Callable[[datetime, str], int],
) -> None:
    for day in range(1, 6):
        record_on(datetime(2020, 3, day, 9, 0, tzinfo=UTC), f"March {day}")

    assert listed(admin, "?since=2020-03-02&until=2020-03-04") == [
        "March 4", "March 3", "March 2",
    ]


def test_until_the_last_day_of_the_calendar_shows_everything(
    admin: FlaskClient, record_event: Callable[..., int],
) -> None:
    record_event("Today")

    assert listed(admin, "?until=9999-12-31") == ["Today", "Signed in"]


def test_an_unreadable_date_is_ignored(
    admin: FlaskClient, record_event: Callable[..., int],
) -> None:
    record_event("Today")

    assert listed(admin, "?since=yesterday") == ["Today", "Signed in"]


def test_shows_fifty_events_a_page(admin: FlaskClient, record_event: Callable[..., int]) -> None:
    for number in range(1, 56):
        record_event(f"event-{number:03}")

    first_page = listed(admin)
    second_page = listed(admin, "?page=2")

    assert len(first_page) == 50
    assert first_page[0] == "event-055"
    assert first_page[-1] == "event-006"
    assert second_page == ["event-005", "event-004", "event-003", "event-002", "event-001",
                           "Signed in"]


def test_page_links_keep_the_filters(
    admin: FlaskClient, record_event: Callable[..., int],
) -> None:
    for number in range(1, 53):
        record_event(f"event-{number:03}", action="test.paged")

    first_page = admin.get("/admin/audit/?action=test.paged").get_data(as_text=True)
    next_page = admin.get(link_href(first_page, "Next"))

    assert summaries(next_page.get_data(as_text=True)) == ["event-002", "event-001"]


def test_vendor_history_link_opens_the_log_filtered_to_that_vendor(
    admin: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    mail = make_vendor("Northwind Mail")
    make_vendor("Summit Hosting")
    vendor_services.set_archived(mail, True, actor=admin.user)  # type: ignore[attr-defined]
    db.session.commit()

    detail = admin.get(f"/vendors/{mail.id}").get_data(as_text=True)
    history = admin.get(link_href(detail, "History of this vendor"))

    assert summaries(history.get_data(as_text=True)) == [
        "Archived vendor Northwind Mail", "Added vendor Northwind Mail",
    ]


def test_vendor_history_link_is_not_offered_to_officers(
    login_as: Callable[..., FlaskClient], make_vendor: Callable[..., Vendor],
) -> None:
    officer = login_as("officer")
    vendor = make_vendor("Northwind Mail")

    detail = officer.get(f"/vendors/{vendor.id}")

    assert detail.status_code == 200
    assert "History of this vendor" not in detail.get_data(as_text=True)


@pytest.mark.parametrize("role", ["officer", "viewer"])
@pytest.mark.parametrize("path", ["/admin/audit/", "/admin/audit/export.csv"])
def test_non_admins_are_refused(
    login_as: Callable[..., FlaskClient], role: str, path: str,
) -> None:
    assert login_as(role).get(path).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/admin/audit/")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_vendor_text_is_escaped(admin: FlaskClient, make_vendor: Callable[..., Vendor]) -> None:
    make_vendor('<script>alert("name")</script>', notes="<img src=x onerror=alert(1)>")

    html = admin.get("/admin/audit/?action=vendor.created").get_data(as_text=True)

    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(" in html
    [row] = audit_rows(html)
    assert row.object == 'vendor <script>alert("name")</script>'
    assert "notes: — → <img src=x onerror=alert(1)>" in row.changes
