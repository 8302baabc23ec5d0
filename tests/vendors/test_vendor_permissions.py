"""Who may read the vendor inventory and who may change it."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from riskapp.access import Role
from riskapp.vendors.models import Vendor
from tests.vendors.conftest import only_vendor, vendor_events, vendor_form, vendor_names

CSV = b"name,primary_domain,category\nAcme Mail,mail.acme.example,email\n"


@pytest.fixture
def vendor(make_vendor: Callable[..., Vendor]) -> Vendor:
    return make_vendor("Acme Mail", notes="Original")


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("path", ["/vendors/", "/vendors/{id}", "/vendors/export.csv"])
def test_every_role_may_read_the_list_detail_and_export(
    login_as: Callable[..., FlaskClient], vendor: Vendor, role: Role, path: str,
) -> None:
    client = login_as(role)

    assert client.get(path.format(id=vendor.id)).status_code == 200


@pytest.mark.parametrize("path", ["/vendors/new", "/vendors/{id}/edit", "/vendors/import"])
def test_a_viewer_may_not_open_the_editing_pages(
    viewer: FlaskClient, vendor: Vendor, path: str,
) -> None:
    assert viewer.get(path.format(id=vendor.id)).status_code == 403


def test_a_viewer_may_not_create_a_vendor(viewer: FlaskClient, vendor: Vendor) -> None:
    response = viewer.post("/vendors/new", data=vendor_form(name="Zenith Hosting"))

    assert response.status_code == 403
    assert vendor_names() == ["Acme Mail"]


def test_a_viewer_may_not_edit_a_vendor(viewer: FlaskClient, vendor: Vendor) -> None:
    response = viewer.post(f"/vendors/{vendor.id}/edit", data=vendor_form(notes="Changed"))

    assert response.status_code == 403
    assert only_vendor().notes == "Original"


def test_a_viewer_may_not_archive_or_restore_a_vendor(
    viewer: FlaskClient, vendor: Vendor,
) -> None:
    assert viewer.post(f"/vendors/{vendor.id}/archive").status_code == 403
    assert viewer.post(f"/vendors/{vendor.id}/restore").status_code == 403
    assert only_vendor().archived_at is None


def test_a_viewer_may_not_import(viewer: FlaskClient) -> None:
    upload = viewer.post("/vendors/import", data={"file": (io.BytesIO(CSV), "v.csv")},
                         content_type="multipart/form-data")
    confirm = viewer.post("/vendors/import/confirm", data={"csv_text": CSV.decode()})

    assert (upload.status_code, confirm.status_code) == (403, 403)
    assert vendor_names() == []


def test_a_viewer_changes_leave_no_audit_trail(viewer: FlaskClient, vendor: Vendor) -> None:
    viewer.post(f"/vendors/{vendor.id}/edit", data=vendor_form(notes="Changed"))
    viewer.post(f"/vendors/{vendor.id}/archive")

    assert [event.action for event in vendor_events()] == ["vendor.created"]


def test_a_viewer_is_not_offered_the_editing_buttons(viewer: FlaskClient, vendor: Vendor) -> None:
    pages = viewer.get("/vendors/").text + viewer.get(f"/vendors/{vendor.id}").text

    for path in ("/vendors/new", f"/vendors/{vendor.id}/edit", f"/vendors/{vendor.id}/archive",
                 "/vendors/import"):
        assert f'"{path}"' not in pages


@pytest.mark.parametrize("role", [Role.OFFICER, Role.ADMIN])
def test_officers_and_admins_may_edit(
    login_as: Callable[..., FlaskClient], vendor: Vendor, role: Role,
) -> None:
    client = login_as(role)

    response = client.post(f"/vendors/{vendor.id}/edit", data=vendor_form(notes="Changed"))

    assert response.status_code == 302
    assert only_vendor().notes == "Changed"


@pytest.mark.parametrize("role", [Role.OFFICER, Role.ADMIN])
def test_officers_and_admins_may_create_archive_and_import(
    login_as: Callable[..., FlaskClient], vendor: Vendor, role: Role,
) -> None:
    client = login_as(role)

    assert client.get("/vendors/new").status_code == 200
    assert client.get("/vendors/import").status_code == 200
    assert client.post(f"/vendors/{vendor.id}/archive").status_code == 302
    assert only_vendor().archived_at is not None


@pytest.mark.parametrize("path", ["/vendors/", "/vendors/export.csv", "/vendors/new"])
def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(
    client: FlaskClient, path: str,
) -> None:
    response = client.get(path)

    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_a_visitor_who_is_not_signed_in_may_not_post_changes(
    client: FlaskClient, vendor: Vendor,
) -> None:
    response = client.post(f"/vendors/{vendor.id}/archive")

    assert response.status_code == 302
    assert only_vendor().archived_at is None
