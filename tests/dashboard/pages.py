"""Read the dashboard the way a person does: a panel's text, and the rows of its tables."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser


def text_of(fragment: str) -> str:
    """The fragment's text as a reader sees it: tags gone, entities decoded, spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def panel(page: str, panel_id: str) -> str:
    """The HTML of the dashboard panel ``panel_id``."""
    match = re.search(rf'<section class="panel" id="{panel_id}">(.*?)</section>', page, re.S)
    assert match, f"the dashboard has no {panel_id} panel"
    return match.group(1)


def panel_text(page: str, panel_id: str) -> str:
    return text_of(panel(page, panel_id))


@dataclass
class Row:
    part: str  # "thead", "tbody", "tfoot", or "" for a table without them
    cells: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


class _Rows(HTMLParser):
    """Each table row's cell texts (header cells included) and the links in it."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Row] = []
        self._part = ""
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("thead", "tbody", "tfoot"):
            self._part = tag
        elif tag == "tr":
            self.rows.append(Row(self._part))
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "a" and self.rows:
            self.rows[-1].links.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("thead", "tbody", "tfoot"):
            self._part = ""
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].cells.append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def rows(page: str, panel_id: str, part: str = "tbody") -> list[Row]:
    """The rows of the tables in a panel, in ``part`` ("thead", "tbody", "tfoot" or "" for
    tables without those)."""
    parser = _Rows()
    parser.feed(panel(page, panel_id))
    return [row for row in parser.rows if row.part == part]


def table(page: str, panel_id: str) -> dict[str, list[str]]:
    """A panel's two-column (or wider) table as {first cell: the other cells}."""
    return {row.cells[0]: row.cells[1:] for row in rows(page, panel_id, "")}
