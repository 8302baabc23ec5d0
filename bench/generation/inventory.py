"""Accounts, published questionnaires and the vendor inventory."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from bench.generation.world import HISTORY_DAYS, Row, World, vendor_target
from riskapp.access import Role
from riskapp.audit.services import diff
from riskapp.questionnaires.definition import Questionnaire
from riskapp.vendors.models import Category, Criticality, VendorStatus, vendor_name_key
from riskapp.vendors.services import VendorFields

FIRST = ("Northwind", "Bluestone", "Cedar", "Summit", "Harbor", "Lumen", "Apex", "Meridian",
         "Pinnacle", "Keystone", "Redwood", "Silverline", "Evergreen", "Granite", "Horizon",
         "Ironclad", "Juniper", "Kestrel", "Lakeside", "Maple", "Nimbus", "Oakridge", "Polaris",
         "Quartz", "Riverbend", "Sequoia", "Tidewater", "Upland", "Vantage", "Willow", "Zenith",
         "Aurora", "Beacon", "Cobalt", "Driftwood", "Ember", "Falcon", "Glacier", "Highland",
         "Indigo", "Jasper", "Kinetic", "Larkspur", "Mosaic", "Nova", "Orchid", "Prairie",
         "Quill", "Radiant", "Sterling", "Trident", "Unity", "Vertex", "Westbrook", "Amber",
         "Birch", "Crescent", "Delta", "Echo", "Foxglove")
MIDDLE = ("", "", "", "Health", "Med", "Care", "Secure", "Data", "Digital", "Clinical",
          "Patient", "Signal", "Bridge", "Point", "Path", "Wave", "Stack", "Core", "Link")
LAST = {
    Category.EMAIL: ("Mail", "Messaging", "Mailer", "Post", "Inbox", "Secure Mail"),
    Category.HOSTING: ("Cloud", "Hosting", "Servers", "Compute", "Data Centers", "Networks"),
    Category.MARKETING: ("Marketing", "Media", "Outreach", "Engage", "Analytics", "Ads"),
    Category.OTHER: ("Billing", "Transcription", "Labs", "Staffing", "Shredding", "Consulting",
                     "Software", "Imaging", "Telehealth", "Payroll"),
}
# Vendor names are not all English (the reports embed CJK fonts for them).
FOREIGN = ("Zürich Datenhaus", "Nordlys Skylagring", "São Paulo Saúde", "Łódź Medyczne",
           "東京メディカル", "서울 헬스", "Ärztekasse", "Göteborg Vård", "Café Santé", "北京云")
FORMS = ("", "", "", " Inc.", " LLC", " Ltd", " GmbH", " Corp.")
SERVICES = {
    Category.EMAIL: ("Encrypted email for clinical staff", "Patient appointment reminders by "
                     "email", "Secure messaging with referring practices"),
    Category.HOSTING: ("Hosting of the patient portal", "Managed database for the EHR "
                       "integration", "Backups of imaging archives", "Web hosting"),
    Category.MARKETING: ("Newsletter for patients", "Website analytics", "Paid search "
                         "campaigns", "Patient satisfaction surveys"),
    Category.OTHER: ("Medical billing", "Dictation transcription", "Paper records "
                     "destruction", "Telehealth visits", "Payroll"),
}
PEOPLE = ("Alex Morgan", "Sam Patel", "Jordan Lee", "Taylor Kim", "Casey Nguyen",
          "Riley Garcia", "Morgan Chen", "Jamie Rossi", "Avery Cohen", "Drew Okafor",
          "Quinn Silva", "Rowan Novak", "Hayden Müller", "Emerson Dubois", "Skyler Haddad")
OWNERS = ("Revenue Cycle", "Patient Access", "IT Infrastructure", "Marketing",
          "Health Information Management", "Clinical Operations", "Finance")
CATEGORY_WEIGHTS = {Category.EMAIL: 25, Category.HOSTING: 35, Category.MARKETING: 20,
                    Category.OTHER: 20}
CRITICALITY_WEIGHTS = {Criticality.LOW: 25, Criticality.MEDIUM: 40, Criticality.HIGH: 25,
                       Criticality.CRITICAL: 10}
# Chance that a vendor of the category stores, processes or transmits PHI.
PHI_ODDS = {Category.EMAIL: (0.6, 0.3, 0.85), Category.HOSTING: (0.8, 0.6, 0.5),
            Category.MARKETING: (0.15, 0.4, 0.2), Category.OTHER: (0.45, 0.5, 0.3)}
AUDITED_FIELDS = tuple(field.name for field in dataclasses.fields(VendorFields))


def make_users(world: World, *, vendors: int, password_hash: str) -> list[Row]:
    """An administrator, officers and viewers (one officer deactivated), all with a password
    of their own choosing."""
    officers = max(3, round(vendors / 500))
    viewers = max(2, round(vendors / 1000))
    specs = ([("admin@bench.example", "Bench Administrator", Role.ADMIN),
              ("officer@bench.example", "Olivia Officer", Role.OFFICER)]
             + [(f"officer{n}@bench.example", world.rng.choice(PEOPLE), Role.OFFICER)
                for n in range(2, officers + 2)]
             + [(f"viewer{n}@bench.example", world.rng.choice(PEOPLE), Role.VIEWER)
                for n in range(1, viewers + 1)])
    admin = None
    for index, (email, name, role) in enumerate(specs):
        created = world.now - dt.timedelta(days=HISTORY_DAYS + 30 - index)
        row = {"id": world.next_id("users"), "email": email, "name": name, "role": role.value,
               "password_hash": password_hash, "must_change_password": False,
               "is_active": index != len(specs) - viewers - 1,  # the last officer left
               "created_at": created, "last_login_at": world.days_ago(0, 20)}
        world.users.append(row)
        if role is Role.OFFICER and row["is_active"]:
            world.officers.append(row)
        world.event("user.created", created, admin, target=("user", row["id"], email),
                    summary=f"Created {email} as {role.value}",
                    changes={"role": role.value, "name": name})
        admin = admin or row
    return world.users


def make_versions(world: World, questionnaires: list[Questionnaire]) -> list[Row]:
    """Each questionnaire published as :func:`riskapp.questionnaires.services.publish` does,
    at the start of the history."""
    admin = world.users[0]
    for questionnaire in questionnaires:
        at = world.now - dt.timedelta(days=HISTORY_DAYS + 20)
        row = {"id": world.next_id("questionnaire_versions"),
               "questionnaire_id": questionnaire.id, "version": questionnaire.version,
               "title": questionnaire.title, "content_hash": questionnaire.content_hash,
               "definition": questionnaire.snapshot(), "published_at": at,
               "published_by_id": admin["id"]}
        world.versions.append(row)
        world.event("questionnaire.published", at, admin,
                    target=("questionnaire", questionnaire.id, questionnaire.title),
                    summary=f"Published {questionnaire.id} {questionnaire.version}",
                    changes={"version": questionnaire.version,
                             "content_hash": questionnaire.content_hash})
    return world.versions


def make_vendors(world: World, count: int) -> tuple[list[Row], list[Row]]:
    """``count`` vendors with unique names and domains, and their domain rows."""
    rng = world.rng
    names: set[str] = set()
    slugs: set[str] = set()
    domains: list[Row] = []
    for _ in range(count):
        vendor_id = world.next_id("vendors")
        category = rng.choices(list(CATEGORY_WEIGHTS), weights=CATEGORY_WEIGHTS.values())[0]
        name = _unique_name(world, category, names)
        slug = _slug(name, vendor_id, slugs)
        odds = PHI_ODDS[category]
        stores, processes, transmits = (rng.random() < p for p in odds)
        status = rng.choices([VendorStatus.ACTIVE, VendorStatus.ONBOARDING,
                              VendorStatus.OFFBOARDED], weights=(80, 12, 8))[0]
        contact = rng.choice(PEOPLE)
        created = world.days_ago(30, HISTORY_DAYS)
        vendor = {
            "id": vendor_id, "name": name, "name_key": vendor_name_key(name),
            "category": category.value, "services": rng.choice(SERVICES[category]),
            "stores_phi": stores, "processes_phi": processes, "transmits_phi": transmits,
            "criticality": rng.choices(list(CRITICALITY_WEIGHTS),
                                       weights=CRITICALITY_WEIGHTS.values())[0].value,
            "status": status.value, "business_owner": rng.choice(OWNERS),
            "contact_name": contact,
            "contact_email": f"{contact.split()[0].lower()}@{slug}.example",
            "notes": rng.choice(("", "", "", "Renewal negotiated by procurement.",
                                 "Onboarded for the 2025 portal project.")),
            "created_at": created, "updated_at": world.moment(created),
            "archived_at": None,
        }
        world.vendors.append(vendor)
        hosts = [f"{slug}.example"]
        if rng.random() < 0.3:
            hosts.append(rng.choice((f"mail.{slug}.example", f"{slug}-cdn.example",
                                     f"portal.{slug}.example")))
        for index, host in enumerate(hosts):
            domains.append({"id": world.next_id("vendor_domains"), "vendor_id": vendor_id,
                            "domain": host, "is_primary": index == 0})
        vendor["domains"] = hosts
        _created_event(world, vendor)
    return world.vendors, domains


def archive_some(world: World, count: int, *, keep: set[int]) -> None:
    """Archive ``count`` vendors, offboarded ones first, never those in ``keep``."""
    candidates = sorted((v for v in world.vendors if v["id"] not in keep),
                        key=lambda v: (v["status"] != VendorStatus.OFFBOARDED.value, v["id"]))
    for vendor in candidates[:count]:
        vendor["archived_at"] = vendor["updated_at"] = world.moment(vendor["created_at"])
        world.event("vendor.archived", vendor["archived_at"], world.officer(),
                    target=vendor_target(vendor), summary=f"Archived vendor {vendor['name']}")


def handles_phi(vendor: Row) -> bool:
    return bool(vendor["stores_phi"] or vendor["processes_phi"] or vendor["transmits_phi"])


def _unique_name(world: World, category: Category, taken: set[str]) -> str:
    rng = world.rng
    for attempt in range(50):
        if rng.random() < 0.01:
            name = f"{rng.choice(FOREIGN)} {rng.choice(LAST[category])}"
        else:
            words = [rng.choice(FIRST), rng.choice(MIDDLE), rng.choice(LAST[category])]
            name = " ".join(word for word in words if word) + rng.choice(FORMS)
        if attempt > 20:
            name += f" {rng.choice(('East', 'West', 'North', 'South'))} {attempt}"
        if vendor_name_key(name) not in taken:
            taken.add(vendor_name_key(name))
            return name
    raise RuntimeError("could not make up a new vendor name")


def _slug(name: str, vendor_id: int, taken: set[str]) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-")
    if len(slug) < 4 or slug in taken:
        slug = f"{slug or 'vendor'}-{vendor_id}"
    taken.add(slug)
    return slug


def _created_event(world: World, vendor: Row) -> None:
    """``vendor.created`` with the changes :func:`riskapp.vendors.services.create_vendor`
    records: every field of :class:`VendorFields` (other domains sorted) from nothing."""
    audited = {name: vendor[name] for name in AUDITED_FIELDS
               if name not in ("primary_domain", "extra_domains")}
    audited |= {"primary_domain": vendor["domains"][0],
                "extra_domains": sorted(vendor["domains"][1:])}
    world.event("vendor.created", vendor["created_at"], world.officer(),
                target=vendor_target(vendor), summary=f"Added vendor {vendor['name']}",
                changes=diff({}, audited))
