"""Every per-row form of the backoffice edited, saved, reloaded and shown changed, with a clean
console; price labels downloaded and read back; the production build has no handler compiled
outside its loop (the variant row's old ``ReferenceError: v_rx_state_ is not defined``)."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from tests.compiled_handlers import scan_build
from tests.e2e.conftest import ROOT, shot
from tests.e2e.helpers import make_staff_member, name_tablet, register_as_found, sign_in_backoffice, wedge_scan

pytestmark = pytest.mark.e2e

NEW_EAN = "4609999000013"


def _one(app_db_url, sql: str, **params):
    engine = create_engine(app_db_url)
    try:
        with engine.connect() as c:
            return c.execute(text(sql), params).first()
    finally:
        engine.dispose()


def _console_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def _signed_in(new_page, app_db_url, username: str, password: str, full_name: str, role: str = "manager"):
    """A staff member of the journey's own, signed in to the backoffice on a laptop-sized page; the
    page's console errors are collected from the start."""
    make_staff_member(app_db_url, username, password, full_name=full_name, role=role)
    page = new_page(1280, 900)
    errors = _console_errors(page)
    sign_in_backoffice(page, username, password)
    expect(page.locator("#greeting")).to_be_visible()
    return page, errors


def test_the_production_build_compiles_no_handler_outside_its_loop(app_url):
    # given the production build the e2e app was started from
    assert (ROOT / ".web" / "app" / "routes").is_dir()
    # then no compiled hook names a variable of a loop it is not in
    assert scan_build(ROOT / ".web") == {}


def _open_product(page, name: str):
    page.goto("/admin/catalog")
    page.locator("#prod-search").fill(name)
    page.locator("#prod-search").press("Enter")
    page.locator(".product-row", has_text=name).first.click()
    expect(page.get_by_role("dialog")).to_be_visible()
    return page.locator("form.variant-row")


def test_a_variant_row_saves_prices_wholesale_and_codes_and_keeps_them_after_a_reload(new_page, app_db_url):
    # given an admin of her own on the catalog's «Грейпфрут» product (10 мл at 340 ₽, 30 мл)
    page, errors = _signed_in(new_page, app_db_url, "adm_rows", "admin-rows-1", "Роза Рядова", "admin")
    rows = _open_product(page, "Грейпфрут")
    row = rows.first
    expect(row.locator("input[name=price]")).to_have_value("340")
    # when she changes every field of the first variant and saves the row
    for name, value in (("label", "12 мл"), ("price", "460,50"), ("wholesale", "300"), ("min_qty", "5"),
                        ("barcode", NEW_EAN), ("sku", "E2E-GRP-12")):
        row.locator(f"input[name={name}]").fill(value)
    row.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_text("Сохранено").first).to_be_visible()
    shot(page, "catalog-variant-saved")
    # and a bad barcode on the second row is refused beside the form, the row unchanged
    second = rows.nth(1)
    second.locator("input[name=barcode]").fill("4609999000012")
    second.get_by_role("button", name="Сохранить").click()
    expect(page.locator("#ed-error")).to_contain_text("контрольная цифра")
    # then after a reload the first row shows what was saved
    page.reload()
    row = _open_product(page, "Грейпфрут").first
    for name, value in (("label", "12 мл"), ("price", "460.50"), ("wholesale", "300"), ("min_qty", "5"),
                        ("barcode", NEW_EAN), ("sku", "E2E-GRP-12")):
        expect(row.locator(f"input[name={name}]")).to_have_value(value)
    assert _one(app_db_url, "SELECT price_minor, wholesale_price_minor, wholesale_min_qty, barcode FROM variant "
                            "WHERE sku = 'E2E-GRP-12'") == (46050, 30000, 5, NEW_EAN)
    assert errors == []


def test_wheel_prizes_referral_tiers_and_scale_prefixes_save_and_stay(new_page, app_db_url):
    page, errors = _signed_in(new_page, app_db_url, "own_rows", "owner-rows-1", "Олег Владелец", "owner")
    # a wheel prize: added, then its row changed
    page.goto("/admin/promotions")
    page.locator("#promo-tab-wheel").click()
    page.locator("#prize-label").first.fill("Скидка e2e")
    page.locator("#prize-value").first.fill("7")
    page.get_by_role("button", name="Добавить приз").click()
    prize = page.locator(".prize-row", has_text="Скидка e2e")
    expect(prize).to_be_visible()
    prize.get_by_role("button", name="Изменить").click()
    edit = page.locator("form", has=page.locator("input[name=prize_id]:not([value='0'])"))
    edit.locator("input[name=label]").fill("Скидка e2e 8%")
    edit.locator("input[name=value]").fill("8")
    edit.get_by_role("button", name="Сохранить").click()
    page.reload()
    page.locator("#promo-tab-wheel").click()
    expect(page.locator(".prize-row", has_text="Скидка e2e 8%")).to_be_visible()
    # the referral tiers and the scales' prefixes on the settings page
    page.goto("/admin/settings")
    page.locator("#set-referral_tiers").fill("0:5, 5:8, 20:12")
    page.locator("#set-scale_weight_prefix").fill("24")
    page.locator("#settings-save").click()
    expect(page.get_by_text("Сохранено").first).to_be_visible()
    page.reload()
    expect(page.locator("#set-referral_tiers")).to_have_value("0:5, 5:8, 20:12")
    expect(page.locator("#set-scale_weight_prefix")).to_have_value("24")
    # a prefix equal to the price codes' is refused and nothing changes
    page.locator("#set-scale_weight_prefix").fill("23")
    page.locator("#settings-save").click()
    expect(page.locator("#settings-error")).to_be_visible()
    shot(page, "settings-scale-prefix-refused")
    page.reload()
    expect(page.locator("#set-scale_weight_prefix")).to_have_value("24")
    page.locator("#set-scale_weight_prefix").fill("22")  # as the other journeys expect it
    page.locator("#settings-save").click()
    expect(page.get_by_text("Сохранено").first).to_be_visible()
    assert errors == []


def test_a_supply_with_two_lines_prices_each_row(new_page, app_db_url):
    (a, qa), (b, qb) = [tuple(r) for r in create_engine(app_db_url).connect().execute(text(
        "SELECT id, qty FROM variant WHERE unit = 'pcs' AND active ORDER BY id LIMIT 2")).all()]
    page, errors = _signed_in(new_page, app_db_url, "mgr_rows", "manager-rows-1", "Тимур Приёмщик")
    page.goto("/admin/warehouse")
    page.locator("#wh-tab-supply").click()
    page.locator("#supplier-name").fill("Рядовой поставщик")
    page.locator("#supplier-add").click()
    expect(page.locator("#supply-supplier")).to_contain_text("Рядовой поставщик")
    page.locator("#supply-next").click()
    page.locator("#supply-lines").fill(f"{a} 2\n{b} 3")
    page.locator("#supply-items-next").click()
    page.locator(f"#supply-price-{a}").fill("100")
    page.locator(f"#supply-price-{b}").fill("300")
    page.locator("#supply-receive").click()
    expect(page.locator("#supply-error")).to_have_count(0)
    page.reload()
    assert _one(app_db_url, "SELECT qty FROM variant WHERE id = :id", id=a)[0] == qa + 2
    assert _one(app_db_url, "SELECT qty FROM variant WHERE id = :id", id=b)[0] == qb + 3
    assert _one(app_db_url, "SELECT unit_cost_minor FROM supply_line WHERE variant_id = :id ORDER BY id DESC", id=b)[0] \
        == 10000
    assert errors == []


def test_price_labels_download_as_a_pdf_whose_barcodes_scan(new_page, app_db_url, tmp_path):
    pdfium = pytest.importorskip("pypdfium2")
    zxingcpp = pytest.importorskip("zxingcpp")
    page, errors = _signed_in(new_page, app_db_url, "mgr_labels", "manager-labels-1", "Лена Ценникова")
    page.goto("/admin/catalog")
    # when she finds two candles, asks for 2 labels of the first, and downloads the A4 sheet
    page.locator("#labels-search").fill("СВЕЧА «ЛАВАНДОВОЕ")
    page.locator("#labels-search").press("Enter")
    hits = page.locator(".label-hit")
    expect(hits).to_have_count(2)
    rows = page.locator(".label-row")
    hits.first.click()
    # a chosen candle leaves the hits (a second tap on it before the list redraws adds nothing): the
    # other one is first once the first row is there
    expect(rows).to_have_count(1)
    expect(hits).to_have_count(1)
    hits.first.click()
    expect(rows).to_have_count(2)
    copies = rows.first.locator("input[aria-label=copies]")
    copies.fill("2")
    copies.blur()
    page.locator("#labels-size").click()
    page.get_by_role("option", name=re.compile("A4")).click()
    shot(page, "catalog-labels")
    with page.expect_download() as download:
        page.locator("#labels-print").click()
    path = Path(tmp_path / "labels.pdf")
    download.value.save_as(path)
    # then the sheet's barcodes read back as the two variants' codes, the first twice
    codes = [c[0] for c in create_engine(app_db_url).connect().execute(text(
        "SELECT v.barcode FROM variant v JOIN product p ON p.id = v.product_id "
        "WHERE p.name = 'Свеча «Лавандовое поле»' ORDER BY v.position")).all()]
    doc = pdfium.PdfDocument(path.read_bytes())
    image = doc[0].render(scale=300 / 72).to_pil()
    doc.close()
    assert sorted(r.text for r in zxingcpp.read_barcodes(image)) == sorted([codes[0], codes[0], codes[1]])
    assert errors == []


def test_the_register_sells_a_weight_label_and_finds_a_customer_by_her_card_code(new_page, app_db_url):
    from sqlmodel import Session, select

    from smo_app.demo.barcodes import examples
    from smo_app.models.base import utcnow
    from smo_app.models.customer import Customer
    from smo_app.services.customers.loyalty_qr import card_code
    from smo_app.settings import DEFAULT_SECRET_KEY

    # given the register's shift open (opened here if needed, closed again after) and a tablet of
    # this journey's own, so its cart starts empty whatever another journey left in its cart
    tablet = f"Планшет весов {uuid.uuid4().hex[:6]}"
    with register_as_found(app_db_url, tablets=(tablet,), shift="open") as reg:
        with Session(reg["engine"]) as s:
            anna = s.exec(select(Customer).where(Customer.username == "anna_aroma")).one()
        page = new_page(1180, 820)
        errors = _console_errors(page)
        sign_in_pos_as(page, "Светлана Орлова", "5555")
        name_tablet(page, tablet)
        expect(page.locator("#shift-state")).to_have_text("Смена открыта")
        expect(page.locator(".cart-line")).to_have_count(0)
        # when the scanner reads the scale's weight label
        wedge_scan(page, examples()["weight_750g"])
        # then the cart has 0,750 kg of the salt at 380 ₽/kg
        line = page.locator(".cart-line", has_text="Морская соль")
        expect(line.locator(".line-qty")).to_have_text("0,750\u00a0кг")
        expect(page.locator("#pos-total")).to_contain_text("285")
        # and a misread label is refused with the reason
        wedge_scan(page, examples()["weight_750g"][:12] + "6")
        expect(page.get_by_text("контрольная цифра").first).to_be_visible()
        # when she types the code under the customer's QR into the customer search
        page.locator("#pos-customer-search").fill(card_code(anna.id, utcnow(), secret_key=DEFAULT_SECRET_KEY))
        page.get_by_role("button", name=re.compile("Анна Лебедева")).first.click()
        expect(page.locator("#pos-customer")).to_have_text("Анна Лебедева")
        shot(page, "pos-weight-label-and-card-code")
        assert errors == []


def sign_in_pos_as(page, name: str, pin: str) -> None:
    from tests.e2e.helpers import sign_in_pos

    sign_in_pos(page, name, pin)
    expect(page).to_have_url(re.compile(r"/pos/?$"))
