"""The questionnaire pages: the list, one questionnaire in full, and the try-it preview."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from riskapp.access import Role
from tests.questionnaires.conftest import DEFINITIONS

Login = Callable[..., FlaskClient]
PREVIEW = "/questionnaires/example-vendor/preview"


def _post_preview(client: FlaskClient, **answers: Any) -> str:
    # CSRF is off in these tests; tests/test_csrf.py checks every POST route refuses without.
    response = client.post(PREVIEW, data=answers)
    assert response.status_code == 200
    return response.text


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OFFICER, Role.VIEWER])
def test_every_staff_role_sees_the_list(login_as: Login, role: Role) -> None:
    page = login_as(role).get("/questionnaires/").text
    assert "Example vendor questionnaire" in page
    assert "1.0.0" in page
    assert 'href="/questionnaires/example-vendor/preview"' in page


def test_the_list_names_every_problem_in_a_broken_file(
    app: Flask, login_as: Login, tmp_path: Path
) -> None:
    folder = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS, folder)
    broken = folder / "example-vendor.yaml"
    broken.write_text(broken.read_text().replace("required: true\n        weight: 3",
                                                 "requird: true\n        weight: 3"))
    app.config["QUESTIONNAIRES_DIR"] = folder

    page = login_as(Role.OFFICER).get("/questionnaires/").text

    assert "1 problem(s) in the definitions" in page
    assert "example-vendor.yaml:36:9: unknown key &#39;requird&#39; (did you mean " \
           "&#39;required&#39;?)" in page
    assert "No questionnaire loads yet." in page


def test_the_detail_page_shows_reviewer_guidance_and_citations(login_as: Login) -> None:
    page = login_as(Role.VIEWER).get("/questionnaires/example-vendor").text
    assert "Reviewer guidance:</strong> Ask for a screenshot" in page
    assert "45 CFR 164.312(d)" in page
    assert "Shown when <code>mfa == &#34;yes&#34;</code>" in page


def test_an_unknown_questionnaire_is_not_found(login_as: Login) -> None:
    assert login_as(Role.OFFICER).get("/questionnaires/nope").status_code == 404


def test_the_preview_hides_conditional_questions_until_they_apply(login_as: Login) -> None:
    page = login_as(Role.OFFICER).get(PREVIEW).text
    methods = re.search(r'<div class="question[^"]*"\s+data-question="mfa_methods".*?>', page,
                        re.S)
    assert methods
    assert "hidden" in methods.group()
    assert 'data-show-if="[&#34;==&#34;,[&#34;name&#34;,&#34;mfa&#34;],[&#34;lit&#34;,' \
           '&#34;yes&#34;]]"' in methods.group()
    assert "js/conditions.js" in page
    assert "Reviewer guidance" not in page  # never shown to the vendor


def test_checking_the_preview_scores_it_and_keeps_what_was_typed(login_as: Login) -> None:
    page = _post_preview(login_as(Role.OFFICER), baa_offered="no", mfa="no",
                         session_timeout="600", phi_volume="over_10k")

    assert "Risk score" in page
    assert "critical: a gate was hit" in page
    assert "No BAA" in page
    assert "add a comment explaining this answer" in page  # comment required on "no"
    assert re.search(r'name="session_timeout"[^>]*value="600"', page)
    assert re.search(r'value="no"[^>]*checked|checked[^>]*value="no"', page)


def test_a_number_that_is_no_number_is_reported_and_kept(login_as: Login) -> None:
    page = _post_preview(login_as(Role.OFFICER), session_timeout="ten")
    assert "Not a valid decimal value" in page
    assert re.search(r'name="session_timeout"[^>]*value="ten"', page)
