"""How a vendor fills in a questionnaire page in the browser, question type by question type.

The page shows one section: each question is a ``[data-question]`` block holding radio
buttons, checkboxes, a select, a text or number input, or a file input, and a comment box
folded in ``<details>``. conditions.js shows and hides questions as answers change, so a page
is answered in order, skipping what is hidden at that moment, as a person would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Locator, Page, expect

from riskapp.questionnaires.answers import Answer
from riskapp.questionnaires.definition import Questionnaire, Section
from riskapp.questionnaires.question_types import CommentRule, Question

SAVE_AND_CONTINUE = "Save and continue"


@dataclass(frozen=True)
class Upload:
    """A file as the vendor picks it from their disk."""

    name: str
    content: bytes
    mime_type: str

    def as_payload(self) -> dict[str, Any]:
        return {"name": self.name, "mimeType": self.mime_type, "buffer": self.content}


def open_section(page: Page, title: str) -> None:
    """Follow a section's link, and wait for the page's scripts: an answer given before they
    run would neither show the questions it leads to nor be saved as typed."""
    page.get_by_role("link", name=title, exact=True).click()
    page.wait_for_load_state("load")


def question(page: Page, question_id: str) -> Locator:
    return page.locator(f'[data-question="{question_id}"]')


def choose(page: Page, question_id: str, *choice_ids: str) -> None:
    """Tick a radio button, or each of several checkboxes."""
    block = question(page, question_id)
    for choice_id in choice_ids:
        block.locator(f'input[name="{question_id}"][value="{choice_id}"]').check()


def type_answer(page: Page, question_id: str, text: str) -> None:
    question(page, question_id).locator(f'[name="{question_id}"]').fill(text)


def write_comment(page: Page, question_id: str, text: str) -> None:
    block = question(page, question_id)
    box = block.locator(f'textarea[name="{question_id}__comment"]')
    if not box.is_visible():
        block.locator("details.comment > summary").click()
    box.fill(text)


def attach(page: Page, question_id: str, *files: Upload) -> None:
    """Pick files for a question; they go up with "Save and continue"."""
    field = question(page, question_id).locator(
        f'input[type="file"][name="{question_id}__upload"]')
    field.set_input_files([file.as_payload() for file in files])


def current_section(page: Page, questionnaire: Questionnaire) -> Section:
    section_id = page.locator("[data-section]").first.get_attribute("data-section")
    return next(s for s in questionnaire.sections if s.id == section_id)


def answer_shown_questions(page: Page, section: Section, answers: Mapping[str, Answer],
                           files: Mapping[str, Upload]) -> None:
    """Give every question the page shows its answer from ``answers`` (files from ``files``),
    and a comment where that answer needs one."""
    for each in section.questions:
        if not question(page, each.id).is_visible():
            continue  # hidden by an earlier answer on this page
        answer = answers[each.id]
        _give(page, each, answer.value, files)
        if _needs_comment(each, answer.value):
            write_comment(page, each.id, answer.comment or "Described in our security policy.")


def answer_every_section(page: Page, questionnaire: Questionnaire,
                         answers: Mapping[str, Answer], files: Mapping[str, Upload]) -> None:
    """From the first section, answer each page and "Save and continue" until the review."""
    open_section(page, questionnaire.sections[0].title)
    while "/portal/review" not in page.url:
        answer_shown_questions(page, current_section(page, questionnaire), answers, files)
        save_and_continue(page)
    expect(page.get_by_role("heading", name="Review and submit")).to_be_visible()


def save_and_continue(page: Page) -> None:
    """Post the page and wait for the next one, scripts and all (the same page again means
    it was refused)."""
    here = page.url
    page.get_by_role("button", name=SAVE_AND_CONTINUE).click()
    page.wait_for_url(lambda url: url != here, wait_until="load")


def _give(page: Page, each: Question, value: Any, files: Mapping[str, Upload]) -> None:
    block = question(page, each.id)
    if each.type in ("single_choice", "yes_no"):
        choose(page, each.id, value)
    elif each.type == "multiple_choice":
        choose(page, each.id, *value)
    elif each.type == "countries":
        block.locator(f'select[name="{each.id}"]').select_option(value)
    elif each.type == "file":
        attach(page, each.id, files[each.id])
    elif each.type == "group":
        raise NotImplementedError("answer group questions explicitly, row by row")
    else:  # number, date, text, email, url: typed in
        type_answer(page, each.id, str(value))


def _needs_comment(each: Question, value: Any) -> bool:
    if each.comment == "required":
        return True
    picked = value if isinstance(value, list) else [value]
    return isinstance(each.comment, CommentRule) and any(
        choice in each.comment.required_when for choice in picked)
