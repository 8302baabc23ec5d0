"""Load the demo data once, into an empty database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from riskapp.access import Role
from riskapp.accounts import services as accounts
from riskapp.accounts.models import User
from riskapp.database import db
from riskapp.demo.data import DEMO_ADMIN_EMAIL, DEMO_VENDORS
from riskapp.vendors import services as vendors
from riskapp.vendors.models import Vendor


@dataclass(frozen=True)
class DemoLoad:
    admin_email: str
    admin_password: str
    vendor_count: int


def has_users() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(User)))


def has_vendors() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(Vendor)))


def load_demo_data() -> DemoLoad | None:
    """Create the demo admin and vendors, unless the database already has accounts or vendors."""
    if has_users() or has_vendors():
        return None
    admin, password = accounts.create_user(DEMO_ADMIN_EMAIL, Role.ADMIN, actor=None,
                                           name="Demo Administrator")
    for fields in DEMO_VENDORS:
        vendors.create_vendor(fields, actor=admin)
    return DemoLoad(admin.email, password, len(DEMO_VENDORS))
