"""Questionnaire pages for staff: the list, one questionnaire in full, and a try-it preview."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from riskapp.access import Permission, requires
from riskapp.questionnaires import answers as answer_rules
from riskapp.questionnaires import forms, services
from riskapp.questionnaires.definition import Questionnaire
from riskapp.questionnaires.scoring import score

bp = Blueprint("questionnaires", __name__, url_prefix="/questionnaires",
               template_folder="templates")
bp.add_app_template_global(forms.condition_json, "condition_json")
bp.add_app_template_global(forms.choice_conditions, "choice_conditions")


def _questionnaire_or_404(questionnaire_id: str) -> Questionnaire:
    questionnaire = services.library().questionnaires.get(questionnaire_id)
    if questionnaire is None:
        abort(404)
    return questionnaire


@bp.get("/")
@requires(Permission.QUESTIONNAIRES_VIEW)
def index() -> str:
    return render_template("questionnaires/index.html", library=services.library())


@bp.get("/<questionnaire_id>")
@requires(Permission.QUESTIONNAIRES_VIEW)
def detail(questionnaire_id: str) -> str:
    return render_template("questionnaires/detail.html",
                           questionnaire=_questionnaire_or_404(questionnaire_id))


@bp.route("/<questionnaire_id>/preview", methods=["GET", "POST"])
@requires(Permission.QUESTIONNAIRES_VIEW)
def preview(questionnaire_id: str) -> str:
    """The questionnaire as a vendor sees it; submitting checks and scores the answers and
    stores nothing."""
    questionnaire = _questionnaire_or_404(questionnaire_id)
    sections = questionnaire.sections
    posted = request.method == "POST"
    form = forms.questions_form(sections, {}, formdata=request.form if posted else None)
    given = forms.answers_from_form(sections, form, {}) if posted else {}
    checked = posted and form.validate()
    return render_template(
        "questionnaires/preview.html", questionnaire=questionnaire, form=form,
        seen=answer_rules.visibility(questionnaire, given),
        problems=answer_rules.problems(questionnaire, given) if checked else {},
        progress=answer_rules.progress(questionnaire, given),
        result=score(questionnaire, given) if checked else None)
