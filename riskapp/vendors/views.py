"""Vendor inventory pages."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers.response import Response as BaseResponse

from riskapp.access import Permission, requires
from riskapp.downloads import csv_download
from riskapp.extensions import db
from riskapp.vendors import csv_exchange, services
from riskapp.vendors.domains import display_domain
from riskapp.vendors.forms import ConfirmImportForm, ImportForm, VendorForm
from riskapp.vendors.models import Category, Criticality, Vendor, VendorStatus

bp = Blueprint("vendors", __name__, url_prefix="/vendors", template_folder="templates")


bp.add_app_template_filter(display_domain, "domain")


def vendor_or_404(vendor_id: int) -> Vendor:
    """The vendor the URL names, or a 404; every area's vendor pages use it."""
    vendor = services.get_vendor(vendor_id)
    if vendor is None:
        abort(404)
    return vendor


@bp.get("/")
@requires(Permission.VENDORS_VIEW)
def index() -> str:
    query = services.VendorQuery.from_args(request.args)
    page = db.paginate(
        services.vendor_select(query), per_page=services.PAGE_SIZE, max_per_page=100,
        error_out=False,
    )
    return render_template(
        "vendors/index.html", page=page, query=query,
        categories=Category, criticalities=Criticality, statuses=VendorStatus,
    )


@bp.get("/<int:vendor_id>")
@requires(Permission.VENDORS_VIEW)
def detail(vendor_id: int) -> str:
    return render_template("vendors/detail.html", vendor=vendor_or_404(vendor_id))


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.VENDORS_EDIT)
def create() -> str | BaseResponse:
    form = VendorForm()
    if form.validate_on_submit():
        try:
            vendor = services.create_vendor(form.to_fields(), actor=current_user)
        except services.VendorError as error:
            _attach_error(form, error)
        else:
            db.session.commit()
            flash(f"Added {vendor.name}.", "success")
            return redirect(url_for(".detail", vendor_id=vendor.id))
    return render_template("vendors/form.html", form=form, vendor=None)


@bp.route("/<int:vendor_id>/edit", methods=["GET", "POST"])
@requires(Permission.VENDORS_EDIT)
def edit(vendor_id: int) -> str | BaseResponse:
    vendor = vendor_or_404(vendor_id)
    form = VendorForm()
    if request.method == "GET":
        form.fill_from(services.VendorFields.of(vendor))
    elif form.validate_on_submit():
        try:
            services.update_vendor(vendor, form.to_fields(), actor=current_user)
        except services.VendorError as error:
            _attach_error(form, error)
        else:
            db.session.commit()
            flash(f"Saved {vendor.name}.", "success")
            return redirect(url_for(".detail", vendor_id=vendor.id))
    return render_template("vendors/form.html", form=form, vendor=vendor)


@bp.post("/<int:vendor_id>/archive")
@requires(Permission.VENDORS_EDIT)
def archive(vendor_id: int) -> BaseResponse:
    return _set_archived(vendor_id, archived=True)


@bp.post("/<int:vendor_id>/restore")
@requires(Permission.VENDORS_EDIT)
def restore(vendor_id: int) -> BaseResponse:
    return _set_archived(vendor_id, archived=False)


def _set_archived(vendor_id: int, *, archived: bool) -> BaseResponse:
    vendor = vendor_or_404(vendor_id)
    services.set_archived(vendor, archived, actor=current_user)
    db.session.commit()
    if archived:
        flash(f"Archived {vendor.name}. It no longer shows in the vendor list.", "success")
    else:
        flash(f"Restored {vendor.name}.", "success")
    return redirect(url_for(".detail", vendor_id=vendor.id))


@bp.route("/import", methods=["GET", "POST"])
@requires(Permission.VENDORS_EDIT)
def import_csv() -> str:
    """Check an uploaded CSV and show every problem; offer the import only when all is well."""
    form = ImportForm()
    report = None
    confirm = ConfirmImportForm()
    if form.validate_on_submit():
        text = csv_exchange.decode_upload(form.file.data.read())
        report = csv_exchange.import_vendors(
            text, actor=current_user, dry_run=True, update_existing=form.update_existing.data
        )
        confirm.csv_text.data = text
        confirm.update_existing.data = "1" if form.update_existing.data else ""
    return _render_import(form, report, confirm)


@bp.post("/import/confirm")
@requires(Permission.VENDORS_EDIT)
def confirm_import() -> str | BaseResponse:
    confirm = ConfirmImportForm()
    if not confirm.validate_on_submit():
        flash("Nothing to import: upload the CSV file again.", "error")
        return redirect(url_for(".import_csv"))
    report = csv_exchange.import_vendors(
        confirm.csv_text.data, actor=current_user, dry_run=False,
        update_existing=confirm.update_existing.data == "1",
    )
    if not report.ok:
        # Someone added a clashing vendor since the check: show why, import nothing.
        db.session.rollback()
        return _render_import(ImportForm(), report, confirm)
    db.session.commit()
    message = f"Imported {report.imported} vendor{'' if report.imported == 1 else 's'}."
    if report.updated:
        message += f" Updated {report.updated}."
    flash(message, "success")
    return redirect(url_for(".index", sort="updated", dir="desc"))


@bp.get("/export.csv")
@requires(Permission.VENDORS_VIEW)
def export_csv() -> Response:
    query = services.VendorQuery.from_args(request.args)
    vendors = db.session.scalars(services.vendor_select(query))
    return csv_download(csv_exchange.export_csv(vendors), "vendors")


def _render_import(
    form: ImportForm, report: csv_exchange.ImportReport | None, confirm: ConfirmImportForm
) -> str:
    return render_template(
        "vendors/import.html", form=form, report=report, confirm=confirm,
        columns=csv_exchange.COLUMNS, required=csv_exchange.REQUIRED_COLUMNS,
    )


def _attach_error(form: VendorForm, error: services.VendorError) -> None:
    target = getattr(form, error.field or "", None)
    if target is not None:
        target.errors = [*target.errors, str(error)]
    else:
        flash(str(error), "error")
