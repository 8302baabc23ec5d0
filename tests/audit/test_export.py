"""The audit log's CSV export: the filtered events, safe to open in a spreadsheet."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from riskapp.audit import search
from riskapp.vendors.models import Vendor
from tests.audit.pages import EXPORT_HEADER, csv_rows, link_href


@pytest.fixture
def admin(login_as: Callable[..., FlaskClient]) -> FlaskClient:
    return login_as("admin")


def exported(client: FlaskClient, query: str = "") -> list[dict[str, str]]:
    """Return the exported events as dicts keyed by the header row."""
    response = client.get(f"/admin/audit/export.csv{query}")
    assert response.status_code == 200
    header, *rows = csv_rows(response.data)
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_export_is_a_csv_download(admin: FlaskClient) -> None:
    response = admin.get("/admin/audit/export.csv")

    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["Content-Disposition"].endswith('.csv"')


def test_export_starts_with_a_header_row(admin: FlaskClient) -> None:
    response = admin.get("/admin/audit/export.csv")

    assert csv_rows(response.data)[0] == EXPORT_HEADER


def test_export_holds_every_column_of_an_event(
    admin: FlaskClient, record_event: Callable[..., int],
) -> None:
    event_id = record_event("Changed criticality", action="vendor.updated",
                            changes={"criticality": {"before": "low", "after": "high"}})

    [row] = exported(admin, "?action=vendor.updated")

    assert row["id"] == str(event_id)
    assert row["actor"] == "system"
    assert row["summary"] == "Changed criticality"
    assert row["changes"] == '{"criticality": {"after": "high", "before": "low"}}'
    assert len(row["previous_hash"]) == len(row["entry_hash"]) == 64


def test_export_holds_only_the_filtered_events(
    admin: FlaskClient, record_event: Callable[..., int],
) -> None:
    record_event("Vendor added", action="vendor.created")
    record_event("Vendor changed", action="vendor.updated")
    record_event("Vendor changed again", action="vendor.updated")

    rows = exported(admin, "?action=vendor.updated")

    assert [row["summary"] for row in rows] == ["Vendor changed again", "Vendor changed"]


def test_export_link_on_the_page_carries_the_filters(
    admin: FlaskClient, record_event: Callable[..., int],
) -> None:
    record_event("Vendor added", action="vendor.created")
    record_event("Vendor changed", action="vendor.updated")

    page = admin.get("/admin/audit/?action=vendor.updated").get_data(as_text=True)
    response = admin.get(link_href(page, "Export CSV"))

    header, *rows = csv_rows(response.data)
    assert [row[header.index("summary")] for row in rows] == ["Vendor changed"]


@pytest.mark.parametrize("name", ["=cmd()", "+cmd()", "-cmd()", "@cmd()"])
def test_export_neutralises_cells_a_spreadsheet_would_run(
    admin: FlaskClient, make_vendor: Callable[..., Vendor], name: str,
) -> None:
    make_vendor(name)

    [row] = exported(admin, "?action=vendor.created")

    assert row["object"] == "'" + name
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row.values())


def test_a_log_longer_than_one_batch_is_exported_whole_in_order(
    admin: FlaskClient, record_event: Callable[..., int], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(search, "EXPORT_BATCH", 2)
    recorded = [record_event(f"Event {number}", action="test.batch") for number in range(5)]

    rows = exported(admin, "?action=test.batch")

    assert [int(row["id"]) for row in rows] == sorted(recorded, reverse=True)
