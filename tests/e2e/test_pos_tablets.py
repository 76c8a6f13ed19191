"""Two tablets on one register at 1180×820 (two browser contexts, each its own browser): each picks
its tablet, one opens the shift and the other is told it joins it; their carts stay apart; a cart
parked on one is resumed on the other; the second scans with a USB scanner (wedge keystrokes) and
searches «Свеча» as it types while the first tablet's cart stays as it was; the customer display
paired with a tablet follows its cart;
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

from smo_app.models.catalog import Product, Variant
from smo_app.models.pos import PosParkedTicket, PosSale
from tests.e2e.conftest import shot
from tests.e2e.helpers import register_as_found, sign_in_pos, wedge_scan

pytestmark = pytest.mark.e2e

SHOTS = Path("/work/tools/shots/w26-pos-tablets")
W, H = 1180, 820
TABLETS = ("Планшет у входа", "Планшет у примерочной")
PARKED = "Ольга, примерка"


def snap(page: Page, name: str) -> None:
    path = shot(page, f"pos-tablets-{name}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def _tablet(new_page, seller: str, pin: str, tablet: str, *, via_returns: bool = False) -> Page:
    page = new_page(W, H)
    sign_in_pos(page, seller, pin)
    expect(page).to_have_url(re.compile(r"/pos/?$"))
    if via_returns:  # the returns screen opened first asks the same (no register's shared cart behind it)
        page.goto("/pos/returns")
        expect(page).to_have_url(re.compile(r"/pos/returns/?$"))
    # a browser new to the POS is asked which tablet it is: it picks one the demo shop named
    expect(page.get_by_role("heading", name="Как назвать этот планшет?")).to_be_visible()
    if via_returns:
        snap(page, "returns-asks-tablet")
    page.locator(".pos-known-device", has_text=tablet).click()
    if via_returns:  # then the returns screen itself, and the sale screen on that tablet
        expect(page.locator("#return-query")).to_be_visible()
        page.get_by_role("button", name="К продаже", exact=True).click()
        expect(page).to_have_url(re.compile(r"/pos/?$"))
    expect(page.locator("#pos-device")).to_have_text(tablet)
    return page


def _sales(engine, prefix: str = "") -> int:
    with Session(engine) as s:
        query = select(func.count(PosSale.id))
        if prefix:
            query = query.where(PosSale.client_id.startswith(prefix))
        return s.exec(query).one()


def _drop_parked(engine) -> None:
    """A ticket this journey parked and did not resume (it failed half-way) is not left for the next run."""
    with Session(engine) as s:
        for row in s.exec(select(PosParkedTicket).where(PosParkedTicket.name == PARKED)).all():
            s.delete(row)
        s.commit()


@pytest.fixture
def register(app_db_url):
    """The demo register closed (the journey opens and closes its own shift; a leftover shift is
    closed first), both demo tablets' carts empty, no ticket of this journey's left parked — and the
    same after the journey, whether it passed or not; a barcoded stocked item to scan."""
    with register_as_found(app_db_url, tablets=TABLETS, shift="closed") as reg:
        engine = reg["engine"]
        _drop_parked(engine)
        with Session(engine) as s:
            parked = s.exec(select(func.count(PosParkedTicket.id))
                            .where(PosParkedTicket.register_id == reg["register_id"])).one()
            # a scanner reads what the catalog holds now (another journey may have relabelled an item)
            barcode, name = s.exec(
                select(Variant.barcode, Product.name).join(Product, Product.id == Variant.product_id)
                .where(Variant.barcode.startswith("46012345"), Variant.qty >= 3, Variant.active, Variant.unit == "pcs",
                       Product.hidden.is_(False), Product.deleted.is_(False), Product.suspended.is_(False),
                       ~Product.name.contains("Свеча"))
                .order_by(Variant.id.desc())).first()
        try:
            yield {**reg, "parked": parked, "barcode": barcode, "scanned": name}
        finally:
            _drop_parked(engine)


def test_two_tablets_scan_search_park_resume_display_and_an_offline_sale(new_page, register):
    engine = register["engine"]
    a = _tablet(new_page, "Сергей Иванов", "4444", TABLETS[0])
    snap(a, "naming-picked")
    a.get_by_label("Размен на начало смены, ₽").fill("0")
    a.get_by_role("button", name="Открыть смену", exact=True).click()
    expect(a.locator("#shift-state")).to_have_text("Смена открыта")
    expect(a.locator("#pos-shift-of")).to_contain_text("Смена: Сергей Иванов")

    # the second tablet joins Сергей's shift and is told so
    # (whose seller opened the returns screen first)
    b = _tablet(new_page, "Светлана Орлова", "5555", TABLETS[1], via_returns=True)
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

    # the second tablet scans an item with the USB scanner and finds a candle by typing «Свеча»;
    # the first tablet's cart (and its display) stays as it was
    a_lines, a_total = a.locator(".cart-line").all_inner_texts(), a.locator("#pos-total").inner_text()
    wedge_scan(b, register["barcode"])
    expect(b.locator(".cart-line", has_text=register["scanned"])).to_be_visible()
    expect(b.locator(".cart-line")).to_have_count(2)
    b.locator("#pos-search").press_sequentially("Свеча", delay=60)  # answered as she types (debounced)
    candle = b.locator("#pos-hits .pos-product", has_text="Свеча").first
    expect(candle).to_be_visible()
    snap(b, "search-cyrillic")
    candle.click()
    expect(b.locator(".cart-line")).to_have_count(3)
    expect(b.locator(".cart-line", has_text="Свеча")).to_be_visible()
    expect(a.locator(".cart-line")).to_have_count(1)
    assert a.locator(".cart-line").all_inner_texts() == a_lines
    expect(a.locator("#pos-total")).to_have_text(a_total)
    expect(display.locator(".display-line")).to_have_count(1)
    snap(b, "scanned-and-searched")

    # the first tablet parks its cart for Ольга; the second tablet's cart is untouched
    a.locator("#pos-parked-open").click()
    a.get_by_label("Имя для чека (например, «Анна, примерка»)").fill(PARKED)
    a.locator("#pos-park").click()
    expect(a.locator(".cart-line")).to_have_count(0)
    expect(b.locator(".cart-line")).to_have_count(3)
    expect(display.locator("#display-welcome")).to_be_visible()
    # the other tablet sees it without a reload
    expect(b.locator("#pos-parked-open")).to_contain_text(f"({register['parked'] + 1})")
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
    expect(b.locator(".pos-parked-row", has_text=PARKED)).to_be_visible()
    snap(b, "parked-list")
    b.locator(".pos-parked-row", has_text=PARKED).locator(".pos-resume").click()
    expect(b.locator(".cart-line")).to_have_count(1)
    b.keyboard.press("Escape")
    expect(a.locator(".cart-line")).to_have_count(0)

    # the network drops mid-sale on the second tablet: the screen says so at once
    b.context.set_offline(True)
    expect(b.locator("#pos-offline-state")).to_be_visible()
    total = b.locator("#pos-total").inner_text()
    cash = re.sub(r"[^\d,]", "", total).replace(",", ".")
    b.get_by_label("Наличными дали, ₽").fill(cash)
    before, before_offline = _sales(engine), _sales(engine, "off-")
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
    assert _sales(engine) == before + 1 and _sales(engine, "off-") == before_offline + 1
    snap(b, "offline-sent")

    # the first tablet closes the shift; the second shows it at once and cannot sell on
    a.goto("/pos/shift")
    a.get_by_label("Пересчитано в кассе, ₽").fill("0")
    a.get_by_role("button", name="Закрыть смену", exact=True).click()
    expect(b.locator("#pos-closed-elsewhere")).to_be_visible(timeout=10_000)
    expect(b.locator("#shift-state")).to_have_text("Смена закрыта")
    snap(b, "closed-elsewhere")
