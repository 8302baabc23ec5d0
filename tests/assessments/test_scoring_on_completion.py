"""Completing an assessment rates its vendor again, with the answers' explanation."""

from __future__ import annotations

from collections.abc import Callable

from riskapp.assessments import services
from riskapp.database import db
from riskapp.questionnaires.answers import Answer
from riskapp.scoring.services import latest_score
from tests.assessments.conftest import GOOD_ANSWERS, Started


def test_completing_an_assessment_scores_the_vendor(start: Callable[..., Started]) -> None:
    started = start()
    assessment = started.assessment
    entry = assessment.questionnaires[0]
    answers = {qid: Answer(value=value) for qid, value in GOOD_ANSWERS.items()} | {
        "mfa_methods": Answer(value=["webauthn"]), "session_timeout": Answer(value=15),
        "data_countries": Answer(value=["US"])}
    services.save_answers(assessment, entry, answers, {}, by="Vera")
    services.submit(assessment, name="Vera Vendor", title="CISO", by="Vera")

    services.complete(assessment, actor=started.officer)
    db.session.commit()

    row = latest_score(assessment.vendor)
    assert row is not None
    assert row.assessment_id == assessment.id
    assert row.reason == f"assessment #{assessment.id} completed"
    assert row.risk.assessed
    assert row.risk.parts["questionnaire"] == assessment.score
