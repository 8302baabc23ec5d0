"""Assessment pages for staff: start one, follow it, share its link, review and complete it."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers.response import Response

from riskapp import mail
from riskapp.access import Permission, requires
from riskapp.assessments import evidence, services
from riskapp.assessments.forms import (
    ConfirmForm,
    DueDateForm,
    StartAssessmentForm,
    default_due_date,
)
from riskapp.assessments.models import Assessment, Status
from riskapp.database import db
from riskapp.vendors import services as vendors

bp = Blueprint("assessments", __name__, url_prefix="/assessments", template_folder="templates")
bp.add_app_template_global(services.assessments_of, "assessments_of")


def _assessment_or_404(assessment_id: int) -> Assessment:
    assessment = services.get_assessment(assessment_id)
    if assessment is None:
        abort(404)
    return assessment


def _link_days() -> int:
    return int(current_app.config["SHARE_LINK_DAYS"])


def share_url(token: str) -> str:
    return url_for("portal.enter", token=token, _external=True)


def _send_link(assessment: Assessment, token: str) -> mail.Sent:
    link = share_url(token)
    return mail.send(
        assessment.respondent_email,
        f"Security and privacy questionnaire for {assessment.vendor.name}",
        f"Hello {assessment.respondent_name},\n\n"
        f"Our privacy office asks you to answer a security and privacy questionnaire about "
        f"{assessment.vendor.name} by {assessment.due_date:%d %B %Y}.\n\n"
        f"Open it here (no account needed; the link is personal, please do not forward it):\n"
        f"{link}\n\nYour answers are saved as you go, so you can stop and come back.\n")


@bp.get("/")
@requires(Permission.ASSESSMENTS_VIEW)
def index() -> str:
    return render_template("assessments/index.html", assessments=services.recent(),
                           today=dt.date.today())


@bp.route("/vendor/<int:vendor_id>/new", methods=["GET", "POST"])
@requires(Permission.ASSESSMENTS_MANAGE)
def start(vendor_id: int) -> str:
    vendor = vendors.get_vendor(vendor_id)
    if vendor is None:
        abort(404)
    offered = services.offered_versions()
    form = StartAssessmentForm()
    form.offer(offered)
    if request.method == "GET":
        form.questionnaires.data = [v.id for v in services.default_versions(vendor)]
        form.due_date.data = default_due_date()
        form.respondent_name.data = vendor.contact_name
        form.respondent_email.data = vendor.contact_email
    if form.validate_on_submit():
        chosen = [v for v in offered if v.id in (form.questionnaires.data or [])]
        try:
            assessment, token = services.start_assessment(
                vendor, chosen, due_date=form.due_date.data,
                respondent_name=form.respondent_name.data,
                respondent_email=form.respondent_email.data, actor=current_user,
                link_days=_link_days())
        except services.AssessmentError as error:
            form.questionnaires.errors = [*form.questionnaires.errors, str(error)]
        else:
            sent = _send_link(assessment, token)
            db.session.commit()
            return render_template("assessments/link.html", assessment=assessment,
                                   link=share_url(token), sent=sent)
    return render_template("assessments/new.html", vendor=vendor, form=form, offered=offered)


@bp.get("/<int:assessment_id>")
@requires(Permission.ASSESSMENTS_VIEW)
def detail(assessment_id: int) -> str:
    assessment = _assessment_or_404(assessment_id)
    return render_template(
        "assessments/detail.html", assessment=assessment, today=dt.date.today(),
        progress=services.overall_progress(assessment), parts=services.scored(assessment),
        links=services.active_links(assessment),
        clarifications=services.clarifications_by_question(assessment),
        form=ConfirmForm(), due_form=DueDateForm(data={"due_date": default_due_date()}),
        Status=Status)


@bp.post("/<int:assessment_id>/link")
@requires(Permission.ASSESSMENTS_MANAGE)
def reissue_link(assessment_id: int) -> str | Response:
    assessment = _assessment_or_404(assessment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        token = services.reissue_link(assessment, actor=current_user, link_days=_link_days())
    except services.AssessmentError as error:
        flash(str(error), "error")
        return redirect(url_for(".detail", assessment_id=assessment.id))
    sent = _send_link(assessment, token)
    db.session.commit()
    return render_template("assessments/link.html", assessment=assessment,
                           link=share_url(token), sent=sent)


def _act(assessment_id: int, action: str) -> Response:
    """Run one workflow step on a POST, then show the assessment again."""
    assessment = _assessment_or_404(assessment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    steps = {
        "revoke": lambda: services.revoke_links(assessment, actor=current_user),
        "review": lambda: services.start_review(assessment, actor=current_user),
        "complete": lambda: services.complete(assessment, actor=current_user),
        "cancel": lambda: services.cancel(assessment, actor=current_user),
    }
    try:
        steps[action]()
    except services.AssessmentError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash({"revoke": "The share link no longer works.", "review": "Review started.",
               "complete": "Assessment completed; its answers are locked.",
               "cancel": "Assessment cancelled."}[action], "success")
    return redirect(url_for(".detail", assessment_id=assessment.id))


@bp.post("/<int:assessment_id>/revoke")
@requires(Permission.ASSESSMENTS_MANAGE)
def revoke(assessment_id: int) -> Response:
    return _act(assessment_id, "revoke")


@bp.post("/<int:assessment_id>/review")
@requires(Permission.ASSESSMENTS_MANAGE)
def review(assessment_id: int) -> Response:
    return _act(assessment_id, "review")


@bp.post("/<int:assessment_id>/complete")
@requires(Permission.ASSESSMENTS_MANAGE)
def complete(assessment_id: int) -> Response:
    return _act(assessment_id, "complete")


@bp.post("/<int:assessment_id>/cancel")
@requires(Permission.ASSESSMENTS_MANAGE)
def cancel(assessment_id: int) -> Response:
    return _act(assessment_id, "cancel")


CLARIFY_PREFIX = "clarify__"


@bp.post("/<int:assessment_id>/clarify")
@requires(Permission.ASSESSMENTS_MANAGE)
def clarify(assessment_id: int) -> Response:
    """Fields ``clarify__<version id>__<question id>`` carry the officer's comments."""
    assessment = _assessment_or_404(assessment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    asks = []
    for key, comment in request.form.items():
        version_id, _, question_id = key.removeprefix(CLARIFY_PREFIX).partition("__")
        if key.startswith(CLARIFY_PREFIX) and version_id.isdigit() and question_id:
            asks.append((int(version_id), question_id, comment))
    try:
        services.request_clarification(assessment, asks, actor=current_user)
    except services.AssessmentError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("The vendor sees your questions through the same link.", "success")
    return redirect(url_for(".detail", assessment_id=assessment.id))


@bp.post("/<int:assessment_id>/reopen")
@requires(Permission.ASSESSMENTS_MANAGE)
def reopen(assessment_id: int) -> str | Response:
    assessment = _assessment_or_404(assessment_id)
    form = DueDateForm()
    if not form.validate_on_submit():
        flash("Give a due date for the new revision.", "error")
        return redirect(url_for(".detail", assessment_id=assessment.id))
    try:
        revision, token = services.reopen(assessment, actor=current_user,
                                          due_date=form.due_date.data, link_days=_link_days())
    except services.AssessmentError as error:
        flash(str(error), "error")
        return redirect(url_for(".detail", assessment_id=assessment.id))
    sent = _send_link(revision, token)
    db.session.commit()
    return render_template("assessments/link.html", assessment=revision,
                           link=share_url(token), sent=sent)


@bp.get("/<int:assessment_id>/files/<int:file_id>")
@requires(Permission.ASSESSMENTS_VIEW)
def file(assessment_id: int, file_id: int) -> Response:
    record = evidence.file_of(_assessment_or_404(assessment_id), file_id)
    if record is None:
        abort(404)
    return evidence.download(record)
