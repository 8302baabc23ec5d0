"""The vendor portal: answering an assessment through a share link, with no account.

``/r/<token>`` trades the link for a portal session and redirects to a URL without the token,
so it stays out of history and Referer headers. Every portal page checks that the session's
link still works (revoking it ends sessions already open) and opens only that link's
assessment. A wrong, expired or revoked token gets the same plain page, whichever it was.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers.response import Response

from riskapp.access import public
from riskapp.assessments import evidence, services
from riskapp.assessments.forms import AttestationForm
from riskapp.assessments.models import VENDOR_EDITABLE, Assessment, AssessmentQuestionnaire
from riskapp.database import db, utcnow
from riskapp.questionnaires import answers as answer_rules
from riskapp.questionnaires import forms as questionnaire_forms
from riskapp.questionnaires.definition import Questionnaire, Section

bp = Blueprint("portal", __name__, template_folder="templates")
SESSION_KEY = "portal_link"
REFUSAL_WINDOW_MINUTES = 15


def _refused(status: int = 404) -> tuple[str, int]:
    return render_template("portal/invalid.html"), status


@bp.errorhandler(403)
def _link_no_longer_works(_error: Exception) -> tuple[str, int]:
    return _refused(403)


@bp.get("/r/<token>")
@public
def enter(token: str) -> Response | tuple[str, int]:
    limit = int(current_app.config["PORTAL_MAX_REFUSALS"])
    if services.too_many_refusals(request.remote_addr, limit=limit,
                                  minutes=REFUSAL_WINDOW_MINUTES):
        return render_template("portal/invalid.html", slow_down=True), 429
    link = services.link_for_token(token)
    if link is None:
        services.record_refused_link()
        db.session.commit()
        return _refused()
    session.clear()  # a fresh session: nothing from a previous link or user carries over
    session[SESSION_KEY] = link.id
    link.last_used_at = utcnow()
    db.session.commit()
    response = redirect(url_for("portal.overview"), code=303)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _portal_assessment() -> Assessment:
    link = services.usable_link(session.get(SESSION_KEY))
    if link is None:
        session.pop(SESSION_KEY, None)
        abort(403)
    g.portal_link = link
    return link.assessment


def _entry(assessment: Assessment, part: int) -> AssessmentQuestionnaire:
    if not 0 <= part < len(assessment.questionnaires):
        abort(404)
    return assessment.questionnaires[part]


def _section(questionnaire: Questionnaire, section_id: str) -> Section:
    section = next((s for s in questionnaire.sections if s.id == section_id), None)
    if section is None:
        abort(404)
    return section


def _by(assessment: Assessment) -> str:
    return f"{assessment.respondent_email} (vendor)"


def _pages(assessment: Assessment) -> list[tuple[int, Questionnaire, Section, bool]]:
    """Every shown section in order, as (part, questionnaire, section, has problems)."""
    pages = []
    saved = services.answers_by_questionnaire(assessment)
    for part, entry in enumerate(assessment.questionnaires):
        questionnaire = services.definition_of(entry)
        given = saved[entry.questionnaire_version_id]
        seen = answer_rules.visibility(questionnaire, given)
        found = answer_rules.problems(questionnaire, given)
        for section in questionnaire.sections:
            if section.id in seen.sections:
                open_issue = any(q.id in found for q in section.questions)
                pages.append((part, questionnaire, section, open_issue))
    return pages


@bp.get("/portal/")
@public
def overview() -> str:
    assessment = _portal_assessment()
    return render_template("portal/overview.html", assessment=assessment,
                           pages=_pages(assessment),
                           progress=services.overall_progress(assessment),
                           editable=assessment.status_enum in VENDOR_EDITABLE,
                           clarifications=services.open_clarifications(assessment))


@bp.route("/portal/<int:part>/<section_id>", methods=["GET", "POST"])
@public
def section(part: int, section_id: str) -> Any:
    assessment = _portal_assessment()
    entry = _entry(assessment, part)
    questionnaire = services.definition_of(entry)
    current = _section(questionnaire, section_id)
    saved, revisions = services.answers_of(assessment, entry)
    editable = services.editable_questions(assessment, entry)
    if request.method == "POST":
        return _save(assessment, entry, questionnaire, current, saved, editable)
    form = questionnaire_forms.questions_form([current], saved)
    return _render_section(assessment, entry, questionnaire, current, form, saved, revisions,
                           editable, problems={}, conflicts=[])


def _save(assessment: Assessment, entry: AssessmentQuestionnaire, questionnaire: Questionnaire,
          current: Section, saved: dict[str, Any], editable: set[str] | None) -> Any:
    autosave = request.form.get("autosave") == "1"
    form = questionnaire_forms.questions_form([current], saved, formdata=request.form)
    if not form.validate():
        if autosave:
            return jsonify(saved=[], conflicts=[], invalid=sorted(form.errors)), 200
        return _render_section(assessment, entry, questionnaire, current, form, saved,
                               _seen_revisions(), editable, problems={}, conflicts=[])
    given = questionnaire_forms.answers_from_form([current], form, saved)
    upload_errors: list[str] = []
    if not autosave:
        given, upload_errors = _with_uploads(assessment, entry, current, given, editable)
    try:
        result = services.save_answers(assessment, entry, given, _seen_revisions(),
                                       by=_by(assessment))
    except services.AssessmentError as error:
        if autosave:
            return jsonify(error=str(error)), 409
        abort(409, str(error))
    db.session.commit()
    if autosave:
        return jsonify(saved=result.saved, revisions=result.revisions,
                       conflicts=[c.question_id for c in result.conflicts],
                       saved_at=utcnow().strftime("%H:%M:%S"))
    if result.conflicts or upload_errors:
        merged, revisions = services.answers_of(assessment, entry)
        form = questionnaire_forms.questions_form([current], merged)
        return _render_section(assessment, entry, questionnaire, current, form, merged,
                               revisions, editable, problems={}, conflicts=result.conflicts,
                               upload_errors=upload_errors)
    return redirect(_next_page(assessment, entry, current), code=303)


def _with_uploads(assessment: Assessment, entry: AssessmentQuestionnaire, current: Section,
                  given: dict[str, Any], editable: set[str] | None
                  ) -> tuple[dict[str, Any], list[str]]:
    """Store the files posted with the section; file questions hold them as their answer,
    others as the answer's evidence. Files ticked "remove" are dropped from the answer."""
    errors: list[str] = []
    result = dict(given)
    for question in current.questions:
        if editable is not None and question.id not in editable:
            continue
        answer = result.get(question.id)
        if answer is None:
            continue
        removed = set(request.form.getlist(f"{question.id}__remove"))
        if question.type == "file":
            refs = _kept(answer.value, removed) + _stored(
                assessment, entry, question.id, "upload", errors)
            result[question.id] = replace(answer, value=refs or None)
        elif question.evidence is not None:
            refs = _kept(list(answer.evidence), removed) + _stored(
                assessment, entry, question.id, "evidence", errors)
            result[question.id] = replace(answer, evidence=tuple(refs))
    return result, errors


def _kept(refs: Any, removed: set[str]) -> list[dict[str, Any]]:
    return [ref for ref in (refs if isinstance(refs, list) else [])
            if isinstance(ref, dict) and str(ref.get("id")) not in removed]


def _stored(assessment: Assessment, entry: AssessmentQuestionnaire, question_id: str,
            field: str, errors: list[str]) -> list[dict[str, Any]]:
    refs = []
    for upload in request.files.getlist(f"{question_id}__{field}"):
        if not upload.filename:
            continue
        try:
            record = evidence.store(assessment, entry, question_id, upload, by=_by(assessment))
        except evidence.EvidenceError as error:
            errors.append(str(error))
        else:
            refs.append(evidence.as_reference(record))
    return refs


@bp.get("/portal/files/<int:file_id>")
@public
def file(file_id: int) -> Response:
    """A file of this link's assessment, back to the vendor, as a download."""
    record = evidence.file_of(_portal_assessment(), file_id)
    if record is None:
        abort(404)
    return evidence.download(record)


def _seen_revisions() -> dict[str, int]:
    try:
        seen = json.loads(request.form.get("revisions") or "{}")
    except ValueError:
        return {}
    return {str(k): int(v) for k, v in seen.items() if isinstance(v, int)} \
        if isinstance(seen, dict) else {}


def _next_page(assessment: Assessment, entry: AssessmentQuestionnaire, current: Section) -> str:
    pages = _pages(assessment)
    part = assessment.questionnaires.index(entry)
    keys = [(p, s.id) for p, _, s, _ in pages]
    here = keys.index((part, current.id)) if (part, current.id) in keys else -1
    if request.form.get("go") == "back" and here > 0:
        return url_for(".section", part=keys[here - 1][0], section_id=keys[here - 1][1])
    if request.form.get("go") == "next" and 0 <= here < len(keys) - 1:
        return url_for(".section", part=keys[here + 1][0], section_id=keys[here + 1][1])
    if request.form.get("go") == "next":
        return url_for(".review")
    return url_for(".section", part=part, section_id=current.id)


def _render_section(assessment: Assessment, entry: AssessmentQuestionnaire,
                    questionnaire: Questionnaire, current: Section, form: Any,
                    saved: dict[str, Any], revisions: dict[str, int], editable: set[str] | None,
                    problems: dict[str, list[str]], conflicts: list[Any],
                    upload_errors: list[str] | None = None) -> str:
    seen = answer_rules.visibility(questionnaire, saved)
    clarifications = [c for c in services.open_clarifications(assessment)
                      if c.questionnaire_version_id == entry.questionnaire_version_id]
    return render_template(
        "portal/section.html", assessment=assessment, part=assessment.questionnaires.index(entry),
        questionnaire=questionnaire, section=current, form=form, seen=seen, problems=problems,
        revisions=json.dumps(revisions), editable=editable, conflicts=conflicts,
        clarifications={c.question_id: c.comment for c in clarifications},
        progress=services.overall_progress(assessment), upload_errors=upload_errors or [],
        uploads={"enabled": editable is None or bool(editable), "answers": saved,
                 "endpoint": "portal.file"})


@bp.route("/portal/review", methods=["GET", "POST"])
@public
def review() -> Any:
    assessment = _portal_assessment()
    form = AttestationForm()
    error = ""
    if form.validate_on_submit():
        if request.form.get("confirm") != "yes":
            error = "Tick the box to confirm the answers are ready to submit."
        else:
            try:
                services.submit(assessment, name=form.name.data, title=form.title.data,
                                by=_by(assessment))
            except services.AssessmentError as exc:
                error = str(exc)
            else:
                db.session.commit()
                return redirect(url_for(".overview"), code=303)
    missing = [(assessment.questionnaires.index(entry), services.definition_of(entry), qid,
                issues) for entry, qid, issues in services.missing(assessment)]
    return render_template("portal/review.html", assessment=assessment, form=form,
                           missing=missing, error=error,
                           editable=assessment.status_enum in VENDOR_EDITABLE)
