"""Sign-in steps shared by the browser tests: found by label and role, as a person finds them."""
from __future__ import annotations

import re
from contextlib import contextmanager

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
    """A USB scanner (keyboard wedge): a burst of key presses ending in Enter, sent to whatever has
    the focus. Dispatched in the page in one go, as a busy page receives a scanner's queued keys:
    a timer between keys would let a loaded machine stretch the burst into what looks like typing."""
    page.evaluate("""(code) => {
        if (document.activeElement) document.activeElement.blur();
        const target = document.activeElement || document.body;
        for (const key of [...code, "Enter"]) {
            target.dispatchEvent(new KeyboardEvent("keydown", {key, bubbles: true, cancelable: true}));
        }
    }""", code)


@contextmanager
def register_as_found(app_db_url: str, *, tablets: tuple[str, ...] = (), shift: str = "keep"):
    """The demo register (``Касса 1``) for a POS journey, left as the journey found it even when the
    journey fails half-way: the carts of the named ``tablets`` emptied before and after (a line left
    in a cart must not be counted by the next journey), and the shift ``"keep"`` (the journey may
    sell in a shift already open; one it opens itself is closed again after it), ``"open"`` (opened
    here if closed, closed again after if opened here) or ``"closed"`` (the journey opens its own: a
    leftover shift is closed first, and the journey's is closed after it if it did not close it).
    Yields ``{"engine", "register_id", "seller", "devices": {name: id}}``; closing counts the
    expected cash, so no variance is recorded."""
    from sqlmodel import Session, select

    from smo_app.db import make_engine
    from smo_app.models.pos import PosDevice, PosRegister
    from smo_app.models.staff import Staff
    from smo_app.services.pos import cart, reports, shifts
    from smo_app.services.staff.dto import StaffOut

    engine = make_engine(app_db_url)
    with Session(engine, expire_on_commit=False) as s:
        register_id = s.exec(select(PosRegister.id).where(PosRegister.name == "Касса 1")).one()
        seller = StaffOut.of(s.exec(select(Staff).where(Staff.username == "seller")).one()).actor()

    def devices() -> dict[str, int]:
        with Session(engine) as s:
            return {d.name: d.id for d in s.exec(select(PosDevice).where(PosDevice.register_id == register_id)).all()}

    def is_open() -> bool:
        with Session(engine) as s:
            return shifts.current_shift(s, actor=seller, register_id=register_id) is not None

    def close() -> None:
        with Session(engine) as s:
            expected = reports.x_report(s, actor=seller, register_id=register_id).expected_cash_minor
            shifts.close_shift(s, actor=seller, register_id=register_id, counted_cash_minor=expected)

    def clear() -> None:
        ids = devices()
        with Session(engine) as s:
            for name in tablets:
                if name in ids:
                    cart.clear_cart(s, actor=seller, register_id=register_id, device_id=ids[name])

    was_open = is_open()
    if shift == "closed" and was_open:
        clear()
        close()
    elif shift == "open" and not was_open:
        with Session(engine) as s:
            shifts.open_shift(s, actor=seller, register_id=register_id, float_minor=0)
    clear()
    try:
        yield {"engine": engine, "register_id": register_id, "seller": seller, "devices": devices()}
    finally:
        clear()
        if is_open() and (shift == "closed" or (shift == "open" and not was_open) or (shift == "keep" and not was_open)):
            close()
        engine.dispose()
