"""The deadline feed: one all-day event per deadline that calendar apps update in place, with a
reminder a week ahead, whatever the vendor called itself."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from icalendar import Calendar, Event

from riskapp.reminders.calendar import deadline_feed
from riskapp.reminders.rules import Deadline, DeadlineKind

NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def deadline(due_on: date = date(2027, 1, 15), *, kind: DeadlineKind = DeadlineKind.BAA_EXPIRY,
             subject_id: int = 3, vendor_id: int = 7, vendor_name: str = "Acme Mail",
             detail: str = "auto-renews; 60 days' notice") -> Deadline:
    return Deadline(kind=kind, subject_id=subject_id, vendor_id=vendor_id,
                    vendor_name=vendor_name, due_on=due_on, detail=detail)


def feed(deadlines: list[Deadline], **options: str) -> bytes:
    return deadline_feed(deadlines, calendar_name=options.pop("calendar_name", "Deadlines"),
                         now=NOW, **options)


def events(data: bytes) -> list[Event]:
    return Calendar.from_ical(data).walk("VEVENT")


def only_event(data: bytes) -> Event:
    [event] = events(data)
    return event


def test_the_calendar_says_who_made_it_and_what_it_is_called() -> None:
    calendar = Calendar.from_ical(feed([], calendar_name="riskapp: Dana's deadlines"))
    assert str(calendar["PRODID"]) == "-//riskapp//deadlines//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "riskapp: Dana's deadlines"


def test_the_calendar_asks_to_be_refreshed_every_twelve_hours() -> None:
    data = feed([])
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT12H\r\n" in data  # RFC 7986
    assert b"\r\nX-PUBLISHED-TTL:PT12H\r\n" in data  # Outlook's older name for it


def test_an_empty_feed_is_still_a_calendar() -> None:
    data = feed([])
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    assert data.endswith(b"END:VCALENDAR\r\n")
    assert events(data) == []


def test_each_deadline_is_one_all_day_event() -> None:
    data = feed([deadline(date(2027, 1, 15)), deadline(date(2026, 12, 31), subject_id=4)])
    assert [(e.decoded("DTSTART"), e.decoded("DTEND")) for e in events(data)] == [
        (date(2026, 12, 31), date(2027, 1, 1)),
        (date(2027, 1, 15), date(2027, 1, 16)),
    ]
    assert b"DTSTART;VALUE=DATE:20270115\r\n" in data
    assert b"DTEND;VALUE=DATE:20270116\r\n" in data


def test_the_event_is_titled_and_stamped() -> None:
    event = only_event(feed([deadline(kind=DeadlineKind.CONTRACT_NOTICE)]))
    assert str(event["SUMMARY"]) == "Last day to give notice on the contract: Acme Mail"
    assert event.decoded("DTSTAMP") == NOW
    assert str(event["TRANSP"]) == "TRANSPARENT"


def test_the_stamp_is_written_in_utc() -> None:
    eastern = NOW.astimezone(timezone(timedelta(hours=-5)))
    data = deadline_feed([deadline()], calendar_name="Deadlines", now=eastern)
    assert b"DTSTAMP:20261128T093000Z\r\n" in data


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        deadline_feed([], calendar_name="Deadlines", now=datetime(2026, 11, 28, 9, 30))


def test_the_uid_names_the_deadline_and_its_date() -> None:
    event = only_event(feed([deadline(date(2027, 1, 15), subject_id=3)]))
    assert str(event["UID"]) == "baa_expiry:3-20270115@riskapp"


def test_a_refreshed_feed_keeps_the_uids_so_calendars_update_rather_than_duplicate() -> None:
    first = {str(e["UID"]) for e in events(feed([deadline(), deadline(subject_id=4)]))}
    later = deadline_feed([deadline(subject_id=4, detail="now 90 days' notice"), deadline()],
                          calendar_name="Deadlines", now=NOW + timedelta(hours=12))
    assert {str(e["UID"]) for e in events(later)} == first


def test_a_moved_date_becomes_a_new_event() -> None:
    before = only_event(feed([deadline(date(2027, 1, 15))]))
    after = only_event(feed([deadline(date(2028, 1, 15))]))
    assert str(before["UID"]) != str(after["UID"])


def test_a_deadline_listed_twice_appears_once() -> None:
    assert len(events(feed([deadline(), deadline()]))) == 1


def test_the_description_gives_the_detail_and_the_vendor_link() -> None:
    event = only_event(feed([deadline(vendor_id=12)], base_url="https://riskapp.example.org/"))
    assert str(event["DESCRIPTION"]) == (
        "auto-renews; 60 days' notice\nhttps://riskapp.example.org/vendors/12")
    assert str(event["URL"]) == "https://riskapp.example.org/vendors/12"


def test_without_a_base_url_there_is_no_link() -> None:
    event = only_event(feed([deadline()]))
    assert str(event["DESCRIPTION"]) == "auto-renews; 60 days' notice"
    assert "URL" not in event


def test_a_deadline_with_nothing_to_say_has_no_description() -> None:
    assert "DESCRIPTION" not in only_event(feed([deadline(detail="")]))


def test_each_event_reminds_a_week_ahead() -> None:
    [alarm] = only_event(feed([deadline()])).walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == timedelta(days=-7)
    assert str(alarm["DESCRIPTION"]) == "BAA expires: Acme Mail"
    assert b"TRIGGER:-P7D\r\n" in feed([deadline()])


def test_a_vendor_name_is_escaped_and_reads_back_as_written() -> None:
    name = 'Acme, Inc.; "Mail"\\Relay\n<script>alert(1)</script>'
    data = feed([deadline(vendor_name=name)])
    assert str(only_event(data)["SUMMARY"]) == f"BAA expires: {name}"
    assert (b'SUMMARY:BAA expires: Acme\\, Inc.\\; "Mail"\\\\Relay\\n<script>alert(1)</script>'
            in data.replace(b"\r\n ", b""))  # unfolded


def test_a_vendor_name_cannot_add_properties_to_the_event() -> None:
    for breaker in ("\r\n", "\r", "\n"):
        name = f"Acme{breaker}ATTENDEE:mailto:everyone@example.com{breaker}X"
        data = feed([deadline(vendor_name=name)])
        event = only_event(data)
        assert "ATTENDEE" not in event
        assert str(event["SUMMARY"]) == (
            "BAA expires: Acme\nATTENDEE:mailto:everyone@example.com\nX")
        assert b"\r" not in data.replace(b"\r\n", b"")


def test_control_characters_are_dropped_from_event_text() -> None:
    event = only_event(feed([deadline(vendor_name="Acme\x00\x1b[31m\x7fMail", detail="a\tb")]))
    assert str(event["SUMMARY"]) == "BAA expires: Acme[31mMail"
    assert str(event["DESCRIPTION"]) == "a\tb"


def test_the_same_inputs_give_the_same_bytes() -> None:
    deadlines = [deadline(date(2027, 1, 15)), deadline(date(2026, 12, 1), subject_id=4),
                 deadline(date(2026, 12, 1), kind=DeadlineKind.REVIEW_DUE)]
    assert feed(deadlines) == feed(list(reversed(deadlines)))
    assert feed(deadlines) != deadline_feed(deadlines, calendar_name="Deadlines",
                                            now=NOW + timedelta(seconds=1))


def test_events_are_listed_soonest_first() -> None:
    data = feed([deadline(date(2027, 3, 1)), deadline(date(2026, 12, 1), subject_id=4),
                 deadline(date(2027, 1, 1), subject_id=5)])
    assert [e.decoded("DTSTART") for e in events(data)] == [
        date(2026, 12, 1), date(2027, 1, 1), date(2027, 3, 1)]
