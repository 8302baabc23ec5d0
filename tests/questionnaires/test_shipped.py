"""The three questionnaires riskapp ships: they load, and their scoring says what it should.

An ideal vendor is built by answering every shown question with its least risky answer (the
choice with the fewest points, a number in the first band, a recent date, the US only, one
good row per group), again and again until no new question appears. Such a vendor must be
able to submit (nothing required is missing, no rule refuses it) and must score low; the same
vendor refusing a BAA must be gated critical whatever else it answered.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from riskapp.questionnaires.answers import Answer, problems, visibility
from riskapp.questionnaires.definition import Questionnaire
from riskapp.questionnaires.loader import load_directory
from riskapp.questionnaires.sample_answers import EVIDENCE
from riskapp.questionnaires.sample_answers import least_risky_answers as ideal_answers
from riskapp.questionnaires.scoring import score

SHIPPED = Path(__file__).parents[2] / "questionnaires"
IDS = ["email-vendor", "hosting-vendor", "marketing-vendor"]
LOW_RISK = 15.0


@pytest.fixture(scope="module")
def shipped() -> dict[str, Questionnaire]:
    library = load_directory(SHIPPED)
    assert library.errors == []
    return library.questionnaires


# Intake answers that put PHI in the vendor's hands, so every PHI question is asked.
HANDLES_PHI: dict[str, dict[str, Answer]] = {
    "email-vendor": {},
    "hosting-vendor": {"hosting_scope": Answer(["patient_portal"])},
    "marketing-vendor": {"mkt_phi_access": Answer("contacts")},
}


@pytest.mark.parametrize("questionnaire_id", IDS)
def test_each_questionnaire_has_at_least_30_questions_with_citations(
    shipped: dict[str, Questionnaire], questionnaire_id: str
) -> None:
    questionnaire = shipped[questionnaire_id]
    questions = [q for _, q in questionnaire.questions()]
    assert len(questions) >= 30
    scored = [q for q in questions if q.is_scored() and q.weight]
    cited = [q for q in scored if q.citation]
    assert len(cited) >= len(scored) * 0.6, "most scored questions cite the rule behind them"
    assert questionnaire.attestation is not None


@pytest.mark.parametrize("questionnaire_id", IDS)
@pytest.mark.parametrize("phi", [False, True], ids=["as it comes", "handling PHI"])
def test_an_ideal_vendor_can_submit_and_scores_low(
    shipped: dict[str, Questionnaire], questionnaire_id: str, phi: bool
) -> None:
    questionnaire = shipped[questionnaire_id]
    answers = ideal_answers(questionnaire, HANDLES_PHI[questionnaire_id] if phi else None)
    assert problems(questionnaire, answers) == {}
    result = score(questionnaire, answers)
    assert result.score <= LOW_RISK, [(c.question_id, c.answer) for c in result.explained]
    assert result.floor is None
    assert [f for f in result.findings if f.finding.severity in ("high", "critical")] == []


@pytest.mark.parametrize("questionnaire_id", IDS)
def test_refusing_a_baa_is_critical_whatever_else_is_answered(
    shipped: dict[str, Questionnaire], questionnaire_id: str
) -> None:
    questionnaire = shipped[questionnaire_id]
    answers = ideal_answers(questionnaire, HANDLES_PHI[questionnaire_id])
    answers["baa_offered"] = Answer("no", comment="We do not sign BAAs.", evidence=EVIDENCE)
    result = score(questionnaire, answers)
    assert result.floor == "critical"
    assert any(f.question_id == "baa_offered" and f.finding.severity == "critical"
               for f in result.findings)


def test_a_marketing_vendor_that_never_sees_phi_is_not_asked_for_a_baa(
    shipped: dict[str, Questionnaire]
) -> None:
    questionnaire = shipped["marketing-vendor"]
    answers = ideal_answers(questionnaire)
    assert answers["mkt_phi_access"].value == "none"
    assert "baa_offered" not in visibility(questionnaire, answers).questions
