"""Two tablets on one register at 1180×820 (two browser contexts, each its own browser): each picks
its tablet, one opens the shift and the other is told it joins it; their carts stay apart; a cart
parked on one is resumed on the other; the customer display paired with a tablet follows its cart;
the network cut mid-sale queues the sale, which arrives exactly once when the network returns; a
shift closed on one tablet shows on the other at once."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func
from sqlmodel import Session, select

from smo_app.db import make_engine
from smo_app.models.pos import PosSale
from tests.e2e.conftest import shot
from tests.e2e.helpers import sign_in_pos

pytestmark = pytest.mark.e2e

SHOTS = Path("/work/tools/shots/w26-pos-tablets")
W, H = 1180, 820


def snap(page: Page, name: str) -> None:
    path = shot(page, f"pos-tablets-{name}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def _tablet(new_page, seller: str, pin: str, tablet: str) -> Page:
    page = new_page(W, H)
    sign_in_pos(page, seller, pin)
    expect(page).to_have_url(re.compile(r"/pos/?$"))
    # a browser new to the POS is asked which tablet it is: it picks one the demo shop named
    expect(page.get_by_role("heading", name="Как назвать этот планшет?")).to_be_visible()
    page.locator(".pos-known-device", has_text=tablet).click()
    expect(page.locator("#pos-device")).to_have_text(tablet)
    return page


def _sales(engine, prefix: str = "") -> int:
    with Session(engine) as s:
        query = select(func.count(PosSale.id))
        if prefix:
            query = query.where(PosSale.client_id.startswith(prefix))
        return s.exec(query).one()


def test_two_tablets_park_resume_display_and_an_offline_sale(new_page, app_db_url):
    engine = make_engine(app_db_url)
    a = _tablet(new_page, "Сергей Иванов", "4444", "Планшет у входа")
    snap(a, "naming-picked")
    if a.get_by_role("button", name="Открыть смену", exact=True).is_visible():
        a.get_by_label("Размен на начало смены, ₽").fill("0")
        a.get_by_role("button", name="Открыть смену", exact=True).click()
    expect(a.locator("#shift-state")).to_have_text("Смена открыта")
    expect(a.locator("#pos-shift-of")).to_contain_text("Смена: Сергей Иванов")

    # the second tablet joins Сергей's shift and is told so
    b = _tablet(new_page, "Светлана Орлова", "5555", "Планшет у примерочной")
    expect(b.locator("#pos-joined")).to_contain_text("Сергей Иванов")
    snap(b, "joined-shift")

    # the customer display paired with the first tablet (opened from its top bar)
    href = a.locator("#pos-display-link").get_attribute("href")
    assert "register=" in href and "device=" in href
    display = a.context.new_page()
    display.set_viewport_size({"width": W, "height": H})
    display.goto(href)
    expect(display.locator("#display-welcome")).to_be_visible()
    expect(display.locator("#display-qr")).to_be_visible()

    # each tablet rings up its own goods; the display follows the first tablet's cart
    b.locator(".pos-product").nth(1).click()
    expect(b.locator(".cart-line")).to_have_count(1)
    a.locator(".pos-product").nth(0).click()
    expect(a.locator(".cart-line")).to_have_count(1)
    expect(b.locator(".cart-line")).to_have_count(1)
    expect(display.locator(".display-line")).to_have_count(1)
    expect(display.locator("#display-total")).to_have_text(a.locator("#pos-total").inner_text())
    snap(display, "display-follows")

    # the first tablet parks its cart for Ольга; the second tablet's cart is untouched
    a.locator("#pos-parked-open").click()
    a.get_by_label("Имя для чека (например, «Анна, примерка»)").fill("Ольга, примерка")
    a.locator("#pos-park").click()
    expect(a.locator(".cart-line")).to_have_count(0)
    expect(b.locator(".cart-line")).to_have_count(1)
    expect(display.locator("#display-welcome")).to_be_visible()
    expect(b.locator("#pos-parked-open")).to_contain_text("(2)")  # the other tablet sees it without a reload
    a.keyboard.press("Escape")

    # the second tablet sells its own cart first (cash), then resumes Ольга's ticket
    b.locator("#pos-all-cash").click()
    before = _sales(engine)
    b.get_by_role("button", name="Оплатить", exact=True).click()
    expect(b).to_have_url(re.compile(r"/pos/receipt"))
    assert _sales(engine) == before + 1
    b.goto("/pos")
    expect(b.locator("#pos-device")).to_have_text("Планшет у примерочной")
    b.locator("#pos-parked-open").click()
    expect(b.locator(".pos-parked-row", has_text="Ольга, примерка")).to_be_visible()
    snap(b, "parked-list")
    b.locator(".pos-parked-row", has_text="Ольга, примерка").locator(".pos-resume").click()
    expect(b.locator(".cart-line")).to_have_count(1)
    b.keyboard.press("Escape")
    expect(a.locator(".cart-line")).to_have_count(0)

    # the network drops mid-sale on the second tablet: the screen says so at once
    b.context.set_offline(True)
    expect(b.locator("#pos-offline-state")).to_be_visible()
    total = b.locator("#pos-total").inner_text()
    cash = re.sub(r"[^\d,]", "", total).replace(",", ".")
    b.get_by_label("Наличными дали, ₽").fill(cash)
    before = _sales(engine)
    b.get_by_role("button", name="Оплатить", exact=True).click()
    expect(b.locator("#pos-unsent")).to_have_text("Не отправлено (1)")
    b.get_by_role("button", name="Оплатить", exact=True).click()  # a second tap keeps one sale
    expect(b.locator("#pos-unsent")).to_have_text("Не отправлено (1)")
    snap(b, "offline-queued")
    assert _sales(engine) == before
    # back online: sent once, the cart on screen empties
    b.context.set_offline(False)
    expect(b.locator("#pos-unsent")).to_have_count(0, timeout=20_000)
    expect(b.locator("#pos-offline-note")).to_contain_text("отправлены: 1")
    expect(b.locator(".cart-line")).to_have_count(0, timeout=10_000)
    assert _sales(engine) == before + 1 and _sales(engine, "off-") == 1
    snap(b, "offline-sent")

    # the first tablet closes the shift; the second shows it at once and cannot sell on
    a.goto("/pos/shift")
    a.get_by_label("Пересчитано в кассе, ₽").fill("0")
    a.get_by_role("button", name="Закрыть смену", exact=True).click()
    expect(b.locator("#pos-closed-elsewhere")).to_be_visible(timeout=10_000)
    expect(b.locator("#shift-state")).to_have_text("Смена закрыта")
    snap(b, "closed-elsewhere")
    engine.dispose()
