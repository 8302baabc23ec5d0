"""Forms of the assessment pages (the vendor's answers use the questionnaire's own forms)."""

from __future__ import annotations

import datetime as dt

from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectMultipleField, StringField
from wtforms.fields import EmailField
from wtforms.validators import DataRequired, Email, Length
from wtforms.widgets import CheckboxInput, ListWidget

from riskapp.questionnaires.models import QuestionnaireVersion


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class StartAssessmentForm(FlaskForm):
    questionnaires = SelectMultipleField(
        "Questionnaires", coerce=int, widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        description="Those meant for the vendor's category are ticked.")
    due_date = DateField("Due date", [DataRequired()])
    respondent_name = StringField("Vendor respondent's name", [DataRequired(), Length(max=200)],
                                  filters=[_strip])
    respondent_email = EmailField("Vendor respondent's email",
                                  [DataRequired(), Email(), Length(max=254)], filters=[_strip])

    def offer(self, versions: list[QuestionnaireVersion]) -> None:
        self.questionnaires.choices = [
            SelectChoice(v.id, f"{v.title} ({v.version})") for v in versions]


class DueDateForm(FlaskForm):
    due_date = DateField("New due date", [DataRequired()])


class ConfirmForm(FlaskForm):
    """A post with nothing to fill in but its CSRF token."""


class AttestationForm(FlaskForm):
    name = StringField("Your name", [DataRequired(), Length(max=200)], filters=[_strip])
    title = StringField("Your title", [DataRequired(), Length(max=200)], filters=[_strip])


def default_due_date() -> dt.date:
    return dt.date.today() + dt.timedelta(days=30)
