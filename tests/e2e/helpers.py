"""Sign-in steps shared by the browser tests."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def sign_in_backoffice(page: Page, username: str, password: str) -> None:
    page.goto("/admin/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#login-submit").click()


def sign_in_owner(page: Page) -> None:
    sign_in_backoffice(page, "owner", "owner-demo-1")
    expect(page.locator("#greeting")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/admin/?$"))


def sign_in_pos(page: Page, username: str, pin: str) -> None:
    page.goto("/pos/login")
    page.locator(f".seller-tile[data-username='{username}']").click()
    for digit in pin:
        page.locator(f"#pin-{digit}").click()
    page.locator("#pin-enter").click()
