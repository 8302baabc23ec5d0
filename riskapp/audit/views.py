"""The audit log, for admins."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, stream_with_context

from riskapp.access import Permission, requires
from riskapp.audit import search
from riskapp.downloads import csv_download
from riskapp.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/admin/audit", template_folder="templates")

PAGE_SIZE = 50


@bp.get("/")
@requires(Permission.AUDIT_VIEW)
def index() -> str:
    filters = search.AuditFilter.from_args(request.args)
    page = db.paginate(search.event_select(filters), per_page=PAGE_SIZE, error_out=False)
    return render_template(
        "audit/index.html", page=page, filters=filters,
        actions=search.known_actions(), object_types=search.known_object_types(),
    )


@bp.get("/export.csv")
@requires(Permission.AUDIT_VIEW)
def export_csv() -> Response:
    filters = search.AuditFilter.from_args(request.args)
    events = db.session.scalars(
        search.event_select(filters).execution_options(yield_per=search.EXPORT_BATCH)
    )
    return csv_download(stream_with_context(search.export_csv_chunks(events)), "audit-log")
