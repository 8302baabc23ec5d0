"""Forms of the scan pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from riskapp.scans.services import MAX_REASON_LENGTH


def _strip(value: str | None) -> str | None:
    if not isinstance(value, str):
        return value
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


class AcceptRiskForm(FlaskForm):
    reason = TextAreaField(
        "Why the risk is acceptable",
        [DataRequired("Say why the risk is accepted."), Length(max=MAX_REASON_LENGTH)],
        filters=[_strip],
        description="Say what limits the risk, or who decided it is acceptable and why.",
    )
