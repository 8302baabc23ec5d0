"""The deadlines page (upcoming and overdue, reminders sent) and the calendar feed."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers.response import Response as BaseResponse

from riskapp.access import Permission, public, requires, signed_in
from riskapp.extensions import db
from riskapp.reminders import services
from riskapp.reminders.calendar import deadline_feed

bp = Blueprint("reminders", __name__, template_folder="templates")
HORIZON_CHOICES = (30, 90, 365)
PER_PAGE = 100


@bp.get("/deadlines")
@requires(Permission.VENDORS_VIEW)
def index() -> str:
    horizon = request.args.get("days", type=int)
    horizon = horizon if horizon in HORIZON_CHOICES else 90
    return _deadlines_page(horizon, new_feed_url=None)


def _deadlines_page(horizon: int, *, new_feed_url: str | None) -> str:
    today = services.today()
    agenda = services.agenda(today, horizon_days=horizon)
    pages = services.DeadlinePages(agenda, request.args.get("page", 1, type=int), PER_PAGE)
    return render_template(
        "reminders/index.html", agenda=agenda, pages=pages, today=today, horizon=horizon,
        horizons=HORIZON_CHOICES, deliveries=services.recent_deliveries(),
        feed=services.active_feed(current_user), new_feed_url=new_feed_url, form=FlaskForm())


@bp.post("/deadlines/calendar")
@signed_in
def create_feed() -> str:
    """Make a new secret feed URL and show it this once (only its hash is kept)."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    token = services.create_feed(current_user)
    db.session.commit()
    return _deadlines_page(90, new_feed_url=url_for(".feed", token=token, _external=True))


@bp.post("/deadlines/calendar/revoke")
@signed_in
def revoke_feed() -> BaseResponse:
    if not FlaskForm().validate_on_submit():
        abort(400)
    if services.revoke_feed(current_user):
        db.session.commit()
        flash("Calendar feed revoked: calendars subscribed to it get nothing more.", "success")
    return redirect(url_for(".index"))


@bp.get("/calendar/<token>.ics")
@public
def feed(token: str) -> Response:
    """The deadlines as iCalendar, for the holder of a live feed token."""
    if services.open_feed(token) is None:
        abort(404)
    body = deadline_feed(services.current_deadlines(services.today()),
                         calendar_name="riskapp deadlines",
                         base_url=request.url_root.rstrip("/"))
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="riskapp-deadlines.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
