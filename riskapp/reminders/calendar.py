"""Write deadlines as an iCalendar feed that Outlook, Google Calendar and Apple Calendar read.

Each deadline is one all-day event whose UID names the deadline and its date, so a calendar
that refreshes the feed updates the events it has instead of adding copies; a deadline whose
date moves (a renewed BAA) becomes a new event, and the old one drops out of the feed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar, Event, vDuration

from riskapp.reminders.rules import Deadline, vendor_url

PRODID = "-//riskapp//deadlines//EN"
REFRESH = timedelta(hours=12)
ALARM_BEFORE = timedelta(days=7)
# RFC 5545 text may hold no control character but tab; icalendar escapes line feeds, not a
# lone carriage return, which some readers would take for the end of the line.
_LINE_BREAK = re.compile(r"\r\n?")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def deadline_feed(deadlines: Iterable[Deadline], *, calendar_name: str, base_url: str = "",
                  now: datetime | None = None) -> bytes:
    """Build the feed: one all-day event per deadline, each with a display alarm a week ahead.

    ``now`` (timezone-aware; the current time if omitted) stamps every event, so equal inputs
    and an equal ``now`` give the same bytes. A deadline listed twice appears once.
    """
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    stamp = now.astimezone(UTC).replace(microsecond=0)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _text(calendar_name))
    calendar.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))

    seen = set()
    for deadline in sorted(deadlines, key=lambda d: (d.due_on, d.vendor_name, d.key)):
        uid = event_uid(deadline)
        if uid not in seen:
            seen.add(uid)
            calendar.add_component(_event(deadline, uid, stamp, base_url))
    return calendar.to_ical()


def event_uid(deadline: Deadline) -> str:
    """Name the event for good: the same deadline on the same date keeps the same UID."""
    return f"{deadline.key}-{deadline.due_on:%Y%m%d}@riskapp"


def _event(deadline: Deadline, uid: str, stamp: datetime, base_url: str) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", deadline.due_on)
    event.add("dtend", deadline.due_on + timedelta(days=1))  # all-day: the end is exclusive
    event.add("summary", _text(deadline.title))
    event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
    link = vendor_url(base_url, deadline.vendor_id) if base_url else ""
    description = "\n".join(part for part in (_text(deadline.detail), link) if part)
    if description:
        event.add("description", description)
    if link:
        event.add("url", link)

    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", _text(deadline.title))
    alarm.add("trigger", -ALARM_BEFORE)
    event.add_component(alarm)
    return event


def _text(value: str) -> str:
    """Keep line breaks (icalendar escapes them as \\n) and drop every other control character."""
    return _CONTROL.sub("", _LINE_BREAK.sub("\n", value))
