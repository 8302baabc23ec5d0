"""The landing page: the inventory, its risk and the work in hand at a glance."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template

from riskapp.access import signed_in
from riskapp.dashboard import services

bp = Blueprint("dashboard", __name__, template_folder="templates")


@bp.get("/")
@signed_in
def index() -> str:
    return render_template("dashboard/index.html", board=services.dashboard(dt.date.today()))
