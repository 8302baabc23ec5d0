"""What the pages keep between requests is thrown away the moment the data changes."""

from __future__ import annotations

from flask import Flask

from riskapp.audit import services as audit
from riskapp.database import db
from riskapp.memo import until_data_changes
from riskapp.vendors.models import Category, Criticality, Vendor, VendorStatus


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls


def test_a_result_is_kept_while_the_data_stays_the_same(app: Flask) -> None:
    compute = Counter()

    first = until_data_changes("count", "today", compute)
    again = until_data_changes("count", "today", compute)

    assert first == again == 1
    assert compute.calls == 1


def test_any_audited_change_makes_it_computed_afresh(app: Flask) -> None:
    compute = Counter()
    until_data_changes("count", "today", compute)

    audit.record("vendor.updated", actor=None, summary="Renamed a vendor")
    db.session.commit()

    assert until_data_changes("count", "today", compute) == 2


def test_each_key_has_its_own_result(app: Flask) -> None:
    compute = Counter()

    assert until_data_changes("count", "monday", compute) == 1
    assert until_data_changes("count", "tuesday", compute) == 2
    assert until_data_changes("count", "tuesday", compute) == 2


def test_a_result_computed_beside_unsaved_changes_is_not_kept(app: Flask) -> None:
    compute = Counter()
    db.session.add(Vendor(name="Pending", name_key="pending", category=Category.EMAIL.value,
                          criticality=Criticality.LOW.value, status=VendorStatus.ACTIVE.value))

    until_data_changes("count", "today", compute)
    until_data_changes("count", "today", compute)

    assert compute.calls == 2
    db.session.rollback()
