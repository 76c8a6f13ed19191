"""Backoffice operations in a real browser: catalog import, warehouse supply and count, settings."""
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


def test_the_owner_edits_a_setting_and_the_audit_log_shows_it(new_page):
    # given the owner on the settings page
    page = new_page()
    sign_in_owner(page)
    page.locator("#nav-settings").click()
    expect(page.locator("#set-cashback_pct")).to_be_visible()
    # when she types a word instead of a number, the field is named and nothing is saved
    page.locator("#set-cashback_pct").fill("много")
    page.locator("#settings-save").click()
    expect(page.locator("#settings-error")).to_contain_text("Кэшбэк")
    # when she sets cashback to 9 % and saves
    page.locator("#set-cashback_pct").fill("9")
    page.locator("#settings-save").click()
    expect(page.get_by_text("Сохранено.")).to_be_visible()
    shot(page, "settings-saved")
    # then the audit log lists the change with before and after
    page.locator("#nav-audit").click()
    row = page.locator(".audit-row", has_text="cashback_pct")
    expect(row.first).to_be_visible()
    expect(row.first).to_contain_text("9")
    expect(page).to_have_url(re.compile(r"/admin/audit/?$"))
