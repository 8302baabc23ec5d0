"""Forms for a vendor's BAA and contract, its signed document, clauses and decision."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from riskapp.accounts.models import User
from riskapp.agreements.models import BaaStatus, ClauseVerdict, Decision
from riskapp.agreements.services import AgreementFields
from riskapp.vendors.forms import _strip

REQUIRED_CHOICES = [SelectChoice("auto", "As the PHI flags say"),
                    SelectChoice("yes", "Yes"), SelectChoice("no", "No")]
DAYS = [Optional(), NumberRange(min=0, max=3650)]


def _required_value(value: bool | None) -> str:
    return {None: "auto", True: "yes", False: "no"}[value]


class AgreementForm(FlaskForm):
    baa_required = SelectField(
        "BAA required", choices=REQUIRED_CHOICES,
        description="By default a BAA is required when the vendor stores, processes or "
                    "transmits PHI.")
    baa_status = SelectField("BAA status",
                             choices=[SelectChoice(s.value, s.label) for s in BaaStatus])
    baa_effective_on = DateField("Effective from", [Optional()])
    baa_expires_on = DateField("Expires on", [Optional()],
                               description="Leave empty if the BAA runs until terminated.")
    baa_auto_renews = BooleanField("Renews automatically")
    baa_notice_days = IntegerField("Notice period to stop renewal (days)", DAYS)
    breach_notice_days = IntegerField(
        "Breach notification window (days)", DAYS,
        description="Days from discovery the vendor has to tell us of a breach; the law "
                    "allows at most 60 (45 CFR 164.410).")
    signed_by_vendor = StringField("Signed for the vendor by", [Optional(), Length(max=200)],
                                   filters=[_strip], description="Name and title.")
    signed_by_us = StringField("Signed for us by", [Optional(), Length(max=200)],
                               filters=[_strip])
    covered_services = TextAreaField("Services the BAA covers", [Optional(), Length(max=4000)],
                                     filters=[_strip], description="One per line.")
    covered_regions = TextAreaField(
        "Regions the BAA covers", [Optional(), Length(max=2000)], filters=[_strip],
        description="One per line: countries, EU, or cloud regions such as us-east-1.")
    data_locations = TextAreaField(
        "Data locations in use", [Optional(), Length(max=2000)], filters=[_strip],
        description="Where the vendor keeps our data, one per line. The countries its "
                    "questionnaire answers name are added to these.")
    contract_starts_on = DateField("Contract starts", [Optional()])
    contract_renews_on = DateField("Contract renews", [Optional()])
    contract_ends_on = DateField("Contract ends", [Optional()])
    contract_notice_days = IntegerField("Contract notice period (days)", DAYS)
    contract_owner_id = SelectField("Contract owner", coerce=str,
                                    description="Gets the reminders for this vendor.")
    notes = TextAreaField("Notes", [Optional(), Length(max=4000)], filters=[_strip])

    def __init__(self, *args: object, owners: list[User], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.contract_owner_id.choices = [SelectChoice("", "—")] + [
            SelectChoice(str(u.id), u.display_name) for u in owners]

    def fill_from(self, fields: AgreementFields) -> None:
        for name, value in fields.as_dict().items():
            getattr(self, name).data = value
        self.baa_required.data = _required_value(fields.baa_required)
        self.contract_owner_id.data = str(fields.contract_owner_id or "")

    def to_fields(self) -> AgreementFields:
        values = {name: getattr(self, name).data for name in AgreementFields().as_dict()}
        values["baa_required"] = {"auto": None, "yes": True, "no": False}[
            self.baa_required.data]
        values["contract_owner_id"] = int(self.contract_owner_id.data) \
            if self.contract_owner_id.data else None
        for text in ("signed_by_vendor", "signed_by_us", "covered_services", "covered_regions",
                     "data_locations", "notes"):
            values[text] = values[text] or ""
        return AgreementFields(**values)


class DocumentForm(FlaskForm):
    document = FileField("Signed BAA (PDF)", [FileRequired("Choose the signed BAA's PDF.")])


class DecisionForm(FlaskForm):
    decision = SelectField("Decision", choices=[SelectChoice(d.value, d.label)
                                                for d in Decision])
    reason = TextAreaField("Reason", [DataRequired("Say why: the reason is kept with the "
                                                   "decision."), Length(max=4000)],
                           filters=[_strip])
    conditions_due_on = DateField("Conditions due by", [Optional()],
                                  description="For a conditional approval.")


VERDICT_CHOICES = [SelectChoice("", "As found"),
                   SelectChoice(ClauseVerdict.PRESENT.value, "Present"),
                   SelectChoice(ClauseVerdict.ABSENT.value, "Absent")]


class ClausesForm(FlaskForm):
    """The checklist's verdicts come as ``verdict-<clause>`` and ``note-<clause>`` fields,
    one pair per clause of the document; only the CSRF token is declared here."""
