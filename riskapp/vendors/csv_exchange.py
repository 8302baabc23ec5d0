"""Vendor inventory to and from CSV, as spreadsheets and other tools exchange it.

Import is all or nothing: every row is checked with the same form the web page uses, and if
any row is wrong nothing is imported and every problem is listed by row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from riskapp.accounts.models import User
from riskapp.audit import services as audit
from riskapp.spreadsheet_safety import FORMULA_PREFIXES, neutralise_formula
from riskapp.vendors import services
from riskapp.vendors.forms import VendorForm
from riskapp.vendors.models import Vendor, vendor_name_key

COLUMNS = (
    "name", "primary_domain", "other_domains", "category", "services",
    "stores_phi", "processes_phi", "transmits_phi", "criticality", "status",
    "business_owner", "contact_name", "contact_email", "notes",
)
REQUIRED_COLUMNS = ("name", "primary_domain", "category")
BOOLEAN_COLUMNS = ("stores_phi", "processes_phi", "transmits_phi")
# The form calls the extra domains by their field name.
FORM_FIELD_OF_COLUMN = {"other_domains": "extra_domains"}
UNREADABLE = "\ufffd"
TRUE_WORDS = frozenset({"yes", "y", "true", "1", "x"})
FALSE_WORDS = frozenset({"no", "n", "false", "0", ""})


@dataclass
class RowResult:
    row_number: int  # 1 is the first row under the header
    name: str
    errors: list[str] = field(default_factory=list)
    names_existing_vendor: bool = False


@dataclass(frozen=True)
class PlannedVendor:
    """A checked row: a new vendor, or new details for the existing vendor ``existing_id``."""

    fields: services.VendorFields
    existing_id: int | None = None
    archived: bool = False  # the vendor it updates is archived (it stays archived)


@dataclass
class ImportReport:
    rows: list[RowResult] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    planned: list[PlannedVendor] = field(default_factory=list)
    imported: int = 0
    updated: int = 0

    @property
    def new_count(self) -> int:
        return sum(1 for plan in self.planned if plan.existing_id is None)

    @property
    def update_count(self) -> int:
        return len(self.planned) - self.new_count

    @property
    def ok(self) -> bool:
        return not self.file_errors and all(not row.errors for row in self.rows) and bool(self.rows)

    @property
    def rows_with_errors(self) -> list[RowResult]:
        return [row for row in self.rows if row.errors]


def decode_upload(data: bytes) -> str:
    """Decode a CSV as UTF-8 (with or without BOM), falling back to Excel's Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Bytes Windows-1252 cannot read either become U+FFFD; check_csv refuses those.
        return data.decode("cp1252", errors="replace")


def import_vendors(
    text: str, *, actor: User | None, dry_run: bool, update_existing: bool = False
) -> ImportReport:
    """Check every row of ``text``; unless ``dry_run`` or any row is wrong, apply them all.

    A row naming an existing vendor is an error, unless ``update_existing``: then it replaces
    that vendor's details, so a file exported, edited in a spreadsheet and imported again
    updates the inventory.
    """
    report = check_csv(text, update_existing=update_existing)
    if dry_run or not report.ok:
        return report
    for plan in report.planned:
        existing = services.get_vendor(plan.existing_id) if plan.existing_id else None
        if existing is None:
            services.create_vendor(plan.fields, actor=actor)
            report.imported += 1
        else:
            services.update_vendor(existing, plan.fields, actor=actor)
            report.updated += 1
    summary = f"Imported {report.imported} vendors from CSV"
    if report.updated:
        summary += f" and updated {report.updated}"
    changes = {"count": report.imported} | ({"updated": report.updated} if report.updated else {})
    audit.record("vendor.imported", actor=actor, summary=summary, changes=changes)
    return report


def check_csv(text: str, *, update_existing: bool = False) -> ImportReport:
    report = ImportReport()
    if UNREADABLE in text:
        report.file_errors.append(
            "Some characters could not be read. Save the file as 'CSV UTF-8' and try again."
        )
        return report
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        report.file_errors.append(
            f"Line {line} holds a NUL character, which no vendor detail may contain. The file "
            "may not be a CSV, or was saved as UTF-16: save it as 'CSV UTF-8' and try again."
        )
        return report
    reader = csv.reader(io.StringIO(text))
    try:
        _check_rows(reader, report, update_existing)
    except csv.Error as error:  # e.g. a quote left open swallows the rest of the file
        report.file_errors.append(f"Line {reader.line_num} is not valid CSV: {error}.")
    return report


def _check_rows(reader: Iterator[list[str]], report: ImportReport, update_existing: bool) -> None:
    header = next(reader, None)
    if header is None:
        report.file_errors.append("The file is empty.")
        return
    columns = [_column_key(name) for name in header]
    # Spreadsheets often save empty trailing columns; a blank heading is no column at all.
    unknown = [
        name for name, key in zip(header, columns, strict=True) if key and key not in COLUMNS
    ]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if unknown:
        report.file_errors.append(
            f"Unknown column(s): {', '.join(unknown)}. Expected: {', '.join(COLUMNS)}."
        )
    if missing:
        report.file_errors.append(f"Missing required column(s): {', '.join(missing)}.")
    if report.file_errors:
        return
    existing_ids = services.vendor_ids_by_name_key()
    names_seen: dict[str, int] = {}
    for number, cells in enumerate(reader, start=1):
        if not any(cell.strip() for cell in cells):
            continue
        row = {key: cell for key, cell in zip(columns, cells, strict=False) if key}
        result = RowResult(number, row.get("name", "").strip())
        report.rows.append(result)
        if len(cells) > len(columns):
            result.errors.append(f"has {len(cells)} cells but the header has {len(columns)}.")
            continue
        key = vendor_name_key(result.name)
        existing_id = existing_ids.get(key)
        # An update changes the columns the file has and keeps the vendor's other details.
        existing = services.get_vendor(existing_id) if existing_id and update_existing else None
        base = _current_details(existing) if existing else {}
        fields = _check_row(row, result, base)
        if fields is None:
            continue
        if key in names_seen:
            result.errors.append(f"name: '{fields.name}' is already in row {names_seen[key]}.")
        elif existing_id is not None and not update_existing:
            result.errors.append(f"name: a vendor named '{fields.name}' already exists.")
            result.names_existing_vendor = True
        names_seen.setdefault(key, number)
        if not result.errors:
            archived = existing is not None and existing.archived_at is not None
            report.planned.append(PlannedVendor(fields, existing_id, archived))
    if not report.rows:
        report.file_errors.append("The file has a header but no vendor rows.")


def _current_details(vendor: Vendor) -> dict[str, str]:
    """Return an existing vendor's details as the form would receive them."""
    data = services.VendorFields.of(vendor).as_form_data()
    return {
        name: "y" if value is True else value
        for name, value in data.items()
        if value is not False
    }


def _check_row(
    row: dict[str, str], result: RowResult, base: dict[str, str]
) -> services.VendorFields | None:
    formdata: MultiDict[str, str] = MultiDict(base)
    for column, value in row.items():
        value = value.strip()
        if column in BOOLEAN_COLUMNS:
            word = value.lower()
            if word in TRUE_WORDS:
                formdata[column] = "y"
            elif word in FALSE_WORDS:
                formdata.pop(column, None)
            else:
                result.errors.append(f"{column}: '{value}' is not yes or no.")
        elif column in ("category", "criticality", "status"):
            if value:
                formdata[column] = value.lower()
        else:
            formdata[FORM_FIELD_OF_COLUMN.get(column, column)] = _undo_neutralise(value)
    form = VendorForm(formdata=formdata, meta={"csrf": False})
    if not form.validate():
        for name, messages in form.errors.items():
            column = next((c for c, f in FORM_FIELD_OF_COLUMN.items() if f == name), name)
            result.errors.extend(f"{column}: {message}" for message in messages)
    if result.errors:
        return None
    return form.to_fields()


def _undo_neutralise(value: str) -> str:
    """Drop the apostrophe the export put before a formula, so an export imports as it was."""
    if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def _column_key(header_cell: str) -> str:
    return header_cell.strip().lower().replace(" ", "_").replace("-", "_")


def export_rows(vendors: Iterable[Vendor]) -> Iterator[list[str]]:
    yield list(COLUMNS)
    for vendor in vendors:
        yield [
            vendor.name,
            vendor.primary_domain,
            " ".join(vendor.extra_domains),
            vendor.category,
            vendor.services,
            *("yes" if getattr(vendor, column) else "no" for column in BOOLEAN_COLUMNS),
            vendor.criticality,
            vendor.status,
            vendor.business_owner,
            vendor.contact_name,
            vendor.contact_email,
            vendor.notes,
        ]


def export_csv(vendors: Iterable[Vendor]) -> str:
    """Return the vendors as CSV text, with cells a spreadsheet would run made inert."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in export_rows(vendors):
        writer.writerow([neutralise_formula(cell) for cell in row])
    return buffer.getvalue()
