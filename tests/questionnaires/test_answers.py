"""What a vendor is shown, what is required and what stops a submission."""

from __future__ import annotations

from typing import Any

from riskapp.questionnaires.answers import Answer, problems, progress, visibility
from riskapp.questionnaires.definition import Questionnaire

GOOD = {
    "baa_offered": Answer("yes"), "phi_volume": Answer("none"), "mfa": Answer("yes"),
    "mfa_methods": Answer(["webauthn"]), "session_timeout": Answer(15),
    "data_countries": Answer(["US"]), "subprocessors": Answer([]),
}


def _questionnaire(*questions: dict[str, Any]) -> Questionnaire:
    return Questionnaire.model_validate({
        "id": "test", "title": "Test", "version": "1.0.0",
        "sections": [{"id": "only", "title": "Only", "questions": list(questions)}]})


def test_a_follow_up_shows_only_when_its_condition_holds(example: Questionnaire) -> None:
    assert "mfa_methods" not in visibility(example, {"mfa": Answer("no")}).questions
    assert "mfa_methods" in visibility(example, {"mfa": Answer("yes")}).questions


def test_a_hidden_answer_is_kept_but_not_seen_by_later_conditions() -> None:
    questionnaire = _questionnaire(
        {"id": "uses_email", "type": "yes_no", "text": "Email?"},
        {"id": "provider", "type": "short_text", "text": "Which?",
         "show_if": 'uses_email == "yes"'},
        {"id": "dpa", "type": "yes_no", "text": "DPA?", "show_if": "answered(provider)"})
    answers = {"uses_email": Answer("no"), "provider": Answer("Acme")}
    seen = visibility(questionnaire, answers)
    assert seen.questions == {"uses_email"}
    assert "provider" not in seen.env


def test_a_hidden_required_question_is_not_required(example: Questionnaire) -> None:
    answers = {**GOOD, "mfa": Answer("no", comment="Rolling out in March.")}
    del answers["mfa_methods"]
    assert problems(example, answers) == {}


def test_required_if_follows_the_answers(example: Questionnaire) -> None:
    with_row = {**GOOD, "subprocessors": Answer([{"name": "Acme", "country": ["US"],
                                                  "baa": "yes"}])}
    assert problems(example, with_row) == {"soc2_report": ["answer this question"]}
    attached = {**with_row, "soc2_report": Answer([{"name": "soc2.pdf"}])}
    assert problems(example, attached) == {}


def test_a_comment_is_required_on_the_answers_that_ask_for_one(example: Questionnaire) -> None:
    answers = {**GOOD, "mfa": Answer("no")}
    assert problems(example, answers) == {"mfa": ["add a comment explaining this answer"]}


def test_not_applicable_needs_a_reason_and_an_allowed_question(example: Questionnaire) -> None:
    silent = {**GOOD, "session_timeout": Answer(not_applicable=True)}
    assert problems(example, silent) == {"session_timeout": ["say why it does not apply"]}
    explained = {**GOOD, "session_timeout": Answer(not_applicable=True, reason="No sessions.")}
    assert problems(example, explained) == {}
    refused = {**GOOD, "mfa": Answer(not_applicable=True, reason="n/a")}
    assert problems(example, refused) == {"mfa": ["this question cannot be answered with N/A"]}


def test_an_answer_outside_the_questions_limits_is_refused(example: Questionnaire) -> None:
    answers = {**GOOD, "session_timeout": Answer(5000), "data_countries": Answer(["XX"])}
    assert problems(example, answers) == {"session_timeout": ["enter at most 1440"],
                                          "data_countries": ["not a country code: XX"]}


def test_each_group_row_is_checked(example: Questionnaire) -> None:
    rows = [{"name": "Acme", "country": ["US"], "baa": "yes"}, {"country": ["DE"]}]
    found = problems(example, {**GOOD, "subprocessors": Answer(rows),
                               "soc2_report": Answer([{"name": "r.pdf"}])})
    assert found == {"subprocessors": ["row 2: Company: answer this"]}  # the only one required


def test_a_choice_hidden_by_its_condition_cannot_be_picked() -> None:
    questionnaire = _questionnaire(
        {"id": "plan", "type": "single_choice", "text": "Plan?",
         "choices": [{"id": "shared"}, {"id": "dedicated"}]},
        {"id": "isolation", "type": "single_choice", "text": "Isolation?", "choices": [
            {"id": "vm"}, {"id": "hardware", "show_if": 'plan == "dedicated"'}]})
    answers = {"plan": Answer("shared"), "isolation": Answer("hardware")}
    assert problems(questionnaire, answers) == {
        "isolation": ["'Hardware' is not available with your earlier answers"]}


def test_a_validate_rule_refuses_answers_that_contradict_each_other() -> None:
    questionnaire = _questionnaire(
        {"id": "staff", "type": "number", "text": "Staff?"},
        {"id": "trained", "type": "number", "text": "Trained?", "validate": [
            {"rule": "trained <= staff", "message": "More trained than staff?"}]})
    assert problems(questionnaire, {"staff": Answer(10), "trained": Answer(12)}) == {
        "trained": ["More trained than staff?"]}
    assert problems(questionnaire, {"staff": Answer(10), "trained": Answer(8)}) == {}


def test_evidence_is_required_on_the_answers_that_need_it() -> None:
    questionnaire = _questionnaire(
        {"id": "soc2", "type": "yes_no", "text": "SOC 2?",
         "evidence": {"required_when": ["yes"], "kinds": ["soc2_type2"]}})
    assert problems(questionnaire, {"soc2": Answer("yes")}) == {
        "soc2": ["attach evidence (soc2_type2)"]}
    assert problems(questionnaire, {"soc2": Answer("yes", evidence=({"name": "r.pdf"},))}) == {}
    assert problems(questionnaire, {"soc2": Answer("no")}) == {}


def test_progress_counts_the_shown_required_questions(example: Questionnaire) -> None:
    # BAA, MFA and data location; the SOC 2 report only once a subprocessor is listed.
    assert (progress(example, {}).answered, progress(example, {}).required) == (0, 3)
    assert progress(example, GOOD).percent == 100
    two = {"baa_offered": Answer("yes"), "mfa": Answer("yes")}
    assert progress(example, two).percent == 67
    with_row = {**GOOD, "subprocessors": Answer([{"name": "Acme", "country": ["US"]}])}
    assert (progress(example, with_row).answered, progress(example, with_row).required) == (3, 4)


def test_answers_survive_a_round_trip_through_json() -> None:
    answer = Answer(["US", "DE"], comment="Both", evidence=({"name": "map.pdf"},))
    assert Answer.from_json(answer.to_json()) == answer
