"""The vendor inventory's rules: create, change, archive and find vendors."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import selectinload

from riskapp.accounts.models import User
from riskapp.audit import services as audit
from riskapp.database import db, utcnow
from riskapp.vendors.domains import ascii_search_text
from riskapp.vendors.models import (
    Category,
    Criticality,
    Vendor,
    VendorDomain,
    VendorStatus,
    vendor_name_key,
)

PAGE_SIZE = 25


class VendorError(ValueError):
    """A change the inventory's rules refuse; ``field`` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class VendorFields:
    """Validated vendor details, as the form and the CSV import both produce them."""

    name: str
    primary_domain: str
    category: Category
    criticality: Criticality
    status: VendorStatus
    extra_domains: list[str] = field(default_factory=list)
    services: str = ""
    stores_phi: bool = False
    processes_phi: bool = False
    transmits_phi: bool = False
    business_owner: str = ""
    contact_name: str = ""
    contact_email: str = ""
    notes: str = ""

    @classmethod
    def of(cls, vendor: Vendor) -> VendorFields:
        return cls(
            name=vendor.name,
            primary_domain=vendor.primary_domain,
            extra_domains=vendor.extra_domains,
            category=vendor.category_enum,
            criticality=vendor.criticality_enum,
            status=vendor.status_enum,
            services=vendor.services,
            stores_phi=vendor.stores_phi,
            processes_phi=vendor.processes_phi,
            transmits_phi=vendor.transmits_phi,
            business_owner=vendor.business_owner,
            contact_name=vendor.contact_name,
            contact_email=vendor.contact_email,
            notes=vendor.notes,
        )

    def as_form_data(self) -> dict[str, Any]:
        data = asdict(self)
        data["extra_domains"] = "\n".join(self.extra_domains)
        return {k: v.value if isinstance(v, enum.Enum) else v for k, v in data.items()}


def vendor_target(vendor: Vendor) -> audit.AuditTarget:
    return audit.AuditTarget("vendor", str(vendor.id), vendor.name)


def get_vendor(vendor_id: int) -> Vendor | None:
    return db.session.get(Vendor, vendor_id, options=[selectinload(Vendor.domains)])


def find_vendor_by_name(name: str) -> Vendor | None:
    return db.session.scalar(select(Vendor).where(Vendor.name_key == vendor_name_key(name)))


def vendor_ids_by_name_key() -> dict[str, int]:
    """Return every vendor's id keyed by its name key, archived ones included."""
    return dict(db.session.execute(select(Vendor.name_key, Vendor.id)).all())


def create_vendor(fields: VendorFields, *, actor: User | None) -> Vendor:
    _refuse_duplicate_name(fields.name, None)
    vendor = Vendor()
    _apply(vendor, fields)
    db.session.add(vendor)
    db.session.flush()
    audit.record(
        "vendor.created",
        actor=actor,
        target=vendor_target(vendor),
        summary=f"Added vendor {vendor.name}",
        changes=audit.diff({}, _audited(fields)),
    )
    return vendor


def update_vendor(vendor: Vendor, fields: VendorFields, *, actor: User | None) -> None:
    _refuse_duplicate_name(fields.name, vendor.id)
    before = _audited(VendorFields.of(vendor))
    _apply(vendor, fields)
    changes = audit.diff(before, _audited(fields))
    if not changes:
        return
    vendor.updated_at = utcnow()
    audit.record(
        "vendor.updated",
        actor=actor,
        target=vendor_target(vendor),
        summary=f"Changed {', '.join(changes)}",
        changes=changes,
    )


def set_archived(vendor: Vendor, archived: bool, *, actor: User) -> None:
    """Archive (hide from the working list, keep everything) or restore a vendor."""
    if (vendor.archived_at is not None) == archived:
        return
    vendor.archived_at = utcnow() if archived else None
    vendor.updated_at = utcnow()
    audit.record(
        "vendor.archived" if archived else "vendor.restored",
        actor=actor,
        target=vendor_target(vendor),
        summary=f"{'Archived' if archived else 'Restored'} vendor {vendor.name}",
    )


def _refuse_duplicate_name(name: str, own_id: int | None) -> None:
    existing = find_vendor_by_name(name)
    if existing is not None and existing.id != own_id:
        raise VendorError(f"A vendor named '{existing.name}' already exists.", field="name")


def _apply(vendor: Vendor, fields: VendorFields) -> None:
    vendor.name = fields.name
    vendor.category = fields.category.value
    vendor.criticality = fields.criticality.value
    vendor.status = fields.status.value
    vendor.services = fields.services
    vendor.stores_phi = fields.stores_phi
    vendor.processes_phi = fields.processes_phi
    vendor.transmits_phi = fields.transmits_phi
    vendor.business_owner = fields.business_owner
    vendor.contact_name = fields.contact_name
    vendor.contact_email = fields.contact_email
    vendor.notes = fields.notes
    _apply_domains(vendor, fields.primary_domain, fields.extra_domains)


def _apply_domains(vendor: Vendor, primary: str, extras: list[str]) -> None:
    wanted = {primary: True} | {domain: False for domain in extras if domain != primary}
    kept = []
    for row in vendor.domains:
        if row.domain in wanted:
            row.is_primary = wanted.pop(row.domain)
            kept.append(row)
    vendor.domains = kept + [
        VendorDomain(domain=domain, is_primary=is_primary) for domain, is_primary in wanted.items()
    ]


def _audited(fields: VendorFields) -> dict[str, Any]:
    # Other domains are a set: listing them in another order changes nothing.
    return audit.jsonable(asdict(fields) | {"extra_domains": sorted(fields.extra_domains)})


# --- finding vendors -------------------------------------------------------------------------


class SortKey(enum.StrEnum):
    NAME = "name"
    CATEGORY = "category"
    CRITICALITY = "criticality"
    STATUS = "status"
    UPDATED = "updated"


@dataclass(frozen=True)
class VendorQuery:
    """What the vendor list is asked to show; parsed from the query string."""

    text: str = ""
    category: Category | None = None
    criticality: Criticality | None = None
    status: VendorStatus | None = None
    archived: bool = False
    sort: SortKey = SortKey.NAME
    descending: bool = False

    @classmethod
    def from_args(cls, args: Any) -> VendorQuery:
        """Build a query from request args, ignoring values that are not valid choices."""
        return cls(
            text=(args.get("q") or "").strip()[:200],
            category=_enum_or_none(Category, args.get("category")),
            criticality=_enum_or_none(Criticality, args.get("criticality")),
            status=_enum_or_none(VendorStatus, args.get("status")),
            archived=args.get("archived") == "1",
            sort=_enum_or_none(SortKey, args.get("sort")) or SortKey.NAME,
            descending=args.get("dir") == "desc",
        )

    def as_args(self, **overrides: Any) -> dict[str, str]:
        """Return this query as URL parameters, leaving out defaults."""
        args = {
            "q": self.text,
            "category": self.category or "",
            "criticality": self.criticality or "",
            "status": self.status or "",
            "archived": "1" if self.archived else "",
            "sort": "" if self.sort == SortKey.NAME else self.sort,
            "dir": "desc" if self.descending else "",
        }
        args.update(overrides)
        return {key: str(value) for key, value in args.items() if value}


def _enum_or_none(enum_type: Any, value: str | None) -> Any:
    try:
        return enum_type(value) if value else None
    except ValueError:
        return None


_CRITICALITY_RANK = case(
    {member.value: member.rank for member in Criticality}, value=Vendor.criticality
)
_SORT_COLUMNS = {
    # The name as uniqueness sees it, casefolded: ix_vendors_working_by_name gives working
    # vendors in this order unsorted.
    SortKey.NAME: Vendor.name_key,
    SortKey.CATEGORY: Vendor.category,
    SortKey.CRITICALITY: _CRITICALITY_RANK,
    SortKey.STATUS: Vendor.status,
    SortKey.UPDATED: Vendor.updated_at,
}


def vendor_select(query: VendorQuery) -> Select[tuple[Vendor]]:
    """Return the SELECT for the vendors matching ``query``, in its order."""
    statement = select(Vendor).options(selectinload(Vendor.domains))
    if query.text:
        name_pattern = "%" + _escape_like(query.text.lower()) + "%"
        domain_pattern = "%" + _escape_like(ascii_search_text(query.text)) + "%"
        statement = statement.where(or_(
            func.lower(Vendor.name).like(name_pattern, escape="\\"),
            Vendor.domains.any(VendorDomain.domain.like(domain_pattern, escape="\\")),
        ))
    for column, value in (
        (Vendor.category, query.category),
        (Vendor.criticality, query.criticality),
        (Vendor.status, query.status),
    ):
        if value is not None:
            statement = statement.where(column == value.value)
    archived = Vendor.archived_at.is_not(None)
    statement = statement.where(archived if query.archived else ~archived)
    order = _SORT_COLUMNS[query.sort]
    return statement.order_by(order.desc() if query.descending else order.asc(), Vendor.id)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def count_by(column: Any) -> dict[str, int]:
    """Return how many working (unarchived) vendors have each value of ``column``."""
    rows = db.session.execute(
        select(column, func.count()).where(Vendor.archived_at.is_(None)).group_by(column)
    )
    return dict(rows.all())
