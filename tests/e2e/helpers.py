"""Sign-in steps shared by the browser tests: found by label and role, as a person finds them."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def sign_in_backoffice(page: Page, username: str, password: str) -> None:
    page.goto("/admin/login")
    page.get_by_label("Логин").fill(username)
    page.get_by_label("Пароль").fill(password)
    page.get_by_role("button", name="Войти").click()


def sign_in_owner(page: Page) -> None:
    sign_in_backoffice(page, "owner", "owner-demo-1")
    expect(page.get_by_role("heading", name=re.compile("^Здравствуйте"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"/admin/?$"))


def pin_key(page: Page, digit: str):
    return page.get_by_role("button", name=digit, exact=True)


def sign_in_pos(page: Page, full_name: str, pin: str) -> None:
    page.goto("/pos/login")
    page.get_by_role("button", name=full_name).click()
    for digit in pin:
        pin_key(page, digit).click()
    page.get_by_role("button", name="Войти").click()


def name_tablet(page: Page, name: str) -> None:
    """A browser new to the POS is asked once what the tablet is called."""
    page.get_by_label("Название планшета").fill(name)
    page.get_by_role("button", name="Сохранить", exact=True).click()
    expect(page.locator("#pos-device")).to_have_text(name)


def nav(page: Page):
    """The backoffice's navigation (the sidebar)."""
    return page.get_by_role("navigation")


def make_staff_member(app_db_url: str, username: str, password: str, *, full_name: str, role: str = "manager") -> None:
    """A staff member of the journey's own: other journeys lock the demo accounts and change their passwords."""
    from sqlmodel import Session

    from smo_app.db import make_engine
    from smo_app.services.core.actor import Actor
    from smo_app.services.staff import accounts

    engine = make_engine(app_db_url)
    try:
        with Session(engine) as s:
            accounts.create_staff(s, actor=Actor.system("e2e"), username=username, full_name=full_name, role=role,
                                  password=password)
    finally:
        engine.dispose()


def wedge_scan(page: Page, code: str) -> None:
    """A USB scanner (keyboard wedge): a burst of key presses ~2 ms apart ending in Enter, sent
    to whatever has the focus. Dispatched in the page so the timing is the scanner's, not the
    test driver's round trips."""
    page.evaluate("""async (code) => {
        if (document.activeElement) document.activeElement.blur();
        const target = document.activeElement || document.body;
        for (const key of [...code, "Enter"]) {
            target.dispatchEvent(new KeyboardEvent("keydown", {key, bubbles: true, cancelable: true}));
            await new Promise((r) => setTimeout(r, 2));
        }
    }""", code)
