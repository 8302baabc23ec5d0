"""What an officer does in the browser in every story: sign in, add a vendor."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import STEP_TIMEOUT_MS, LiveApp

VENDOR = "Northwind Secure Mail"
RESPONDENT = "Vera Vendor"


def new_page(chromium: Browser, live_app: LiveApp) -> Page:
    """A page in a fresh browser context: no cookies, no session."""
    context = chromium.new_context(base_url=live_app.url)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    return context.new_page()


def sign_in(page: Page, live_app: LiveApp) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(live_app.officer_email)
    page.get_by_label("Password").fill(live_app.officer_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def add_email_vendor(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Vendors").click()
    page.get_by_role("link", name="Add vendor").click()
    page.get_by_label(re.compile(r"^Name")).fill(VENDOR)
    page.get_by_label("Category").select_option(label="Email")
    page.get_by_label("Primary domain").fill("northwind-mail.example")
    page.get_by_label("Stores PHI").check()
    page.get_by_label("Vendor contact name").fill(RESPONDENT)
    page.get_by_label("Vendor contact email").fill("vera@northwind-mail.example")
    page.get_by_role("button", name="Add vendor").click()
    expect(page.get_by_text(f"Added {VENDOR}.")).to_be_visible()
