"""Backoffice operations in a real browser: catalog import, warehouse supply and count, settings, the
payment screenshot on the order card."""
from __future__ import annotations

import re

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from tests.e2e.conftest import shot
from tests.e2e.helpers import make_staff_member, sign_in_backoffice, sign_in_owner

pytestmark = pytest.mark.e2e

COLUMNS = ("product_id", "name", "category", "variant_id", "variant", "price", "weight_g", "discount_pct", "unit",
           "hidden", "low_stock_threshold", "description")


def _xlsx(path, rows) -> str:
    wb = Workbook()
    wb.active.append(list(COLUMNS))
    for r in rows:
        wb.active.append(r)
    wb.save(path)
    return str(path)


def _db(app_db_url):
    return create_engine(app_db_url)


def _one(app_db_url, sql: str, **params):
    engine = _db(app_db_url)
    try:
        with engine.connect() as c:
            return c.execute(text(sql), params).first()
    finally:
        engine.dispose()


def test_admin_imports_a_file_with_a_bad_row_then_a_good_one(new_page, app_db_url, tmp_path):
    # given a product of the demo catalog and the admin on the catalog page
    pid, vid, price = _one(app_db_url, "SELECT p.id, v.id, v.price_minor FROM product p JOIN variant v ON v.product_id = p.id "
                                       "WHERE p.deleted = 0 ORDER BY p.id LIMIT 1")
    name = _one(app_db_url, "SELECT name FROM product WHERE id = :id", id=pid)[0]
    page = new_page()
    sign_in_backoffice(page, "admin", "admin-demo-1")
    expect(page.locator("#greeting")).to_be_visible()
    page.goto("/admin/catalog")
    expect(page.locator("#product-table")).to_be_visible()
    # when she uploads a file whose last row has a price that is not a number
    bad = _xlsx(tmp_path / "bad.xlsx", [[pid, name, "", vid, "", (price + 10000) / 100, 0, 0, "шт", 0, 3, ""],
                                        ["", "Браузерный крем", "", "", "50 мл", "дорого", 0, 0, "шт", 0, 3, ""]])
    page.locator("#catalog-import input[type=file]").set_input_files(bad)
    # then the whole file is refused with the row named, and nothing changed
    expect(page.locator("#import-error")).to_contain_text("Ничего не изменено")
    expect(page.locator("#import-error")).to_contain_text("Строка 3")
    assert _one(app_db_url, "SELECT price_minor FROM variant WHERE id = :id", id=vid)[0] == price
    assert _one(app_db_url, "SELECT count(*) FROM product WHERE name = 'Браузерный крем'")[0] == 0
    shot(page, "catalog-import-rejected")
    # when she uploads the corrected file, sees the preview and confirms
    good = _xlsx(tmp_path / "good.xlsx", [[pid, name, "", vid, "", (price + 10000) / 100, 0, 0, "шт", 0, 3, ""],
                                          ["", "Браузерный крем", "", "", "50 мл", "990", 0, 0, "шт", 0, 3, ""]])
    page.locator("#catalog-import input[type=file]").set_input_files(good)
    expect(page.locator("#import-summary")).to_contain_text("Будет добавлено: 1, изменено: 1")
    assert _one(app_db_url, "SELECT count(*) FROM product WHERE name = 'Браузерный крем'")[0] == 0
    page.locator("#import-confirm").click()
    # then the catalog shows the new product and the price changed
    page.locator("#prod-search").fill("Браузерный")
    page.locator("#prod-search").press("Enter")
    expect(page.locator(".product-row", has_text="Браузерный крем")).to_be_visible()
    assert _one(app_db_url, "SELECT price_minor FROM variant WHERE id = :id", id=vid)[0] == price + 10000


def _stock_qty(page, vid: int):
    return page.locator(f".stock-row[data-variant='{vid}'] .stock-qty")


def test_a_supply_and_an_inventory_count_change_the_stock_overview(new_page, app_db_url):
    # given a variant of the demo catalog and the manager on the warehouse page
    vid, qty, pname, label = _one(app_db_url, "SELECT v.id, v.qty, p.name, v.label FROM variant v JOIN product p ON p.id = v.product_id "
                                              "WHERE p.deleted = 0 AND v.active = 1 ORDER BY v.id DESC LIMIT 1")
    # (a manager of its own: another journey locks the demo manager and gives her a new password)
    make_staff_member(app_db_url, "mgr_stock", "manager-stock-1", full_name="Глеб Кладовщик")
    page = new_page()
    sign_in_backoffice(page, "mgr_stock", "manager-stock-1")
    expect(page.locator("#greeting")).to_be_visible()
    page.goto("/admin/warehouse")
    page.locator("#wh-search").fill(pname)
    page.locator("#wh-search").press("Enter")
    expect(_stock_qty(page, vid)).to_have_text(str(qty))
    # when she receives 5 units from a new supplier in three steps
    page.locator("#wh-tab-supply").click()
    page.locator("#supplier-name").fill("Браузерный поставщик")
    page.locator("#supplier-add").click()
    expect(page.locator("#supply-supplier")).to_contain_text("Браузерный поставщик")
    page.locator("#supply-next").click()
    page.locator("#supply-lines").fill(f"{vid} 5")
    page.locator("#supply-items-next").click()
    page.locator(f"#supply-price-{vid}").fill("1000")
    page.locator("#supply-receive").click()
    # then the overview shows 5 more
    page.locator("#wh-tab-overview").click()
    expect(_stock_qty(page, vid)).to_have_text(str(qty + 5))
    # when she counts 2 on the shelf, previews the difference and applies it
    page.locator("#wh-tab-count").click()
    page.locator("#count-lines").fill(f"{vid} 2")
    page.locator("#count-submit").click()
    expect(page.locator("#count-preview")).to_contain_text(str(2 - (qty + 5)))
    page.locator("#count-apply").click()
    # then the overview shows what was counted
    page.locator("#wh-tab-overview").click()
    expect(_stock_qty(page, vid)).to_have_text("2")
    shot(page, "warehouse-after-count")
    assert _one(app_db_url, "SELECT qty FROM variant WHERE id = :id", id=vid)[0] == 2


def test_the_owner_edits_a_setting_and_the_audit_log_shows_it(new_page, app_db_url):
    # given the owner on the settings page
    page = new_page()
    sign_in_owner(page)
    page.locator("#nav-settings").click()
    expect(page.locator("#set-cashback_pct")).to_be_visible()
    expect(page.locator("#set-shop_timezone")).to_have_value("Europe/Moscow")
    # when she types a word instead of a number, or a time zone that does not exist, the field is named
    page.locator("#set-cashback_pct").fill("много")
    page.locator("#settings-save").click()
    expect(page.locator("#settings-error")).to_contain_text("Кэшбэк")
    page.locator("#set-cashback_pct").fill("9")
    page.locator("#set-shop_timezone").fill("Москва")
    page.locator("#settings-save").click()
    expect(page.locator("#settings-error")).to_contain_text("такого часового пояса нет")
    try:
        # when she sets cashback to 9 % and the shop's time zone to Vladivostok, and saves
        page.locator("#set-shop_timezone").fill("Asia/Vladivostok")
        shot(page, "settings-time-and-language")
        page.locator("#settings-save").click()
        expect(page.get_by_text("Сохранено.")).to_be_visible()
        shot(page, "settings-saved")
        # then the audit log lists both changes with before and after
        page.locator("#nav-audit").click()
        row = page.locator(".audit-row", has_text="Кэшбэк")  # the setting as the settings page names it
        expect(row.first).to_be_visible()
        expect(row.first).to_contain_text("9")
        expect(page.locator(".audit-row", has_text="Часовой пояс магазина").first).to_contain_text(
            re.compile(r"Europe/Moscow\s*→\s*Asia/Vladivostok"))
        expect(page).to_have_url(re.compile(r"/admin/audit/?$"))
        # (and back to Moscow: the other journeys read times in Moscow)
        page.locator("#nav-settings").click()
        expect(page.locator("#set-shop_timezone")).to_have_value("Asia/Vladivostok")
        page.locator("#set-shop_timezone").fill("Europe/Moscow")
        page.locator("#settings-save").click()
        expect(page.get_by_text("Сохранено.").first).to_be_visible()
    finally:
        _run_sql(app_db_url, "DELETE FROM shop_setting WHERE key = 'shop_timezone'")


def _run_sql(app_db_url, sql: str, **params) -> None:
    engine = _db(app_db_url)
    try:
        with engine.begin() as c:
            c.execute(text(sql), params)
    finally:
        engine.dispose()


def _png() -> bytes:
    """A real 8×8 teal PNG (the browser must be able to draw it)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x00\x80\x80" * 8 for _ in range(8))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _order_with_a_screenshot(app_db_url) -> int:
    """A Mini App order whose customer sent a screenshot of a manual transfer (through the services)."""
    from sqlmodel import Session, select

    from smo_app.db import make_engine
    from smo_app.models.catalog import Product, Variant
    from smo_app.models.customer import Customer
    from smo_app.services.core.actor import Actor
    from smo_app.services.payments.manual import submit_proof
    from smo_app.settings import get_settings
    from tests.commerce_factories import place

    engine = make_engine(app_db_url)
    try:
        with Session(engine, expire_on_commit=False) as s:
            # (no Telegram chat: the broadcast journeys count the audience)
            customer = Customer(username="proof_buyer", full_name="Пётр Переводов")
            s.add(customer)
            s.commit()
            vid = s.exec(select(Variant.id).join(Product, Product.id == Variant.product_id)
                         .where(Variant.qty >= 2, Variant.active.is_(True), Product.hidden.is_(False),
                                Product.deleted.is_(False), Product.suspended.is_(False))
                         .order_by(Variant.id)).first()
            order_id = place(s, customer.id, {vid: 1}).id
            submit_proof(s, actor=Actor.customer(customer.id), order_id=order_id, filename="перевод.png",
                         content=_png(), settings=get_settings().model_copy(update={"payment_methods": "manual"}))
            return order_id
    finally:
        engine.dispose()


def test_a_manager_opens_the_payment_screenshot_on_the_order_card_and_confirms_it(new_page, app_db_url):
    # given an order whose customer sent a screenshot of the transfer, and a manager on the orders page
    order_id = _order_with_a_screenshot(app_db_url)
    make_staff_member(app_db_url, "mgr_proof", "manager-proof-1", full_name="Вера Сверкина")
    page = new_page()
    sign_in_backoffice(page, "mgr_proof", "manager-proof-1")
    expect(page.locator("#greeting")).to_be_visible()
    page.goto("/admin/orders")
    page.locator("#orders-search").fill(f"#{order_id}")
    page.locator("#orders-search-go").click()
    page.locator(".order-row", has_text="Пётр Переводов").locator(".order-open").click()
    # when she opens the card, the screenshot is drawn (served to her session only) and waits for a check
    proof = page.locator("#order-proof")
    expect(proof).to_contain_text("Ждёт проверки")
    image = proof.locator("img")
    expect(image).to_have_js_property("naturalWidth", 8)
    assert page.request.get(image.get_attribute("src")).headers["content-type"] == "image/png"
    stranger = page.context.browser.new_context()  # no backoffice session: refused
    try:
        assert stranger.request.get(page.url.split("/admin")[0] + image.get_attribute("src")).status == 401
    finally:
        stranger.close()
    shot(page, "order-card-payment-proof")
    # when she confirms the payment
    page.locator("#proof-confirm").click()
    # then the card says who confirmed it and the order is paid
    expect(page.locator("#proof-decision")).to_contain_text("Оплата подтверждена: Вера Сверкина")
    expect(page.locator("#order-card").get_by_role("heading")).to_contain_text("оплачен")
    assert _one(app_db_url, "SELECT status FROM \"order\" WHERE id = :id", id=order_id)[0] == "paid"
