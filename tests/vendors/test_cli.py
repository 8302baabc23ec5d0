"""``flask vendors import`` and ``flask vendors export``."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner

from riskapp.database import db
from riskapp.vendors.models import Vendor
from tests.vendors.conftest import vendor_events, vendor_named, vendor_names

GOOD_CSV = (
    "name,primary_domain,category,stores_phi\n"
    "Acme Mail,https://mail.acme.example/,email,yes\n"
    "Zenith Hosting,zenith.example,hosting,no\n"
)
BAD_CSV = (
    "name,primary_domain,category,stores_phi\n"
    "Acme Mail,mail.acme.example,email,yes\n"
    "Bad Domain,localhost,email,no\n"
    "Zenith Hosting,zenith.example,hosting,maybe\n"
)


@pytest.fixture
def csv_file(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str) -> Path:
        path = tmp_path / "vendors.csv"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def test_a_dry_run_imports_nothing_and_says_how_many_rows_are_valid(
    runner: FlaskCliRunner, csv_file: Callable[[str], Path],
) -> None:
    result = runner.invoke(args=["vendors", "import", str(csv_file(GOOD_CSV)), "--dry-run"])

    assert result.exit_code == 0
    assert result.stdout == "2 rows are valid. Nothing imported (dry run).\n"
    assert vendor_names() == []
    assert vendor_events() == []


def test_an_import_adds_every_vendor(
    runner: FlaskCliRunner, csv_file: Callable[[str], Path],
) -> None:
    result = runner.invoke(args=["vendors", "import", str(csv_file(GOOD_CSV))])

    assert result.exit_code == 0
    assert result.stdout == "Imported 2 vendors.\n"
    assert vendor_names() == ["Acme Mail", "Zenith Hosting"]
    acme = vendor_named("Acme Mail")
    assert (acme.primary_domain, acme.stores_phi) == ("mail.acme.example", True)


def test_an_import_is_recorded_as_done_by_the_system(
    runner: FlaskCliRunner, csv_file: Callable[[str], Path],
) -> None:
    runner.invoke(args=["vendors", "import", str(csv_file(GOOD_CSV))])

    imported = vendor_events("vendor.imported")
    assert [(event.actor_id, event.actor_label) for event in imported] == [(None, "system")]


def test_a_bad_file_fails_and_imports_nothing(
    runner: FlaskCliRunner, csv_file: Callable[[str], Path],
) -> None:
    result = runner.invoke(args=["vendors", "import", str(csv_file(BAD_CSV))])

    assert result.exit_code != 0
    assert "Nothing imported: 2 of 3 rows have problems." in result.stderr
    assert vendor_names() == []
    assert vendor_events() == []


def test_a_bad_file_prints_each_problem_with_the_file_and_row(
    runner: FlaskCliRunner, csv_file: Callable[[str], Path],
) -> None:
    path = csv_file(BAD_CSV)

    result = runner.invoke(args=["vendors", "import", str(path)])

    assert result.stderr.splitlines()[:2] == [
        f"{path}: row 2 (Bad Domain): primary_domain: 'localhost' needs a dot and a top-level "
        "domain, such as example.com.",
        f"{path}: row 3 (Zenith Hosting): stores_phi: 'maybe' is not yes or no.",
    ]
    assert result.stdout == ""


def test_a_bad_file_in_a_dry_run_fails_too(
    runner: FlaskCliRunner, csv_file: Callable[[str], Path],
) -> None:
    result = runner.invoke(args=["vendors", "import", str(csv_file(BAD_CSV)), "--dry-run"])

    assert result.exit_code != 0
    assert "row 2 (Bad Domain)" in result.stderr


def test_a_file_with_unknown_columns_fails_naming_them(
    runner: FlaskCliRunner, csv_file: Callable[[str], Path],
) -> None:
    path = csv_file("name,primary_domain,category,fax\nAcme,acme.example,email,1\n")

    result = runner.invoke(args=["vendors", "import", str(path)])

    assert result.exit_code != 0
    assert f"{path}: Unknown column(s): fax." in result.stderr
    assert "Nothing imported." in result.stderr
    assert vendor_names() == []


def test_a_file_that_is_not_valid_csv_fails_naming_the_line(
    runner: FlaskCliRunner, csv_file: Callable[[str], Path],
) -> None:
    path = csv_file('name,primary_domain,category\n"Acme,acme.example,email\n' + "x" * 140_000)

    result = runner.invoke(args=["vendors", "import", str(path)])

    assert result.exit_code == 1
    assert f"{path}: Line 3 is not valid CSV: field larger than field limit" in result.stderr
    assert vendor_names() == []


def test_a_name_already_in_the_inventory_fails_the_import(
    runner: FlaskCliRunner, csv_file: Callable[[str], Path], make_vendor: Callable[..., Vendor],
) -> None:
    make_vendor("zenith hosting")

    result = runner.invoke(args=["vendors", "import", str(csv_file(GOOD_CSV))])

    assert result.exit_code != 0
    assert "row 2 (Zenith Hosting): name: a vendor named" in result.stderr
    assert vendor_names() == ["zenith hosting"]


def test_a_windows_1252_file_is_read(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("name,primary_domain,category\nCafé Santé,cafe.example,email\n".encode(
        "cp1252"
    ))

    result = runner.invoke(args=["vendors", "import", str(path)])

    assert result.exit_code == 0
    assert vendor_names() == ["Café Santé"]


def test_a_missing_file_is_a_usage_error(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["vendors", "import", str(tmp_path / "nowhere.csv")])

    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def parsed(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_export_writes_csv_to_standard_output(
    runner: FlaskCliRunner, make_vendor: Callable[..., Vendor],
) -> None:
    make_vendor("Zenith Hosting", primary_domain="zenith.example")
    make_vendor("Acme Mail", primary_domain="mail.acme.example", notes="=1+1")

    result = runner.invoke(args=["vendors", "export"])

    assert result.exit_code == 0
    rows = parsed(result.stdout)
    assert rows[0][:3] == ["name", "primary_domain", "other_domains"]
    assert [(row[0], row[1], row[-1]) for row in rows[1:]] == [
        ("Acme Mail", "mail.acme.example", "'=1+1"),
        ("Zenith Hosting", "zenith.example", ""),
    ]


def test_export_writes_csv_to_a_file(
    runner: FlaskCliRunner, make_vendor: Callable[..., Vendor], tmp_path: Path,
) -> None:
    make_vendor("Café Santé")
    path = tmp_path / "out.csv"

    result = runner.invoke(args=["vendors", "export", str(path)])

    assert result.exit_code == 0
    assert result.stdout == f"Wrote {path}.\n"
    assert [row[0] for row in parsed(path.read_text(encoding="utf-8"))] == ["name", "Café Santé"]


def test_export_leaves_out_archived_vendors(
    runner: FlaskCliRunner, make_vendor: Callable[..., Vendor],
) -> None:
    make_vendor("Working")
    make_vendor("Archived")
    vendor_named("Archived").archived_at = datetime(2024, 6, 1, tzinfo=UTC)
    db.session.commit()

    result = runner.invoke(args=["vendors", "export"])

    assert [row[0] for row in parsed(result.stdout)] == ["name", "Working"]


def test_a_cli_export_imports_back_through_the_cli(
    runner: FlaskCliRunner, make_vendor: Callable[..., Vendor], tmp_path: Path,
) -> None:
    make_vendor("Acme Mail", primary_domain="mail.acme.example",
                extra_domains=["files.acme.example"], stores_phi=True)
    path = tmp_path / "out.csv"
    runner.invoke(args=["vendors", "export", str(path)])
    vendor_named("Acme Mail").name = "Acme Mail (old)"
    db.session.commit()

    result = runner.invoke(args=["vendors", "import", str(path)])

    assert result.exit_code == 0
    copy = vendor_named("Acme Mail")
    assert (copy.primary_domain, copy.extra_domains, copy.stores_phi) == (
        "mail.acme.example", ["files.acme.example"], True
    )
