"""A vendor's BAA from missing to approved, in a real browser.

The officer adds a PHI vendor, whose BAA is missing, so approving it for PHI is refused; they
record the signed BAA's terms, upload the signed PDF, whose clause checklist comes back filled
from its text with the one provision it lacks marked "not found", confirm that, approve the
vendor for PHI, and find the BAA's expiry on the deadlines page and in their calendar feed.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import Browser, Page, expect

from tests.agreements.documents import COMPLETE_BAA, baa_pdf
from tests.e2e.conftest import LiveApp
from tests.e2e.officer_pages import VENDOR, add_email_vendor, new_page, sign_in

WITHOUT_AUDIT_RIGHT = [(heading, paragraphs) for heading, paragraphs in COMPLETE_BAA
                       if heading != "9. Audit"]


def test_a_phi_vendor_is_approved_only_once_its_signed_baa_is_recorded(
    chromium: Browser, live_app: LiveApp
) -> None:
    today = date.today()
    officer = new_page(chromium, live_app)
    sign_in(officer, live_app)
    add_email_vendor(officer)
    panel = officer.locator("#agreement")
    expect(panel.get_by_text("BAA: Required but missing")).to_be_visible()
    expect(panel).to_contain_text("the vendor must report by "
                                  f"{(today + timedelta(days=60)).isoformat()}")

    panel.get_by_role("link", name=re.compile("BAA and contract details")).click()
    approve_for_phi(officer)
    expect(officer.get_by_text(re.compile(r"only with a signed BAA in force"))).to_be_visible()

    record_signed_baa(officer, effective=today - timedelta(days=30),
                      expires=today + timedelta(days=20))
    expect(officer.get_by_text("BAA: Signed").first).to_be_visible()
    expect(officer.get_by_text(
        f"report due by {(today + timedelta(days=10)).isoformat()}")).to_be_visible()

    upload_signed_baa(officer)
    audit_row = officer.get_by_role("row", name=re.compile("Covered entity's right to audit"))
    expect(audit_row.get_by_text("Not found")).to_be_visible()
    subcontractor_row = officer.get_by_role("row", name=re.compile("Subcontractors bound"))
    expect(subcontractor_row).to_contain_text("agree in writing to the same restrictions")
    audit_row.get_by_label("Verdict").select_option(label="Absent")
    officer.get_by_role("button", name="Save verdicts").click()
    expect(officer.get_by_text("Recorded 1 clause verdict(s).")).to_be_visible()

    approve_for_phi(officer)
    expect(officer.get_by_text("Recorded: Approved for PHI.")).to_be_visible()

    officer.get_by_role("navigation", name="Main").get_by_role("link", name="Deadlines").click()
    expect(officer.locator("#upcoming").get_by_role("row", name=re.compile(
        f"BAA expires.*{VENDOR}"))).to_contain_text("in 20 days")
    officer.get_by_role("button", name="Make a feed address").click()
    feed_url = officer.get_by_label("Calendar feed address").input_value()
    feed = officer.request.get(feed_url)
    assert feed.headers["content-type"].startswith("text/calendar")
    assert f"SUMMARY:BAA expires: {VENDOR}" in feed.text()


def approve_for_phi(page: Page) -> None:
    decision = page.locator("#approval")
    decision.get_by_label("Decision").select_option(label="Approved for PHI")
    decision.get_by_label("Reason").fill("Signed BAA with a 10-day breach notice window.")
    decision.get_by_role("button", name="Record decision").click()


def record_signed_baa(page: Page, *, effective: date, expires: date) -> None:
    page.get_by_role("link", name="Edit BAA and contract").click()
    page.get_by_label("BAA status").select_option(label="Signed")
    page.get_by_label("Effective from").fill(effective.isoformat())
    page.get_by_label("Expires on").fill(expires.isoformat())
    page.get_by_label("Breach notification window (days)").fill("10")
    page.get_by_label("Services the BAA covers").fill("Hosted email")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(f"Saved the BAA and contract of {VENDOR}.")).to_be_visible()


def upload_signed_baa(page: Page) -> None:
    page.get_by_label("Signed BAA (PDF)").set_input_files(files=[{
        "name": "northwind-baa-signed.pdf", "mimeType": "application/pdf",
        "buffer": baa_pdf(WITHOUT_AUDIT_RIGHT)}])
    page.get_by_role("button", name=re.compile("signed BAA$")).click()
    expect(page.get_by_text(re.compile("The clause checklist below was filled"))).to_be_visible()
