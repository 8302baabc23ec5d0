"""Scan pages: scan a vendor now, read a scan, compare two, accept the risk of a finding."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers.response import Response

from riskapp.access import Permission, requires
from riskapp.extensions import db
from riskapp.scans import services
from riskapp.scans.forms import AcceptRiskForm
from riskapp.scans.queue import scan_queue
from riskapp.vendors.views import vendor_or_404

bp = Blueprint("scans", __name__, url_prefix="/vendors/<int:vendor_id>/scans",
               template_folder="templates")
# The vendor page's scan section asks for the vendor's scans itself.
bp.add_app_template_global(services.vendor_scans, "vendor_scans")


def _back_to_vendor(vendor_id: int) -> Response:
    return redirect(url_for("vendors.detail", vendor_id=vendor_id, _anchor="scans"))


@bp.post("/")
@requires(Permission.SCANS_RUN)
def start(vendor_id: int) -> Response:
    vendor = vendor_or_404(vendor_id)
    try:
        scan_id = services.request_scan(vendor, actor=current_user).id
    except services.ScanError as error:
        flash(str(error), "error")
        return _back_to_vendor(vendor_id)
    db.session.commit()
    # Queued after the commit: the worker must find the scan. In immediate mode (tests) the
    # job runs here and now, so nothing of this session may be touched in between.
    try:
        scan_queue().submit(scan_id)
    except Exception as error:  # whatever the queue's storage raises: say so on the scan
        current_app.logger.exception("could not queue scan %s", scan_id)
        services.record_failure(scan_id, "Could not be queued: " + services.describe_error(error),
                                will_retry=False)
        db.session.commit()
        flash("The scan could not be queued; the error is shown with the scan.", "error")
    else:
        flash("Scan queued. Its findings appear here when it has run.", "success")
    return _back_to_vendor(vendor_id)


@bp.get("/<int:scan_id>")
@requires(Permission.VENDORS_VIEW)
def detail(vendor_id: int, scan_id: int) -> str:
    vendor = vendor_or_404(vendor_id)
    scan = services.get_scan(vendor, scan_id)
    if scan is None:
        abort(404)
    return render_template("scans/detail.html", vendor=vendor, scan=scan,
                           acceptances=services.acceptances_by_fingerprint(vendor),
                           accept_form=AcceptRiskForm())


@bp.get("/compare")
@requires(Permission.VENDORS_VIEW)
def compare(vendor_id: int) -> str:
    """Compare two finished scans: ``old`` and ``new`` ids, the two newest by default."""
    vendor = vendor_or_404(vendor_id)
    finished = services.finished_scans(vendor)
    by_id = {scan.id: scan for scan in finished}
    old = by_id.get(request.args.get("old", type=int) or 0)
    new = by_id.get(request.args.get("new", type=int) or 0)
    if old is None or new is None:
        if "old" in request.args or "new" in request.args or len(finished) < 2:
            abort(404)
        new, old = finished[0], finished[1]
    return render_template("scans/compare.html", vendor=vendor, finished=finished,
                           comparison=services.compare(old, new),
                           acceptances=services.acceptances_by_fingerprint(vendor))


@bp.post("/findings/<int:finding_id>/accept")
@requires(Permission.FINDINGS_ACCEPT)
def accept(vendor_id: int, finding_id: int) -> Response:
    vendor = vendor_or_404(vendor_id)
    finding = services.get_finding(vendor, finding_id)
    if finding is None:
        abort(404)
    form = AcceptRiskForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return _back_to_vendor(vendor_id)
    try:
        services.accept_risk(finding, form.reason.data or "", actor=current_user)
    except services.ScanError as error:
        flash(str(error), "error")
        return _back_to_vendor(vendor_id)
    db.session.commit()
    flash(f"Accepted the risk of '{finding.title}' on {finding.target}.", "success")
    return _back_to_vendor(vendor_id)


@bp.post("/acceptances/<int:acceptance_id>/withdraw")
@requires(Permission.FINDINGS_ACCEPT)
def withdraw(vendor_id: int, acceptance_id: int) -> Response:
    vendor = vendor_or_404(vendor_id)
    acceptance = services.get_acceptance(vendor, acceptance_id)
    if acceptance is None:
        abort(404)
    title, target = acceptance.title, acceptance.target
    services.withdraw_acceptance(acceptance, actor=current_user)
    db.session.commit()
    flash(f"Withdrew the accepted risk of '{title}' on {target}.", "success")
    return _back_to_vendor(vendor_id)
