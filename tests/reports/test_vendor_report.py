"""The vendor due-diligence PDF: headed, numbered, complete, and never fooled by markup."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient, FlaskCliRunner

from riskapp.access import Role
from riskapp.assessments.models import Assessment
from riskapp.database import db
from riskapp.questionnaires.answers import Answer
from riskapp.reports import pdf
from riskapp.reports.services import vendor_report
from riskapp.reports.vendor_report import vendor_pdf
from riskapp.scans.models import Scan
from riskapp.scoring import services as scoring
from riskapp.vendors.models import Vendor
from tests.reports.conftest import INJECTED, flat, pdf_pages, pdf_text

SECTIONS = ("Executive summary", "The five biggest risks", "Risk by area",
            "Business Associate Agreement", "Domain scan findings", "Questionnaire answers",
            "Recommended remediations", "Appendix: how the score is made")


def test_every_page_is_headed_with_the_vendor_and_numbered(
    make_vendor: Callable[..., Vendor], assessed: Callable[..., Assessment],
) -> None:
    vendor = make_vendor("Northwind Secure Mail", stores_phi=True)
    assessed(vendor)

    pages = pdf_pages(vendor_pdf(vendor_report(vendor)))

    assert len(pages) >= 4
    for number, page in enumerate(pages, start=1):
        assert "Northwind Secure Mail" in page
        assert f"page {number} of {len(pages)}" in page
        assert f"riskapp {pdf.app_version()}" in page


def test_the_report_has_every_section(
    make_vendor: Callable[..., Vendor], assessed: Callable[..., Assessment],
    scanned: Callable[..., Scan],
) -> None:
    vendor = make_vendor(stores_phi=True)
    assessed(vendor)
    scanned(vendor, ("high", "No DMARC policy"))
    scoring.score_vendor(vendor, actor=None, reason="test")
    db.session.commit()

    text = flat(pdf_text(vendor_pdf(vendor_report(vendor))))

    for section in SECTIONS:
        assert section in text
    assert "Status Required but missing" in text  # a PHI vendor with no BAA recorded
    assert "No DMARC policy" in text
    assert "Control 0: is it in place?" in text
    assert "Citation: 45 CFR 164.312(a)(1)" in text
    assert "Put control 0 in place." in text  # a recommended remediation
    assert "inherent.phi_access.stores" in text  # the appendix traces each point


def test_scan_findings_show_evidence_remediation_and_accepted_risk(
    make_vendor: Callable[..., Vendor], scanned: Callable[..., Scan],
) -> None:
    vendor = make_vendor()
    scan = scanned(vendor, ("medium", "Weak TLS"))
    scan.findings[0].evidence = "TLSv1.0 offered on port 443"
    scan.findings[0].remediation = "Turn off TLS 1.0 and 1.1."
    db.session.commit()

    text = flat(pdf_text(vendor_pdf(vendor_report(vendor))))

    assert "Evidence: TLSv1.0 offered on port 443" in text
    assert "Remediation: Turn off TLS 1.0 and 1.1." in text


def test_vendor_supplied_markup_prints_literally(
    make_vendor: Callable[..., Vendor], assessed: Callable[..., Assessment],
) -> None:
    vendor = make_vendor(f"Acme {INJECTED[0]}")
    assessed(vendor, 2, lambda n: Answer(value="yes", comment=INJECTED[n % 2],
                                         evidence=({"name": f"soc2 {INJECTED[1]}.pdf"},)))

    text = flat(pdf_text(vendor_pdf(vendor_report(vendor))))

    assert f"Acme {INJECTED[0]}" in text
    assert f"Comment: {INJECTED[0]}" in text
    assert f"Comment: {INJECTED[1]}" in text
    assert f"soc2 {INJECTED[1]}.pdf" in text


@pytest.mark.parametrize("name", ["Clínica São José Médica", "Zürich Ärzte Œuvre"])
def test_accented_vendor_names_are_extractable(
    make_vendor: Callable[..., Vendor], name: str,
) -> None:
    pages = pdf_pages(vendor_pdf(vendor_report(make_vendor(name))))
    assert all(name in page for page in pages)


def test_cjk_vendor_names_are_extractable_with_a_cjk_font(
    make_vendor: Callable[..., Vendor],
) -> None:
    if pdf.fonts().fallback is None:
        pytest.skip("no CJK TrueType font installed (Debian: fonts-wqy-microhei)")
    name = "東京医療クラウド 株式会社"
    text = pdf_text(vendor_pdf(vendor_report(make_vendor(name))))
    assert name in text


def test_fonts_are_embedded_truetype(make_vendor: Callable[..., Vendor]) -> None:
    content = vendor_pdf(vendor_report(make_vendor("Clínica")))
    assert b"/FontFile2" in content  # an embedded TrueType program
    assert b"+DejaVuSans" in content  # subset, so only the glyphs used travel


def test_a_300_answer_report_is_generated(
    make_vendor: Callable[..., Vendor], assessed: Callable[..., Assessment],
) -> None:
    vendor = make_vendor(stores_phi=True)
    assessed(vendor, 300, lambda n: Answer(
        value="no" if n % 7 == 0 else "yes",
        comment=("A long comment about the control. " * (n % 40)) + INJECTED[n % 2]))

    pages = pdf_pages(vendor_pdf(vendor_report(vendor)))

    text = flat("\n".join(pages))
    assert len(pages) > 20
    assert f"page {len(pages)} of {len(pages)}" in pages[-1]
    assert "Control 299: is it in place?" in text
    if os.environ.get("RISKAPP_REPORT_SAMPLES"):  # look at it: pdftoppm -png -r 60
        Path(os.environ["RISKAPP_REPORT_SAMPLES"], "vendor-300.pdf").write_bytes(
            vendor_pdf(vendor_report(vendor)))


def test_a_vendor_never_scored_gets_a_provisional_rating(
    make_vendor: Callable[..., Vendor],
) -> None:
    text = flat(pdf_text(vendor_pdf(vendor_report(make_vendor(stores_phi=True)))))
    assert "Provisional: the vendor has no stored score" in text
    assert "No completed assessment." in text
    assert "Not scanned" in text


@pytest.mark.parametrize("role", list(Role))
def test_every_role_downloads_the_pdf(
    login_as: Callable[..., FlaskClient], make_vendor: Callable[..., Vendor], role: Role,
) -> None:
    vendor = make_vendor("Ünïcode Vendor")
    response = login_as(role).get(f"/vendors/{vendor.id}/report.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith(
        f'attachment; filename="vendor-{vendor.id}-unicode-vendor-')
    assert "no-store" in response.headers["Cache-Control"]
    assert "Ünïcode Vendor" in pdf_text(response.data)


def test_the_html_report_escapes_vendor_text(
    login_as: Callable[..., FlaskClient], make_vendor: Callable[..., Vendor],
    assessed: Callable[..., Assessment],
) -> None:
    vendor = make_vendor()
    assessed(vendor, 2, lambda n: Answer(value="yes", comment=INJECTED[1]))

    page = login_as(Role.VIEWER).get(f"/vendors/{vendor.id}/report").text

    assert "Executive summary" in page
    assert "&lt;a href=&#34;javascript:alert(1)&#34;&gt;y&lt;/a&gt;" in page
    assert INJECTED[1] not in page


def test_an_unknown_vendor_has_no_report(login_as: Callable[..., FlaskClient]) -> None:
    client = login_as(Role.OFFICER)
    assert client.get("/vendors/999/report.pdf").status_code == 404
    assert client.get("/vendors/999/report").status_code == 404


def test_the_cli_writes_the_pdf(runner: FlaskCliRunner, make_vendor: Callable[..., Vendor],
                                tmp_path: Path) -> None:
    vendor = make_vendor("Cli Vendor")
    out = tmp_path / "report.pdf"

    result = runner.invoke(args=["reports", "vendor", str(vendor.id), "-o", str(out)])

    assert result.exit_code == 0, result.output
    assert "Cli Vendor" in pdf_text(out.read_bytes())


def test_the_cli_refuses_an_unknown_vendor(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["reports", "vendor", "999", "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code != 0
    assert "no vendor with id 999" in result.output
