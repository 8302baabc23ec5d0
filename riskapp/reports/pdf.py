"""What every riskapp PDF shares: embedded fonts, escaped text, styles, and the page header.

Reportlab paragraphs read their text as markup, so vendor-supplied text goes through
:func:`text` (escaped, and each run of characters the main font lacks set in the fallback
font) and never into a :class:`Paragraph` raw. Fonts are TrueType files installed on the
machine, embedded (subset) in the PDF, so accents and, with a CJK font installed, Chinese,
Japanese and Korean names print and stay extractable.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

BODY, BOLD, FALLBACK = "RiskSans", "RiskSans-Bold", "RiskCJK"
# Debian packages: fonts-dejavu-core (Latin, Greek, Cyrillic) and fonts-wqy-microhei (CJK;
# Noto CJK is CFF-flavoured OpenType, which reportlab cannot embed).
BODY_FILES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
              "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf")
BOLD_FILES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
              "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf")
FALLBACK_FILES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
                  "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN  # of the text on a page
CELL_LIMIT = 400  # characters of one table cell: a row taller than a page cannot split
INK, MUTED = colors.HexColor("#1f2933"), colors.HexColor("#52606d")
RULE = colors.HexColor("#cbd2d9")
TIER_COLOURS = {"low": colors.HexColor("#2f855a"), "moderate": colors.HexColor("#b7791f"),
                "high": colors.HexColor("#c05621"), "critical": colors.HexColor("#c53030")}


class FontMissing(RuntimeError):
    """No TrueType font for report text is installed."""


@dataclass(frozen=True)
class Fonts:
    body: str
    bold: str
    fallback: str | None  # for characters the body font lacks (CJK), when one is installed
    body_chars: frozenset[int]
    fallback_chars: frozenset[int]


def _first(paths: Iterable[str]) -> Path | None:
    return next((Path(p) for p in paths if Path(p).is_file()), None)


@cache
def fonts() -> Fonts:
    """Register the report fonts once. :raises FontMissing: with no usable font installed."""
    body, bold = _first(BODY_FILES), _first(BOLD_FILES)
    if body is None:
        raise FontMissing("no TrueType font for reports: install fonts-dejavu-core")
    body_font = TTFont(BODY, str(body))
    pdfmetrics.registerFont(body_font)
    pdfmetrics.registerFont(TTFont(BOLD, str(bold or body)))
    pdfmetrics.registerFontFamily(BODY, normal=BODY, bold=BOLD, italic=BODY, boldItalic=BOLD)
    fallback, fallback_chars = None, frozenset[int]()
    extra = _first(FALLBACK_FILES)
    if extra is not None:
        font = TTFont(FALLBACK, str(extra), subfontIndex=0)
        pdfmetrics.registerFont(font)
        pdfmetrics.registerFontFamily(FALLBACK, normal=FALLBACK, bold=FALLBACK,
                                      italic=FALLBACK, boldItalic=FALLBACK)
        fallback, fallback_chars = FALLBACK, frozenset(font.face.charToGlyph)
    return Fonts(BODY, BOLD, fallback, frozenset(body_font.face.charToGlyph), fallback_chars)


def runs(value: str) -> list[tuple[str | None, str]]:
    """Split ``value`` into runs: ``(None, text)`` for the body font, ``(fallback, text)``
    for characters only the fallback font has."""
    found = fonts()
    if value.isascii():  # nearly every value; the body font has every printable ASCII one
        return [(None, value)] if value else []
    result: list[tuple[str | None, str]] = []
    for char in value:
        use = (found.fallback if found.fallback and ord(char) not in found.body_chars
               and ord(char) in found.fallback_chars else None)
        if result and result[-1][0] == use:
            result[-1] = (use, result[-1][1] + char)
        else:
            result.append((use, char))
    return result


def text(value: object) -> str:
    """``value`` as paragraph markup that prints literally: escaped, line breaks kept."""
    parts = []
    for font, chunk in runs("" if value is None else str(value)):
        escaped = escape(chunk).replace("\n", "<br/>")
        parts.append(f'<font name="{font}">{escaped}</font>' if font else escaped)
    return "".join(parts)


def shorten(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def app_version() -> str:
    try:
        return version("riskapp")
    except PackageNotFoundError:
        return "unknown"


@cache
def styles() -> dict[str, ParagraphStyle]:
    fonts()
    base = ParagraphStyle("body", fontName=BODY, fontSize=9.5, leading=12.5, textColor=INK,
                          spaceAfter=3)
    return {
        "body": base,
        "small": ParagraphStyle("small", base, fontSize=8, leading=10, textColor=MUTED),
        "cell": ParagraphStyle("cell", base, fontSize=8.5, leading=10.5, spaceAfter=0),
        "title": ParagraphStyle("title", base, fontName=BOLD, fontSize=24, leading=30,
                                alignment=TA_CENTER, spaceAfter=10),
        "subtitle": ParagraphStyle("subtitle", base, fontSize=12, leading=16,
                                   alignment=TA_CENTER, textColor=MUTED, spaceAfter=6),
        "h1": ParagraphStyle("h1", base, fontName=BOLD, fontSize=15, leading=19,
                             spaceBefore=6, spaceAfter=8),
        "h2": ParagraphStyle("h2", base, fontName=BOLD, fontSize=11.5, leading=15,
                             spaceBefore=8, spaceAfter=4),
        "h3": ParagraphStyle("h3", base, fontName=BOLD, fontSize=9.5, leading=12.5,
                             spaceBefore=5, spaceAfter=2),
        "question": ParagraphStyle("question", base, fontName=BOLD, spaceBefore=5,
                                   spaceAfter=1),
        "indent": ParagraphStyle("indent", base, leftIndent=10, spaceAfter=1),
    }


def para(value: object, style: str = "body", *, markup: str = "") -> Paragraph:
    """A paragraph of ``value`` printed literally, after ``markup`` (our own, trusted)."""
    return Paragraph(markup + text(value), styles()[style])


def table(rows: list[list[object]], widths: list[float], *, header: bool = True) -> Table:
    """A ruled table of ``rows``, each cell printed literally (and cut to ``CELL_LIMIT``)."""
    cells = [[c if isinstance(c, Flowable) else para(shorten(str(c), CELL_LIMIT), "cell")
              for c in row] for row in rows]
    result = Table(cells, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    result.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        *([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f6"))] if header else []),
    ]))
    return result


def draw_text(canvas: Canvas, x: float, y: float, value: str, size: float, *,
              right: bool = False) -> None:
    """Draw ``value`` on one line, switching to the fallback font where the body lacks a glyph."""
    pieces = [(font or BODY, chunk) for font, chunk in runs(value)]
    width = sum(pdfmetrics.stringWidth(chunk, font, size) for font, chunk in pieces)
    x = x - width if right else x
    for font, chunk in pieces:
        canvas.setFont(font, size)
        canvas.drawString(x, y, chunk)
        x += pdfmetrics.stringWidth(chunk, font, size)


def numbered_canvas(subject: str, generated: dt.datetime) -> type[Canvas]:
    """A canvas class that heads every page with ``subject``, the date, the riskapp version
    and "page N of M" (pages are kept until the end, when M is known)."""
    stamp = f"{generated:%Y-%m-%d %H:%M} UTC · riskapp {app_version()}"
    heading = shorten(subject, 70)

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._header(total)
                super().showPage()
            super().save()

        def _header(self, total: int) -> None:
            width, height = self._pagesize
            top = height - 11 * mm
            self.setFillColor(MUTED)
            draw_text(self, MARGIN, top, heading, 8)
            draw_text(self, width - MARGIN, top, f"page {self._pageNumber} of {total}", 8,
                      right=True)
            draw_text(self, MARGIN, 10 * mm, stamp, 7)
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN, top - 2.5 * mm, width - MARGIN, top - 2.5 * mm)

    return NumberedCanvas


def render(story: list[Flowable], *, title: str, subject: str, generated: dt.datetime) -> bytes:
    """Lay ``story`` out on A4 pages headed with ``subject``; return the PDF's bytes."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=22 * mm,
        bottomMargin=18 * mm, title=title, author="riskapp", creator=f"riskapp {app_version()}",
        invariant=False,
        initialFontName=BODY)  # not Helvetica: name no font the PDF does not embed
    document.build(story, canvasmaker=numbered_canvas(subject, generated))
    return buffer.getvalue()
