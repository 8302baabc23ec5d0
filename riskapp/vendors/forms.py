"""The vendor form: used by the web pages and, row by row, by the CSV import."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import EmailField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from riskapp.vendors.domains import DomainError, normalise_domain, normalise_domain_list
from riskapp.vendors.models import Category, Criticality, VendorStatus
from riskapp.vendors.services import VendorFields


def _choices(enum_type: type[Category] | type[Criticality] | type[VendorStatus]):
    return [SelectChoice(member.value, member.label) for member in enum_type]


def _strip(value: str | None) -> str | None:
    """Trim, and write line breaks one way: browsers send CRLF, files and the CLI send LF."""
    if not isinstance(value, str):
        return value
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


class VendorForm(FlaskForm):
    name = StringField("Name", [DataRequired(), Length(max=200)], filters=[_strip])
    primary_domain = StringField(
        "Primary domain", [DataRequired()], filters=[_strip],
        description="The domain the vendor serves you from, e.g. mail.example.com.",
    )
    extra_domains = TextAreaField(
        "Other domains", [Optional()], filters=[_strip],
        description="One per line, or separated by commas.",
    )
    category = SelectField("Category", choices=_choices(Category))
    services = TextAreaField(
        "Services provided", [Optional(), Length(max=2000)], filters=[_strip]
    )
    stores_phi = BooleanField("Stores PHI")
    processes_phi = BooleanField("Processes PHI")
    transmits_phi = BooleanField("Transmits PHI")
    criticality = SelectField("Criticality", choices=_choices(Criticality),
                              default=Criticality.MEDIUM.value)
    status = SelectField("Status", choices=_choices(VendorStatus),
                         default=VendorStatus.ONBOARDING.value)
    business_owner = StringField(
        "Business owner", [Optional(), Length(max=200)], filters=[_strip],
        description="Who inside the organisation answers for this vendor.",
    )
    contact_name = StringField("Vendor contact name", [Optional(), Length(max=200)],
                               filters=[_strip])
    contact_email = EmailField(
        "Vendor contact email",
        [Optional(), Length(max=254), Email(check_deliverability=False)],
        filters=[_strip],
    )
    notes = TextAreaField("Notes", [Optional(), Length(max=5000)], filters=[_strip])

    def validate_primary_domain(self, field: StringField) -> None:
        try:
            field.data = normalise_domain(field.data or "")
        except DomainError as error:
            raise ValidationError(str(error)) from None

    def validate_extra_domains(self, field: TextAreaField) -> None:
        try:
            domains = normalise_domain_list(field.data or "")
        except DomainError as error:
            raise ValidationError(str(error)) from None
        field.data = "\n".join(domains)

    def to_fields(self) -> VendorFields:
        """Return the validated input; call only after ``validate()`` succeeded."""
        primary = self.primary_domain.data
        extras = [d for d in (self.extra_domains.data or "").split("\n") if d and d != primary]
        return VendorFields(
            name=self.name.data,
            primary_domain=primary,
            extra_domains=extras,
            category=Category(self.category.data),
            services=self.services.data or "",
            stores_phi=self.stores_phi.data,
            processes_phi=self.processes_phi.data,
            transmits_phi=self.transmits_phi.data,
            criticality=Criticality(self.criticality.data),
            status=VendorStatus(self.status.data),
            business_owner=self.business_owner.data or "",
            contact_name=self.contact_name.data or "",
            contact_email=(self.contact_email.data or "").lower(),
            notes=self.notes.data or "",
        )

    def fill_from(self, fields: VendorFields) -> None:
        """Show an existing vendor in the form."""
        for name, value in fields.as_form_data().items():
            getattr(self, name).data = value


class ImportForm(FlaskForm):
    file = FileField("CSV file", [FileRequired("Choose a CSV file to import.")])
    update_existing = BooleanField(
        "Update vendors that already exist (matched by name)",
        description="Leave unticked to refuse rows naming a vendor already in the inventory.",
    )


class ConfirmImportForm(FlaskForm):
    """Carries the checked CSV back for the real import; the server checks it again."""

    csv_text = TextAreaField(validators=[DataRequired()])
    update_existing = HiddenField()
