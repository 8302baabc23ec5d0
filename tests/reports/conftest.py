"""Fixtures for the report tests: a vendor with a completed assessment of a questionnaire
built in code (any number of questions), a finished scan, and a reader of PDF text."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

import pytest
from flask import Flask
from pypdf import PdfReader

from riskapp.accounts.models import User
from riskapp.assessments import services as assessments
from riskapp.assessments.models import Assessment
from riskapp.database import db
from riskapp.questionnaires import services as questionnaires
from riskapp.questionnaires.answers import Answer
from riskapp.questionnaires.definition import Questionnaire
from riskapp.vendors.models import Vendor
from tests.scoring.conftest import scanned  # the scoring tests' finished scans

INJECTED = ('<font color="red">x</font>', '<a href="javascript:alert(1)">y</a>')


def questionnaire_of(count: int, *, per_section: int = 25) -> Questionnaire:
    """A questionnaire of ``count`` yes/no questions; "no" raises a high finding."""
    sections = []
    for start in range(0, count, per_section):
        sections.append({
            "id": f"s{start // per_section}", "title": f"Area {start // per_section + 1}",
            "questions": [{
                "id": f"q{n}", "type": "single_choice",
                "text": f"Control {n}: is it in place?", "citation": "45 CFR 164.312(a)(1)",
                "choices": [{"id": "yes", "label": "Yes", "points": 0},
                            {"id": "no", "label": "No", "points": 10, "finding": {
                                "severity": "high", "title": f"Control {n} missing",
                                "remediation": f"Put control {n} in place."}}],
            } for n in range(start, min(count, start + per_section))],
        })
    return Questionnaire.model_validate({"id": f"generated-{count}", "title": "Generated",
                                         "version": "1.0.0", "sections": sections})


@pytest.fixture
def assessed(app: Flask, make_user: Callable[..., User]
             ) -> Callable[..., Assessment]:
    """Complete an assessment of ``vendor``: question n answered by ``answer(n)``."""

    def make(vendor: Vendor, count: int = 4,
             answer: Callable[[int], Answer] | None = None) -> Assessment:
        questionnaire = questionnaire_of(count)
        questionnaires.publish(questionnaire, actor=None)
        version = questionnaires.published(questionnaire.id, "1.0.0")
        officer = make_user("officer")
        assessment, _ = assessments.start_assessment(
            vendor, [version], actor=officer, due_date=dt.date.today(),
            respondent_name="Vera Vendor", respondent_email="vera@vendor.example",
            link_days=30)
        pick = answer or (lambda n: Answer(value="no" if n % 3 == 0 else "yes"))
        assessments.save_answers(assessment, assessment.questionnaires[0],
                                 {f"q{n}": pick(n) for n in range(count)}, {}, by="Vera")
        assessments.submit(assessment, name="Vera Vendor", title="CISO", by="Vera")
        assessments.complete(assessment, actor=officer)
        db.session.commit()
        return assessment

    return make


def pdf_pages(content: bytes) -> list[str]:
    """The text of each page of a PDF."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def pdf_text(content: bytes) -> str:
    return "\n".join(pdf_pages(content))


def flat(text: str) -> str:
    """``text`` with line breaks and runs of spaces as single spaces: lines wrap anywhere."""
    return " ".join(text.split())


__all__ = ["INJECTED", "flat", "pdf_pages", "pdf_text", "questionnaire_of", "scanned"]
