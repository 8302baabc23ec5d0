"""Sample vendors for a first look at riskapp.

Domains use the reserved ``.example`` top-level domain (RFC 2606), so nothing in the demo can
ever point a scan at someone's real servers.
"""

from __future__ import annotations

from dataclasses import dataclass

from riskapp.access import Role
from riskapp.vendors.models import Category, Criticality, VendorStatus
from riskapp.vendors.services import VendorFields

DEMO_ADMIN_EMAIL = "admin@riskapp.example"


@dataclass(frozen=True)
class DemoAccount:
    """A demo account besides the admin; ``part`` says what it does in the demo."""

    email: str
    role: Role
    name: str
    part: str


# The officer records the BAAs and owns the contracts, so the reminders have an owner to go
# to; the viewer stands for leadership, who get the weekly digest.
DEMO_OFFICER = DemoAccount("officer@riskapp.example", Role.OFFICER, "Morgan Ellis",
                           "privacy officer, owns the demo contracts")
DEMO_VIEWER = DemoAccount("leadership@riskapp.example", Role.VIEWER, "Jordan Reyes",
                          "viewer for leadership, gets the weekly digest")
DEMO_ACCOUNTS = (DEMO_OFFICER, DEMO_VIEWER)

DEMO_VENDORS = (
    VendorFields(
        name="Northwind Secure Mail", primary_domain="northwind-mail.example",
        extra_domains=["mx.northwind-mail.example"], category=Category.EMAIL,
        services="Hosted email for clinical and billing staff, with encrypted delivery portal.",
        stores_phi=True, transmits_phi=True, criticality=Criticality.CRITICAL,
        status=VendorStatus.ACTIVE, business_owner="Director of IT",
        contact_name="Dana Whitfield", contact_email="security@northwind-mail.example",
    ),
    VendorFields(
        name="Bluebird Transactional Email", primary_domain="bluebird-send.example",
        category=Category.EMAIL,
        services="Appointment reminder and password reset emails from the patient portal.",
        transmits_phi=True, criticality=Criticality.HIGH, status=VendorStatus.ACTIVE,
        business_owner="Patient Access Manager", contact_name="Luis Ortega",
        contact_email="compliance@bluebird-send.example",
    ),
    VendorFields(
        name="Harborview Fax-to-Email", primary_domain="harborfax.example",
        category=Category.EMAIL, services="Inbound referral faxes delivered as email.",
        stores_phi=True, transmits_phi=True, criticality=Criticality.HIGH,
        status=VendorStatus.ONBOARDING, business_owner="Health Information Management",
    ),
    VendorFields(
        name="Summit Cloud Hosting", primary_domain="summitcloud.example",
        extra_domains=["portal.summitcloud.example"], category=Category.HOSTING,
        services="Managed VMs for the patient portal; managed PostgreSQL for its database",
        stores_phi=True, processes_phi=True, criticality=Criticality.CRITICAL,
        status=VendorStatus.ACTIVE, business_owner="Chief Information Officer",
        contact_name="Priya Raman", contact_email="baa@summitcloud.example",
    ),
    VendorFields(
        name="Pinecrest Web Hosting", primary_domain="pinecrest-hosting.example",
        category=Category.HOSTING,
        services="Shared hosting for the public marketing website (no patient data).",
        criticality=Criticality.LOW, status=VendorStatus.ACTIVE,
        business_owner="Marketing Director",
        notes="Standard shared plan; no BAA offered. Keep PHI and patient forms off this site.",
    ),
    VendorFields(
        name="Ironclad Backup", primary_domain="ironclad-backup.example",
        category=Category.HOSTING, services="Offsite encrypted backups of the EHR database.",
        stores_phi=True, criticality=Criticality.HIGH, status=VendorStatus.ACTIVE,
        business_owner="Infrastructure Manager", contact_email="support@ironclad-backup.example",
    ),
    VendorFields(
        name="Beacon Digital Marketing", primary_domain="beacon-digital.example",
        category=Category.MARKETING,
        services="Paid search and social campaigns; manages the website's tracking tags.",
        criticality=Criticality.HIGH, status=VendorStatus.ACTIVE,
        business_owner="Marketing Director",
        notes="Check which pages carry their pixels: none may sit on portal or booking pages.",
    ),
    VendorFields(
        name="Meadowlark Patient Surveys", primary_domain="meadowlark-surveys.example",
        category=Category.MARKETING,
        services="Post-visit satisfaction surveys sent to patients.",
        stores_phi=True, processes_phi=True, criticality=Criticality.MEDIUM,
        status=VendorStatus.ONBOARDING, business_owner="Patient Experience Lead",
    ),
    VendorFields(
        name="Clearpath Transcription", primary_domain="clearpath-transcribe.example",
        category=Category.OTHER, services="Dictation transcription for outpatient clinics.",
        stores_phi=True, processes_phi=True, transmits_phi=True,
        criticality=Criticality.HIGH, status=VendorStatus.ACTIVE,
        business_owner="Clinic Operations",
    ),
    VendorFields(
        name="Quillstone Print & Mail", primary_domain="quillstone.example",
        category=Category.OTHER, services="Printed patient statements; the contract has ended.",
        stores_phi=True, criticality=Criticality.MEDIUM, status=VendorStatus.OFFBOARDED,
        business_owner="Revenue Cycle",
    ),
)
