"""The vendor page's risk score, and the officer's button to rescore it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers.response import Response

from riskapp.access import Permission, requires
from riskapp.extensions import db
from riskapp.scoring import services
from riskapp.scoring.profile import ProfileError
from riskapp.vendors.services import get_vendor

bp = Blueprint("scoring", __name__, url_prefix="/vendors/<int:vendor_id>/score",
               template_folder="templates")
# The vendor page's score section asks for the vendor's scores itself.
bp.add_app_template_global(services.latest_score, "vendor_score")
bp.add_app_template_global(services.score_history, "vendor_score_history")


@bp.post("/rescore")
@requires(Permission.VENDORS_EDIT)
def rescore(vendor_id: int) -> Response:
    vendor = get_vendor(vendor_id)
    if vendor is None:
        abort(404)
    try:
        row = services.score_vendor(vendor, actor=current_user, reason="rescored by an officer")
    except ProfileError as error:
        flash(f"The scoring profile has errors; nothing was rescored. {error}", "error")
    else:
        db.session.commit()
        flash(f"Rescored {vendor.name}: {row.score:g} ({row.tier}) with profile "
              f"{row.profile_label}.", "success")
    return redirect(url_for("vendors.detail", vendor_id=vendor_id, _anchor="score"))
