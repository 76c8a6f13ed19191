"""Two tablets on one register at 1180×820 beyond selling: one sells, then exchanges on the
returns screen (the receipt's code scanned, a line tapped back, a new item) — the exchange sells that
tablet's own cart, and the other tablet's cart is untouched; the other tablet's discount
above the seller's limit is approved by the manager's PIN on the pad, on that tablet's cart."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from smo_app.models.pos import PosReturn, PosSale
from tests.e2e.conftest import shot
from tests.e2e.helpers import register_as_found, sign_in_pos, wedge_scan

pytestmark = pytest.mark.e2e

W, H = 1180, 820
TABLETS = ("Планшет у входа", "Планшет у примерочной")


@pytest.fixture
def register(app_db_url):
    """The demo register with both demo tablets' carts empty and its shift open (closed again after
    the journey if it was opened here, so other journeys find the register as they left it)."""
    with register_as_found(app_db_url, tablets=TABLETS, shift="open") as reg:
        yield reg


def _tablet(new_page, seller: str, pin: str, tablet: str) -> Page:
    page = new_page(W, H)
    sign_in_pos(page, seller, pin)
    expect(page).to_have_url(re.compile(r"/pos/?$"))
    page.locator(".pos-known-device", has_text=tablet).click()
    expect(page.locator("#pos-device")).to_have_text(tablet)
    expect(page.locator("#shift-state")).to_have_text("Смена открыта")
    return page


def test_an_exchange_sells_the_tablets_own_cart_and_a_pin_approves_the_other_tablets_sale(new_page, register):
    # (the exchange is made on the fitting-room tablet: the display journey pairs with the other one)
    a = _tablet(new_page, "Светлана Орлова", "5555", TABLETS[1])
    b = _tablet(new_page, "Сергей Иванов", "4444", TABLETS[0])
    # given each tablet rings up its own goods; the first one sells a candle for cash
    a.locator("#pos-search").fill("Свеча")
    a.locator("#pos-hits .pos-product").first.click()
    expect(a.locator(".cart-line")).to_have_count(1)
    b.locator(".pos-product").nth(1).click()
    expect(b.locator(".cart-line")).to_have_count(1)
    a.get_by_role("button", name="Всё наличными", exact=True).click()
    a.get_by_role("button", name="Оплатить", exact=True).click()
    expect(a).to_have_url(re.compile(r"/pos/receipt\?id=\d+"))
    receipt_no = a.url.rsplit("=", 1)[1]
    # when the customer exchanges it for soap at the first tablet: the receipt's code is scanned
    a.get_by_role("button", name="Возвраты", exact=True).click()
    expect(a.locator("#return-query")).to_be_visible()
    wedge_scan(a, f"S{int(receipt_no):06d}")
    expect(a.locator(".return-line")).to_have_count(1)
    a.locator(".return-plus").click()
    a.get_by_role("radio", name="Обмен").click()
    a.locator("#exchange-search").fill("Мыло")
    a.locator(".exchange-hit").first.click()
    expect(a.locator(".exchange-line")).to_have_count(1)
    expect(a.locator("#exchange-tablet")).to_have_text(TABLETS[1])  # the new items are in this tablet's cart
    expect(a.locator("#exchange-pays, #exchange-gets")).to_have_count(1)  # the difference, settled either way
    if a.locator("#exchange-pays").count():
        digits = re.sub(r"[^\d,]", "", a.locator("#exchange-pays").inner_text()).replace(",", ".")
        a.get_by_label("Картой, ₽").fill(digits)
    shot(a, "pos-tablets-exchange")
    a.get_by_role("button", name="Оформить обмен", exact=True).click()
    expect(a.locator("#return-result")).to_contain_text("Обмен оформлен")
    # then the soap was sold from the first tablet's cart, which is empty; the second's is untouched
    with Session(register["engine"]) as s:
        ret = s.exec(select(PosReturn).where(PosReturn.sale_id == int(receipt_no))).one()
        assert s.get(PosSale, ret.exchange_sale_id).device_id == register["devices"][TABLETS[1]]
    a.get_by_role("button", name="К продаже", exact=True).click()
    expect(a.locator("#pos-device")).to_have_text(TABLETS[1])
    expect(a.locator(".cart-line")).to_have_count(0)
    expect(b.locator(".cart-line")).to_have_count(1)
    # when the second tablet gives 20 % (above the seller's limit); the manager's PIN on the pad approves it
    b.locator(".line-discount").click()
    b.locator("#line-entry").fill("20")
    b.locator("#line-key-enter").click()
    expect(b.locator("#pos-approval")).to_be_visible()
    expect(b.get_by_role("button", name="Оплатить", exact=True)).to_be_disabled()
    b.locator("#pos-approve-pin").click()
    b.locator(".approver", has_text="Мария Котова").click()
    for d in "3333":
        b.locator(f"#mgr-pin-{d}").click()
    b.locator("#mgr-pin-enter").click()
    expect(b.locator("#approval-approved")).to_be_visible()
    expect(b.get_by_role("button", name="Оплатить", exact=True)).to_be_enabled()
    shot(b, "pos-tablets-pin-approved")
    # and the first tablet's (empty) cart needs no approval
    a.locator("#pos-search").fill("Свеча")
    a.locator("#pos-hits .pos-product").first.click()
    expect(a.locator(".cart-line")).to_have_count(1)
    expect(a.locator("#pos-approval")).to_have_count(0)
    expect(a.get_by_role("button", name="Оплатить", exact=True)).to_be_enabled()
