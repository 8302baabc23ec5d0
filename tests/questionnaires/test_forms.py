"""Forms built from a questionnaire: what a vendor types becomes answers, and back again."""

from __future__ import annotations

from flask import Flask
from werkzeug.datastructures import MultiDict

from riskapp.questionnaires.answers import Answer
from riskapp.questionnaires.definition import Questionnaire
from riskapp.questionnaires.forms import answers_from_form, questions_form


def _posted(app: Flask, example: Questionnaire, data: MultiDict) -> dict[str, Answer]:
    with app.test_request_context(method="POST", data=data):
        form = questions_form(example.sections, {}, formdata=data)
        form.validate()
        return answers_from_form(example.sections, form, {})


def test_typed_answers_become_json_values(app: Flask, example: Questionnaire) -> None:
    answers = _posted(app, example, MultiDict([
        ("mfa", "yes"), ("mfa_methods", "totp"), ("mfa_methods", "sms"),
        ("session_timeout", "15"), ("data_countries", "US"), ("data_countries", "DE"),
        ("subprocessors-0-name", "  Acme  "), ("subprocessors-0-country", "US"),
        ("subprocessors-0-baa", "yes"), ("subprocessors-1-name", ""),
        ("mfa__comment", "Enforced by our identity provider.\r\nSince 2024."),
    ]))
    assert answers["mfa"] == Answer("yes", comment="Enforced by our identity provider.\n"
                                                   "Since 2024.")
    assert answers["mfa_methods"].value == ["totp", "sms"]
    assert answers["session_timeout"].value == 15
    assert answers["data_countries"].value == ["US", "DE"]
    assert answers["subprocessors"].value == [{"name": "Acme", "country": ["US"],
                                               "baa": "yes"}]  # the empty row is dropped
    assert answers["baa_offered"].value is None


def test_not_applicable_is_taken_with_its_reason(app: Flask, example: Questionnaire) -> None:
    answers = _posted(app, example, MultiDict([
        ("session_timeout__na", "y"), ("session_timeout__reason", "No interactive sessions.")]))
    assert answers["session_timeout"] == Answer(not_applicable=True,
                                                reason="No interactive sessions.")


def test_a_form_opens_with_the_saved_answers(app: Flask, example: Questionnaire) -> None:
    saved = {"mfa": Answer("no", comment="Soon"), "session_timeout": Answer(30),
             "subprocessors": Answer([{"name": "Acme", "country": ["US"], "baa": "no"}])}
    with app.test_request_context():
        form = questions_form(example.sections, saved)
        assert form["mfa"].data == "no"
        assert form["mfa__comment"].data == "Soon"
        assert str(form["session_timeout"].data) == "30"
        rows = form["subprocessors"].entries
        assert len(rows) == 2  # the saved row and one empty row to add another
        assert rows[0].form["name"].data == "Acme"


def test_uploaded_evidence_is_kept_when_the_form_is_saved(app: Flask,
                                                          example: Questionnaire) -> None:
    previous = {"soc2_report": Answer([{"name": "soc2.pdf"}], evidence=({"name": "x"},))}
    data = MultiDict([("mfa", "yes")])
    with app.test_request_context(method="POST", data=data):
        form = questions_form(example.sections, previous, formdata=data)
        answers = answers_from_form(example.sections, form, previous)
    assert answers["soc2_report"].value == [{"name": "soc2.pdf"}]
