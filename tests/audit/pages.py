"""Read the audit log page the way a person does: the rows of its table, and its links."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser

EXPORT_HEADER = [
    "id", "occurred_at", "actor", "action", "object_type", "object_id", "object",
    "summary", "changes", "ip_address", "previous_hash", "entry_hash",
]


@dataclass(frozen=True)
class AuditRow:
    when: str
    who: str
    action: str
    object: str
    summary: str
    ip: str
    changes: tuple[str, ...]


class _TableBody(HTMLParser):
    """Collect each body row's cell texts, keeping the list of changes apart from the summary."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[list[str], list[str]]] = []
        self._in_body = False
        self._cell: list[str] | None = None
        self._in_changes = False
        self._change: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "tr":
            self.rows.append(([], []))
        elif self._in_body and tag == "td":
            self._cell = []
        elif self._cell is not None and tag in ("details", "ul"):
            self._in_changes = True
        elif self._in_changes and tag == "li":
            self._change = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_body = False
        elif tag == "li" and self._change is not None:
            self.rows[-1][1].append(_squash(self._change))
            self._change = None
        elif tag == "td" and self._cell is not None:
            self.rows[-1][0].append(_squash(self._cell))
            self._cell = None
            self._in_changes = False

    def handle_data(self, data: str) -> None:
        if self._change is not None:
            self._change.append(data)
        elif self._cell is not None and not self._in_changes:
            self._cell.append(data)


def _squash(parts: list[str]) -> str:
    return " ".join("".join(parts).split())


def audit_rows(html: str) -> list[AuditRow]:
    """Return the events the page lists, top to bottom (none for the "No events" row)."""
    parser = _TableBody()
    parser.feed(html)
    return [AuditRow(*cells, changes=tuple(changes))
            for cells, changes in parser.rows if len(cells) == 6]


def summaries(html: str) -> list[str]:
    """Return the summary of each listed event, top to bottom."""
    return [row.summary for row in audit_rows(html)]


def link_href(html: str, text: str) -> str:
    """Return the target of the link whose text starts with ``text``."""
    match = re.search(r'<a\b[^>]*\bhref="([^"]*)"[^>]*>\s*' + re.escape(text), html)
    assert match, f"no link reading {text!r}"
    return unescape(match.group(1))


def csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
