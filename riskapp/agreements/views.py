"""A vendor's BAA and contract page, its form, the signed document and the decision."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers.response import Response

from riskapp.access import Permission, requires
from riskapp.accounts.models import User
from riskapp.agreements import services
from riskapp.agreements.clauses import CLAUSES
from riskapp.agreements.forms import (
    VERDICT_CHOICES,
    AgreementForm,
    ClausesForm,
    DecisionForm,
    DocumentForm,
)
from riskapp.agreements.models import ClauseVerdict, Decision
from riskapp.assessments import evidence
from riskapp.extensions import db
from riskapp.reminders import services as reminders
from riskapp.vendors.models import Vendor
from riskapp.vendors.views import vendor_or_404

bp = Blueprint("agreements", __name__, url_prefix="/vendors/<int:vendor_id>",
               template_folder="templates")
NOTE_MAX = 1000

bp.add_app_template_global(services.overview, "agreement_overview")


def _owners() -> list[User]:
    return list(db.session.scalars(select(User).where(User.is_active.is_(True))
                                   .order_by(User.name, User.email)))


def _render(vendor: Vendor, *, document_form: DocumentForm | None = None,
            decision_form: DecisionForm | None = None, status: int = 200
            ) -> tuple[str, int]:
    view = services.overview(vendor)
    return render_template(
        "agreements/detail.html", vendor=vendor, view=view,
        history=services.history(vendor),
        deadlines=reminders.deadlines_of(vendor, view.today),
        document_form=document_form or DocumentForm(),
        decision_form=decision_form or DecisionForm(),
        clauses_form=ClausesForm(), verdicts=VERDICT_CHOICES), status


@bp.get("/agreement")
@requires(Permission.VENDORS_VIEW)
def detail(vendor_id: int) -> tuple[str, int]:
    return _render(vendor_or_404(vendor_id))


@bp.route("/agreement/edit", methods=["GET", "POST"])
@requires(Permission.VENDORS_EDIT)
def edit(vendor_id: int) -> str | Response:
    vendor = vendor_or_404(vendor_id)
    form = AgreementForm(owners=_owners())
    if request.method == "GET":
        form.fill_from(services.AgreementFields.of(services.agreement_of(vendor)))
    elif form.validate_on_submit():
        try:
            services.save_agreement(vendor, form.to_fields(), actor=current_user)
        except services.AgreementError as error:
            _attach_error(form, error)
        else:
            db.session.commit()
            flash(f"Saved the BAA and contract of {vendor.name}.", "success")
            return redirect(url_for(".detail", vendor_id=vendor.id))
    return render_template("agreements/form.html", vendor=vendor, form=form)


@bp.post("/agreement/document")
@requires(Permission.VENDORS_EDIT)
def upload(vendor_id: int) -> Response | tuple[str, int]:
    vendor = vendor_or_404(vendor_id)
    form = DocumentForm()
    if form.validate_on_submit():
        try:
            document = services.store_document(vendor, form.document.data, actor=current_user)
        except services.AgreementError as error:
            form.document.errors = [*form.document.errors, str(error)]
        else:
            db.session.commit()
            if document.text_problem:
                flash(f"Uploaded {document.filename}. {document.text_problem}", "warning")
            else:
                flash(f"Uploaded {document.filename}. The clause checklist below was filled "
                      "from its text: confirm or correct each clause.", "success")
            return redirect(url_for(".detail", vendor_id=vendor.id, _anchor="clauses"))
    return _render(vendor, document_form=form, status=400)


@bp.get("/agreement/documents/<int:document_id>")
@requires(Permission.VENDORS_VIEW)
def download(vendor_id: int, document_id: int) -> Response:
    document = services.document_of(vendor_or_404(vendor_id), document_id)
    if document is None:
        abort(404)
    response = send_file(evidence.stored_path(document.sha256), mimetype="application/pdf",
                         as_attachment=True, download_name=document.filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/agreement/documents/<int:document_id>/clauses")
@requires(Permission.VENDORS_EDIT)
def confirm_clauses(vendor_id: int, document_id: int) -> Response:
    vendor = vendor_or_404(vendor_id)
    document = services.document_of(vendor, document_id)
    if document is None:
        abort(404)
    if not ClausesForm().validate_on_submit():
        abort(400)
    verdicts = {}
    for clause in CLAUSES:
        choice = request.form.get(f"verdict-{clause.key}", "")
        if choice in (ClauseVerdict.PRESENT.value, ClauseVerdict.ABSENT.value):
            verdicts[clause.key] = (ClauseVerdict(choice),
                                    request.form.get(f"note-{clause.key}", "").strip()[:NOTE_MAX])
    changed = services.confirm_clauses(vendor, document, verdicts, actor=current_user)
    db.session.commit()
    flash(f"Recorded {changed} clause verdict(s)." if changed else "Nothing changed.",
          "success")
    return redirect(url_for(".detail", vendor_id=vendor.id, _anchor="clauses"))


@bp.post("/decision")
@requires(Permission.VENDORS_EDIT)
def decide(vendor_id: int) -> Response | tuple[str, int]:
    vendor = vendor_or_404(vendor_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            row = services.decide(vendor, Decision(form.decision.data), form.reason.data or "",
                                  actor=current_user,
                                  conditions_due_on=form.conditions_due_on.data)
        except services.AgreementError as error:
            target = getattr(form, error.field or "decision")
            target.errors = [*target.errors, str(error)]
        else:
            db.session.commit()
            flash(f"Recorded: {row.decision_enum.label}.", "success")
            return redirect(url_for(".detail", vendor_id=vendor.id, _anchor="approval"))
    return _render(vendor, decision_form=form, status=400)


def _attach_error(form: AgreementForm, error: services.AgreementError) -> None:
    target = getattr(form, error.field or "", None)
    if target is not None:
        target.errors = [*target.errors, str(error)]
    else:
        flash(str(error), "error")
