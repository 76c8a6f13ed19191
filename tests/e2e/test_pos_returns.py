"""A seller's day beyond the plain sale, on a 1180×820 tablet in Chromium: an exchange on the
returns screen (the receipt found, a line tapped back, a new item, the difference settled); a
discount above the seller's limit approved with the manager's PIN on a pad; a refused discount
cleared with its reason beside the field, and toasts kept off the total and the pay button."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from smo_app.models.catalog import Product, Variant
from smo_app.models.pos import PosDevice, PosReturn, PosSale
from tests.e2e.conftest import shot
from tests.e2e.helpers import name_tablet, register_as_found, sign_in_pos, wedge_scan

pytestmark = pytest.mark.e2e

W, H = 1180, 820


@pytest.fixture
def till(app_db_url):
    """The demo register with its shift open (and closed again after the test if it opened it
    here, so other journeys find the register as they left it) and two stocked items: a dear one
    and a cheap one. Each journey sells on a tablet of its own, so its cart starts empty."""
    with register_as_found(app_db_url, shift="open") as reg:
        with Session(reg["engine"]) as s:
            rows = s.exec(select(Variant, Product).join(Product, Product.id == Variant.product_id)
                          .where(Variant.qty >= 5, Variant.price_minor > 0, Variant.active, Product.hidden.is_(False),
                                 Product.deleted.is_(False), Product.suspended.is_(False))
                          .order_by(Variant.price_minor.desc())).all()
        dear, cheap = rows[0], rows[-1]
        yield {"register_id": reg["register_id"], "engine": reg["engine"], "dear": dear[1].name, "dear_id": dear[0].id,
               "cheap": cheap[1].name, "cheap_id": cheap[0].id}


def _open_till(page) -> str:
    """Signed in as the demo seller at the open register, on a tablet of its own (named here, so
    its cart starts empty); the tablet's name."""
    sign_in_pos(page, "Сергей Иванов", "4444")
    expect(page).to_have_url(re.compile(r"/pos/?$"))
    tablet = f"Планшет {uuid.uuid4().hex[:6]}"
    name_tablet(page, tablet)
    expect(page.locator("#shift-state")).to_have_text("Смена открыта")
    return tablet


def _add(page, name: str, variant_id: int) -> None:
    page.locator("#pos-search").fill(name)
    page.locator(f'#pos-hits .pos-product[data-variant="{variant_id}"]').click()


def test_an_exchange_on_the_returns_screen_settles_the_difference(new_page, till):
    page = new_page(W, H)
    tablet = _open_till(page)
    # given the cheap item sold for cash
    _add(page, till["cheap"], till["cheap_id"])
    expect(page.locator(".cart-line")).to_have_count(1)
    page.get_by_role("button", name="Всё наличными", exact=True).click()
    page.get_by_role("button", name="Оплатить", exact=True).click()
    expect(page).to_have_url(re.compile(r"/pos/receipt\?id=\d+"))
    receipt_no = page.url.rsplit("=", 1)[1]

    expect(page.locator("#receipt-number")).to_contain_text(receipt_no)
    expect(page.locator("#receipt-code")).to_be_visible()  # the code printed on the receipt
    shot(page, "pos-receipt-code")
    # when the customer brings it back for the dear one: the receipt's code is scanned
    page.get_by_role("button", name="Возвраты", exact=True).click()
    expect(page.locator("#return-query")).to_be_visible()
    wedge_scan(page, f"S{int(receipt_no):06d}")
    expect(page.locator(".return-line")).to_have_count(1)
    expect(page.get_by_text("Ничего не найдено")).to_have_count(0)
    # the line is tapped back with "+" (no typing), and the amount to return shows
    page.locator(".return-plus").click()
    expect(page.locator(".return-pick")).to_have_text("1")
    expect(page.locator("#return-back")).not_to_have_text(re.compile(r"^0"))
    # exchange: the new item in the same step
    page.get_by_role("radio", name="Обмен").click()
    page.locator("#exchange-search").fill(till["dear"])
    dear_hit = f'.exchange-hit[data-variant="{till["dear_id"]}"]'
    page.locator(dear_hit).click()
    expect(page.locator(".exchange-line")).to_have_count(1)
    # the customer pays the difference by card
    expect(page.locator("#exchange-pays")).to_be_visible()
    pays = page.locator("#exchange-pays").inner_text()
    digits = re.sub(r"[^\d,]", "", pays).replace(",", ".")
    page.get_by_label("Картой, ₽").fill(digits)
    shot(page, "pos-exchange")
    page.get_by_role("button", name="Оформить обмен", exact=True).click()
    expect(page.locator("#return-result")).to_contain_text("Обмен оформлен")
    # then the line is fully returned and one exchange was written
    expect(page.locator(".return-plus")).to_be_disabled()
    with Session(till["engine"]) as s:
        rows = s.exec(select(PosReturn).where(PosReturn.sale_id == int(receipt_no))).all()
        assert len(rows) == 1 and rows[0].exchange_sale_id is not None
        # the new item was sold from this tablet's own cart, which is empty again
        device = s.exec(select(PosDevice).where(PosDevice.name == tablet)).one()
        assert s.get(PosSale, rows[0].exchange_sale_id).device_id == device.id
    page.get_by_role("button", name="К продаже", exact=True).click()
    expect(page.locator("#pos-device")).to_have_text(tablet)
    expect(page.locator(".cart-line")).to_have_count(0)


def test_a_discount_above_the_limit_is_approved_with_the_managers_pin_on_a_pad(new_page, till):
    page = new_page(W, H)
    _open_till(page)
    _add(page, till["dear"], till["dear_id"])
    # a 20 % discount is above the seller's limit
    page.locator(".line-discount").click()
    page.locator("#line-entry").fill("20")
    page.locator("#line-key-enter").click()
    expect(page.locator("#pos-approval")).to_be_visible()
    expect(page.get_by_role("button", name="Оплатить", exact=True)).to_be_disabled()
    # the bot is not running: Telegram is not offered, and the tablet says why
    expect(page.locator("#approval-no-telegram")).to_contain_text("бот не в сети")
    expect(page.get_by_role("button", name="Запросить в Telegram")).to_have_count(0)
    # the manager is picked from the list and types her PIN on the pad
    page.locator("#pos-approve-pin").click()
    page.locator(".approver", has_text="Мария Котова").click()
    expect(page.locator("#approver-chosen")).to_contain_text("Мария Котова")
    for d in "3333":
        page.locator(f"#mgr-pin-{d}").click()
    shot(page, "pos-approval-pin-pad")
    page.locator("#mgr-pin-enter").click()
    expect(page.locator("#approval-approved")).to_be_visible()
    expect(page.locator("#mgr-pin-enter")).to_have_count(0)  # the pad closed by itself
    expect(page.get_by_role("button", name="Оплатить", exact=True)).to_be_enabled()
    expect(page.locator(".line-discount")).to_contain_text("−")


def test_a_refused_discount_is_cleared_with_its_reason_and_toasts_keep_off_the_total(new_page, till):
    page = new_page(W, H)
    _open_till(page)
    _add(page, till["cheap"], till["cheap_id"])
    page.locator(".line-discount").click()
    for bad in ("150", "abc", "-10"):
        page.locator("#line-entry").fill(bad)
        page.locator("#line-key-enter").click()
        # then the field is empty, the reason is beside it, and the line stays undiscounted
        expect(page.locator("#line-entry")).to_have_value("")
        expect(page.locator("#line-entry-error")).to_contain_text("от 0 до 100")
    shot(page, "pos-discount-refused")
    page.keyboard.press("Escape")
    expect(page.locator(".line-discount")).to_have_text("%")
    # a quantity on the keypad
    page.locator(".line-qty").click()
    for d in "3":
        page.locator(f"#line-key-{d}").click()
    page.locator("#line-key-enter").click()
    expect(page.locator(".line-qty")).to_have_text(re.compile("^3"))
    # an unknown scanned code's toast appears away from the total and the pay button
    wedge_scan(page, "4600000099999")
    toast = page.locator("[data-sonner-toast]").first
    expect(toast).to_be_visible()
    t, pay, total = toast.bounding_box(), page.locator("#pos-pay").bounding_box(), page.locator("#pos-total").bounding_box()
    shot(page, "pos-toast-away")
    for box in (pay, total):
        overlap_x = t["x"] < box["x"] + box["width"] and box["x"] < t["x"] + t["width"]
        overlap_y = t["y"] < box["y"] + box["height"] and box["y"] < t["y"] + t["height"]
        assert not (overlap_x and overlap_y), (t, box)
