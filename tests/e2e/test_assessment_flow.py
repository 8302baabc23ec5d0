"""An assessment from start to finish, in a real browser.

The officer signs in, adds an email vendor and starts an assessment; the vendor, with nothing
but the share link, answers the email vendor questionnaire (a follow-up question appears as
they answer, their answers save as they type and are still there when they come back), attaches
their audit report and submits; the officer asks about one answer, the vendor changes it and
submits again, and the officer completes the assessment with a recorded score.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Dialog, Locator, Page, expect

from riskapp.questionnaires.answers import Answer
from riskapp.questionnaires.loader import load_directory
from riskapp.questionnaires.sample_answers import least_risky_answers as ideal_answers
from tests.e2e.conftest import QUESTIONNAIRES, LiveApp
from tests.e2e.officer_pages import RESPONDENT, VENDOR, add_email_vendor, new_page, sign_in
from tests.e2e.questionnaire_pages import (
    Upload,
    answer_every_section,
    choose,
    open_section,
    question,
    save_and_continue,
    type_answer,
)

ACCESS_SECTION = "Access to mailboxes and the admin console"
ASSESSMENTS_SECTION = "Independent assessments"
# The answers this story turns on; every other question gets its least risky answer.
STORY = {
    "mfa_required": Answer("everyone"),  # brings up "Which second factors can be used?"
    "mfa_methods": Answer(["security_key"]),
    "session_timeout_minutes": Answer(30),  # the answer the officer asks about
    "assessments_held": Answer(["soc2_type2"]),  # asks for the report itself
    "uses_subprocessors": Answer("no"),  # no table of subprocessors to fill in row by row
}
REPORT = Upload("northwind-soc2-type2-2026.pdf",
                b"%PDF-1.7\n% SOC 2 Type II report, 2026\n%%EOF\n", "application/pdf")
ASKED = "Is the 30-minute sign-out enforced for administrators too?"


def test_an_assessment_goes_from_the_officer_to_the_vendor_and_back_to_completion(
    chromium: Browser, live_app: LiveApp
) -> None:
    questionnaire = load_directory(QUESTIONNAIRES).questionnaires["email-vendor"]
    answers = ideal_answers(questionnaire, STORY)

    officer = new_page(chromium, live_app)
    sign_in(officer, live_app)
    add_email_vendor(officer)
    link = start_assessment(officer)
    officer.get_by_role("link", name="Go to the assessment").click()
    expect(officer).to_have_url(re.compile(r"/assessments/\d+$"))
    assessment_url = officer.url

    # The vendor has no account: the link, in a browser that has never seen riskapp.
    vendor = open_link(chromium, live_app, link)
    open_section(vendor, ACCESS_SECTION)
    second_factors = question(vendor, "mfa_methods")
    expect(second_factors).to_be_hidden()
    choose(vendor, "mfa_required", "everyone")
    expect(second_factors).to_be_visible()
    choose(vendor, "mfa_methods", "security_key")
    type_answer(vendor, "session_timeout_minutes", "30")
    wait_for_autosave(vendor, "mfa_required", "mfa_methods", "session_timeout_minutes")
    vendor.context.close()  # gone without pressing a button

    # Back later, in another browser: the answers are there.
    vendor = open_link(chromium, live_app, link)
    open_section(vendor, ACCESS_SECTION)
    expect(answer_input(vendor, "mfa_required", "everyone")).to_be_checked()
    expect(question(vendor, "mfa_methods")).to_be_visible()
    expect(answer_input(vendor, "mfa_methods", "security_key")).to_be_checked()
    expect(answer_input(vendor, "session_timeout_minutes")).to_have_value("30")

    to_overview(vendor)
    answer_every_section(vendor, questionnaire, answers, {"assessment_report": REPORT})
    to_overview(vendor)
    open_section(vendor, ASSESSMENTS_SECTION)
    expect(question(vendor, "assessment_report").get_by_role("link", name=REPORT.name)) \
        .to_be_visible()
    to_overview(vendor)
    submit_answers(vendor)
    vendor.context.close()

    # The officer reads the answers and the report, and asks about one answer.
    officer.goto(assessment_url)
    expect(officer.locator("#status")).to_have_text("Submitted")
    report_question = questionnaire.by_id["assessment_report"].text
    expect(answer_row(officer, report_question)).to_contain_text(REPORT.name)
    timeout_question = questionnaire.by_id["session_timeout_minutes"].text
    expect(answer_row(officer, timeout_question)).to_contain_text("30 minutes")
    officer.get_by_role("textbox", name=f"Ask about: {timeout_question}").fill(ASKED)
    officer.get_by_role("button", name="Ask the vendor to clarify").click()
    expect(officer.locator("#status")).to_have_text("Clarification requested")

    # Through the same link, the vendor sees the question and changes that answer.
    vendor = open_link(chromium, live_app, link)
    expect(vendor.get_by_text("The privacy office asks you to clarify 1 answer(s)")) \
        .to_be_visible()
    open_section(vendor, ACCESS_SECTION)
    expect(vendor.get_by_text(f"The privacy office asks: {ASKED}")).to_be_visible()
    type_answer(vendor, "session_timeout_minutes", "15")
    save_and_continue(vendor)
    to_overview(vendor)
    submit_answers(vendor)
    vendor.context.close()

    # The officer accepts: the answers lock and the score is recorded.
    officer.goto(assessment_url)
    expect(officer.locator("#status")).to_have_text("Submitted")
    expect(answer_row(officer, timeout_question)).to_contain_text(f"{ASKED} (answered)")
    expect(answer_row(officer, timeout_question)).to_contain_text("15 minutes")
    asked: list[str] = []
    officer.once("dialog", lambda dialog: accept(dialog, asked))
    officer.get_by_role("button", name="Accept and complete").click()
    expect(officer.locator("#status")).to_have_text("Completed")
    assert asked == ["Lock the answers and record the score?"]
    expect(officer.locator("dt:text-is('Recorded score') + dd")).to_have_text(
        re.compile(r"^\d+ / 100"))


# --- the officer's steps -------------------------------------------------------------------------
def start_assessment(page: Page) -> str:
    """Start an assessment from the vendor's page; return the share link it shows once."""
    page.get_by_role("link", name="Start an assessment").click()
    expect(page.get_by_label(re.compile(r"^Email vendor questionnaire"))).to_be_checked()
    expect(page.get_by_label("Vendor respondent's name")).to_have_value(RESPONDENT)
    page.get_by_role("button", name="Create and send the link").click()
    share_link = page.locator("#share-link")
    expect(share_link).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+/r/[\w-]{43,}$"))
    return share_link.input_value()


def answer_row(page: Page, question_text: str) -> Locator:
    """The row of the assessment page that shows one question and its answer."""
    return page.locator("table.answers tr").filter(has_text=question_text)


def accept(dialog: Dialog, messages: list[str]) -> None:
    messages.append(dialog.message)
    dialog.accept()


# --- the vendor's steps --------------------------------------------------------------------------
def open_link(chromium: Browser, live_app: LiveApp, link: str) -> Page:
    page = new_page(chromium, live_app)
    page.goto(link)
    expect(page.get_by_role("heading", name=f"Security and privacy questionnaire: {VENDOR}")) \
        .to_be_visible()
    assert "/r/" not in page.url, "the link's token must leave the address bar"
    return page


def to_overview(page: Page) -> None:
    page.get_by_role("link", name=f"{VENDOR}: all sections").click()
    expect(page.get_by_role("link", name=ACCESS_SECTION)).to_be_visible()


def answer_input(page: Page, question_id: str, value: str | None = None) -> Locator:
    field = f'[name="{question_id}"]' + (f'[value="{value}"]' if value else "")
    return question(page, question_id).locator(field)


def wait_for_autosave(page: Page, *question_ids: str) -> None:
    """Wait until the server holds these answers, as the page shows it.

    Each autosave replies with the revision of every answer it stored, which the page keeps
    in its ``revisions`` field, and then says "Saved at ..."; an earlier save of only some of
    the answers says so too, hence the revisions.
    """
    revisions = page.locator('input[name="revisions"]')
    for question_id in question_ids:
        expect(revisions).to_have_value(re.compile(f'"{question_id}"'))
    expect(page.locator("#autosave-status")).to_have_text(
        re.compile(r"^Saved at \d\d:\d\d:\d\d\.$"))


def submit_answers(page: Page) -> None:
    page.get_by_role("link", name="Review and submit").click()
    expect(page.get_by_role("heading", name="Review and submit")).to_be_visible()
    assert page.locator("main li").all_inner_texts() == [], "questions still need attention"
    page.get_by_label("Your name").fill(RESPONDENT)
    page.get_by_label("Your title").fill("Chief Information Security Officer")
    page.get_by_label(re.compile("The answers are ready")).check()
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_text("Your answers were submitted")).to_be_visible()
