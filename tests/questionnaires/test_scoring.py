"""Scoring answers: a 0-100 risk explained question by question, findings and critical gates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from riskapp.questionnaires.answers import Answer
from riskapp.questionnaires.definition import Questionnaire
from riskapp.questionnaires.scoring import score

GOOD = {
    "baa_offered": Answer("yes"), "phi_volume": Answer("none"), "mfa": Answer("yes"),
    "mfa_methods": Answer(["webauthn"]), "session_timeout": Answer(15),
    "data_countries": Answer(["US"]),
    "subprocessors": Answer([{"name": "Acme", "country": ["US"], "baa": "yes"}]),
}


def _questionnaire(*questions: dict[str, Any], weight: float = 1,
                   second: list[dict[str, Any]] | None = None) -> Questionnaire:
    sections = [{"id": "controls", "title": "Controls", "weight": weight,
                 "questions": list(questions)}]
    if second:
        sections.append({"id": "more", "title": "More", "questions": second})
    return Questionnaire.model_validate({"id": "test", "title": "Test", "version": "1.0.0",
                                         "sections": sections})


def _yes_no(qid: str, *, no: float = 10, **extra: Any) -> dict[str, Any]:
    return {"id": qid, "type": "yes_no", "text": f"{qid}?", **extra,
            "choices": [{"id": "yes", "points": 0}, {"id": "no", "points": no}]}


def test_a_vendor_who_answers_everything_well_scores_no_risk(example: Questionnaire) -> None:
    result = score(example, GOOD)
    assert result.score == 0
    assert result.findings == ()
    assert result.floor is None
    assert result.explained == ()


def test_no_baa_is_critical_whatever_else_is_answered(example: Questionnaire) -> None:
    result = score(example, {**GOOD, "baa_offered": Answer("no")})
    assert result.floor == "critical"
    assert [f.finding.title for f in result.findings] == ["No BAA"]
    assert result.score < 50  # the score alone would not say critical; the gate does


def test_every_point_is_traced_to_its_question_and_answer(example: Questionnaire) -> None:
    result = score(example, {**GOOD, "mfa": Answer("no"), "session_timeout": Answer(600)})
    assert [(c.question_id, c.answer) for c in result.explained] == [
        ("mfa", "No"), ("session_timeout", "600 minutes")]
    assert result.explained[0].share > result.explained[1].share
    assert result.explained[0].citation == ("45 CFR 164.312(d)",)
    assert sum(c.share for c in result.contributions) == pytest.approx(result.score, abs=0.01)


def test_section_and_question_weights_set_the_shares() -> None:
    questionnaire = _questionnaire(_yes_no("heavy", weight=3), _yes_no("light"), weight=3,
                                   second=[_yes_no("other")])
    result = score(questionnaire, {"heavy": Answer("no"), "light": Answer("no"),
                                   "other": Answer("no")})
    shares = {c.question_id: c.share for c in result.contributions}
    assert shares == pytest.approx({"heavy": 56.25, "light": 18.75, "other": 25.0})
    assert result.score == 100


@pytest.mark.parametrize(("policy", "share"), [("excluded", None), ("met", 0.0),
                                               ("unmet", 50.0)])
def test_not_applicable_follows_the_questions_policy(policy: str, share: float | None) -> None:
    questionnaire = _questionnaire(_yes_no("a", not_applicable={"scoring": policy}),
                                   _yes_no("b"))
    result = score(questionnaire, {"a": Answer(not_applicable=True, reason="no mail"),
                                   "b": Answer("no")})
    shares = {c.question_id: c.share for c in result.contributions}
    assert shares.get("a") == share


def test_a_hidden_question_is_not_scored(example: Questionnaire) -> None:
    answers = {**GOOD, "mfa": Answer("no", comment="soon"), "mfa_methods": Answer(["sms"])}
    result = score(example, answers)
    assert "mfa_methods" not in {c.question_id for c in result.contributions}


@pytest.mark.parametrize(("scoring", "picked", "risk"),
                         [("worst", ["app", "sms"], 0.5), ("best", ["app", "sms"], 0.0),
                          ("sum", ["sms", "email"], 0.9)])
def test_multiple_choice_counts_the_worst_the_best_or_the_sum(
    scoring: str, picked: list[str], risk: float
) -> None:
    question = {"id": "factors", "type": "multiple_choice", "text": "Factors?",
                "scoring": scoring, "choices": [{"id": "app", "points": 0},
                                                {"id": "sms", "points": 5},
                                                {"id": "email", "points": 4}]}
    (part,) = score(_questionnaire(question), {"factors": Answer(picked)}).contributions
    assert part.risk == pytest.approx(risk)


def test_number_bands_pick_the_first_band_the_answer_fits() -> None:
    question = {"id": "days", "type": "number", "text": "Days?", "bands": [
        {"max": 7, "points": 0}, {"max": 30, "points": 5}, {"points": 10}]}
    questionnaire = _questionnaire(question)
    risks = [score(questionnaire, {"days": Answer(days)}).contributions[0].risk
             for days in (7, 8, 30, 31)]
    assert risks == [0.0, 0.5, 0.5, 1.0]


def test_date_bands_score_the_age_of_the_answer() -> None:
    question = {"id": "last_risk_analysis", "type": "date", "text": "When?", "age_bands": [
        {"max": 365, "points": 0}, {"points": 10, "finding": {
            "severity": "medium", "title": "Risk analysis over a year old",
            "remediation": "Repeat the risk analysis."}}]}
    questionnaire = _questionnaire(question)
    today = dt.date(2026, 11, 28)
    fresh = score(questionnaire, {"last_risk_analysis": Answer("2026-01-10")}, today=today)
    stale = score(questionnaire, {"last_risk_analysis": Answer("2024-06-01")}, today=today)
    assert (fresh.score, fresh.findings) == (0, ())
    assert stale.score == 100
    assert stale.findings[0].answer == "2024-06-01 (910 days ago)"


def test_countries_outside_the_list_raise_their_finding(example: Questionnaire) -> None:
    result = score(example, {**GOOD, "data_countries": Answer(["US", "IN"])})
    (finding,) = result.findings
    assert finding.finding.title == "PHI stored or reachable outside the US"
    assert finding.answer == "United States, India"


def test_each_group_row_raises_its_own_finding_and_the_worst_row_counts(
    example: Questionnaire
) -> None:
    rows = [{"name": "Acme", "country": ["US"], "baa": "no"},
            {"name": "Beta", "country": ["DE"], "baa": "no"},
            {"name": "Gamma", "country": ["US"], "baa": "yes"}]
    result = score(example, {**GOOD, "subprocessors": Answer(rows)})
    assert [(f.finding.title, f.row) for f in result.findings] == [
        ("Subprocessor without a BAA", "Acme"), ("Subprocessor without a BAA", "Beta")]
    assert result.floor == "critical"
    (part,) = [c for c in result.contributions if c.question_id == "baa"]
    assert (part.risk, part.answer) == (1.0, "No (Acme)")


def test_intake_answers_make_the_inherent_risk_not_the_score(example: Questionnaire) -> None:
    result = score(example, {**GOOD, "phi_volume": Answer("over_10k")})
    assert result.inherent == 100
    assert result.score == 0
    assert score(example, GOOD).inherent == 0


def test_unanswered_scored_questions_are_listed_not_guessed(example: Questionnaire) -> None:
    answers = dict(GOOD)
    del answers["session_timeout"]
    result = score(example, answers)
    assert result.unanswered == ("session_timeout",)
    assert "session_timeout" not in {c.question_id for c in result.contributions}


# --- a definition scores many answer sets: what it remembers must not leak between them -------


def test_a_definition_scores_the_same_however_often_it_is_used(example: Questionnaire) -> None:
    answer_sets = [GOOD, {**GOOD, "mfa": Answer("no")},
                   {**GOOD, "baa_offered": Answer("no"), "session_timeout": Answer(600)},
                   {**GOOD, "data_countries": Answer(["US", "IN"])}, {}]
    first = [score(example, answers) for answers in answer_sets]

    again = [score(example, answers) for answers in reversed(answer_sets)][::-1]
    fresh = Questionnaire.model_validate(example.snapshot())  # nothing prepared yet
    anew = [score(fresh, answers) for answers in answer_sets]

    assert again == first
    assert anew == first


def test_a_number_answer_is_rated_by_its_type_as_well_as_its_value() -> None:
    question = {"id": "days", "type": "number", "text": "Days?", "unit": "days",
                "bands": [{"max": 1, "points": 2}, {"points": 10}]}
    questionnaire = _questionnaire(question)

    rated = [score(questionnaire, {"days": Answer(days)}).contributions
             for days in (1, 1.0, True, 1)]

    assert [(c.answer, c.risk) for c in rated[0]] == [("1 days", 0.2)]
    assert rated[1] == rated[0]
    assert rated[2] == ()  # true is not a number, even where 1 was rated before
    assert rated[3] == rated[0]


def test_the_picks_of_a_multiple_choice_are_described_in_the_order_given() -> None:
    question = {"id": "factors", "type": "multiple_choice", "text": "Factors?",
                "choices": [{"id": "app", "points": 0}, {"id": "sms", "points": 5}]}
    questionnaire = _questionnaire(question)

    answers = [score(questionnaire, {"factors": Answer(picked)}).contributions[0].answer
               for picked in (["app", "sms"], ["sms", "app"])]

    assert answers == ["App, Sms", "Sms, App"]


def test_the_age_of_a_date_answer_follows_the_day_it_is_scored() -> None:
    question = {"id": "tested", "type": "date", "text": "When?",
                "age_bands": [{"max": 365, "points": 0}, {"points": 10}]}
    questionnaire = _questionnaire(question)
    answers = {"tested": Answer("2025-06-01")}

    soon = score(questionnaire, answers, today=dt.date(2025, 12, 1))
    later = score(questionnaire, answers, today=dt.date(2026, 12, 1))

    assert (soon.score, later.score) == (0, 100)
    assert soon.contributions[0].answer == "2025-06-01 (183 days ago)"
