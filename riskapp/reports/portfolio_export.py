"""The portfolio's data as CSV and XLSX, for leadership's own spreadsheets.

Vendor names, score explanations and deadline details come from vendors and officers, so no
text cell may run as a formula: in CSV such a cell gets a leading apostrophe (as the vendor
export does); in XLSX it is written as a string cell, which a spreadsheet shows as typed and
never evaluates.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from riskapp.dashboard.services import RiskTier
from riskapp.reports.portfolio import Portfolio
from riskapp.spreadsheet_safety import FORMULA_PREFIXES, neutralise_formula

Cell = str | int | float | None
VENDOR_COLUMNS = ("vendor_id", "name", "category", "criticality", "status", "phi", "tier",
                  "score", "scored_at", "score_at_quarter_start", "change_since_quarter_start",
                  "baa", "overdue_assessments", "baa_note", "baa_expires_on",
                  "decision_needs_attention")
RISK_COLUMNS = ("points", "vendor_id", "vendor", "tier", "risk", "why", "source", "reference")
DEADLINE_COLUMNS = ("due_on", "days_left", "what", "vendor_id", "vendor", "detail")


def vendor_rows(report: Portfolio) -> Iterator[tuple[Cell, ...]]:
    """One row per working vendor, by name, under a header."""
    yield VENDOR_COLUMNS
    for v in report.vendors:
        yield (v.vendor_id, v.name, v.category, v.criticality, v.status, v.phi,
               RiskTier(v.tier).label, v.score,
               v.scored_at.strftime("%Y-%m-%d %H:%M") if v.scored_at else None,
               v.previous_score, v.change, v.baa, v.overdue_assessments, v.baa_note,
               v.baa_state.expires_on.isoformat() if v.baa_state.expires_on else None,
               v.standing.why if v.standing.needs_attention else None)


def risk_rows(report: Portfolio) -> Iterator[tuple[Cell, ...]]:
    """The top risks across vendors, largest first, under a header."""
    yield RISK_COLUMNS
    for r in report.top_risks:
        yield (round(r.points, 2), r.vendor_id, r.vendor_name, r.tier, r.label, r.detail,
               r.source, r.reference)


def deadline_rows(report: Portfolio) -> Iterator[tuple[Cell, ...]]:
    """The overdue deadlines, then those due in the report's horizon, under a header."""
    yield DEADLINE_COLUMNS
    for d in [*report.deadlines.overdue, *report.deadlines.upcoming]:
        yield (d.due_on.isoformat(), d.days_left(report.today), d.kind.label, d.vendor_id,
               d.vendor_name, d.detail)


def portfolio_csv(report: Portfolio) -> str:
    """The vendors' rows as CSV text, text cells a spreadsheet would run made inert."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in vendor_rows(report):
        writer.writerow(["" if c is None else neutralise_formula(c) if isinstance(c, str)
                         else c for c in row])
    return buffer.getvalue()


def portfolio_xlsx(report: Portfolio) -> bytes:
    """A workbook with "Vendors", "Top risks" and "Deadlines" sheets."""
    book = Workbook()
    vendors = book.active
    assert vendors is not None  # noqa: S101 (a new workbook always has a sheet)
    vendors.title = "Vendors"
    _fill(vendors, vendor_rows(report))
    _fill(book.create_sheet("Top risks"), risk_rows(report))
    _fill(book.create_sheet("Deadlines"), deadline_rows(report))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _fill(sheet: Worksheet, rows: Iterator[tuple[Cell, ...]]) -> None:
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES):
                cell.data_type = "s"  # openpyxl took it for a formula: keep it text
    sheet.freeze_panes = "A2"
