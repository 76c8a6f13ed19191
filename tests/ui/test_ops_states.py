"""The backoffice operation screens' states, run without a browser (as Reflex calls them)."""
from __future__ import annotations

import asyncio
import io

import pytest
from openpyxl import Workbook
from sqlmodel import Session, select

from smo_app.db import dispose_engines
from smo_app.models.audit import AuditEntry
from smo_app.models.catalog import Product, Variant
from smo_app.models.staff import Role
from smo_app.services.catalog import excel
from smo_app.services.staff import auth
from smo_app.settings import reset_settings_cache
from tests.commerce_factories import make_product
from tests.factories import PASSWORD, make_customer, make_staff
from tests.ui.support import _call, settings_form

rx = pytest.importorskip("reflex")


@pytest.fixture
def db(sqlite_engine, monkeypatch):
    monkeypatch.setenv("SMO_DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    reset_settings_cache()
    with Session(sqlite_engine, expire_on_commit=False) as s:
        yield s
    reset_settings_cache()
    dispose_engines()


def _state(cls, db, role: Role):
    import smo_app.smo_app  # noqa: F401

    make_staff(db, role, username=f"u_{role.value}")
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    state.bo_token = auth.sign_in_password(db, username=f"u_{role.value}", password=PASSWORD).token
    return state


class _Upload:
    def __init__(self, data: bytes) -> None:
        self.data = data

    async def read(self) -> bytes:
        return self.data


def test_owner_changes_a_setting_and_bad_input_changes_nothing(db):
    from smo_app.services.core.shop_config import get_config
    from smo_app.state.session import SessionState
    from smo_app.state.settings import SettingsState

    s = _state(SettingsState, db, Role.owner)
    s.lang = "en"
    asyncio.run(SessionState.event_handlers["guard_backoffice"].fn(s, "/admin/settings", "settings.manage"))
    _call(s, "load")
    assert s.loaded and s.values["cashback_pct"] == "7" and s.values["free_delivery_pickup_minor"] == "3000"
    # a word where a number goes: says which field, saves nothing
    _call(s, "save", settings_form(s, cashback_pct="seven"))
    assert s.message == "“Cashback, %”: enter a whole number."
    # out of range: the field is named
    _call(s, "save", settings_form(s, cashback_pct="150"))
    assert s.message == "“Cashback, %”: the value is out of range."
    # a channel that is not a web link is named
    _call(s, "save", settings_form(s, channel_url="my channel"))
    assert s.message == "“Channel link”: a link starts with https:// and has no spaces."
    # broken Telegram markup in the greeting is refused
    _call(s, "save", settings_form(s, start_text_en="Hi <b>{name}"))
    assert "Telegram markup" in s.message
    db.expire_all()
    assert get_config(db).cashback_pct == 7
    db.rollback()  # release SQLite's write lock before the page writes
    # a good change is saved and audited, the preview shows it as Telegram would
    _call(s, "save", settings_form(s, cashback_pct="10", free_delivery_pickup_minor="2 500,50",
                                    start_text_en="Hi <b>{name}</b>!", vacation_mode="on"))
    assert s.message == ""
    db.expire_all()
    cfg = get_config(db)
    assert (cfg.cashback_pct, cfg.free_delivery_pickup_minor, cfg.vacation_mode) == (10, 250050, True)
    changed = {e.entity_id for e in db.exec(select(AuditEntry).where(AuditEntry.action == "settings.change"))}
    db.rollback()
    assert {"cashback_pct", "free_delivery_pickup_minor", "start_text_en", "vacation_mode"} <= changed
    assert s.previews["start_text_en"] == "Hi <b>Test Owner</b>!"


def test_the_telegram_preview_keeps_only_what_telegram_renders():
    from smo_app.state.settings import telegram_preview

    assert telegram_preview('<a href="javascript:alert(1)">x</a>') == '<a href="#" target="_blank" rel="noopener">x</a>'
    assert telegram_preview("<b onclick='x'>bold</b>\nline") == "<b>bold</b><br>line"
    assert telegram_preview("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_an_admin_cannot_load_settings(db):
    from smo_app.state.settings import SettingsState

    s = _state(SettingsState, db, Role.admin)
    _call(s, "load")
    assert not s.loaded and s.message == "Недостаточно прав для этого действия."


def test_manager_finds_a_customer_and_adjusts_bonuses(db):
    from smo_app.state.customers import CustomersState

    c = make_customer(db, full_name="Вера Павловна", username="vera")
    s = _state(CustomersState, db, Role.manager)
    _call(s, "load")
    _call(s, "search", {"q": "вера"})
    assert [line["name"] for line in s.lines] == ["Вера Павловна"]
    _call(s, "open_card", c.id)
    assert s.card_open and s.card["username"] == "@vera"
    _call(s, "adjust_bonuses", {"amount": "сто", "note": "gift"})
    assert s.card_error == "Введите сумму, например +500 или -200."
    _call(s, "adjust_bonuses", {"amount": "+150", "note": ""})
    assert s.card_error == "Укажите причину." or s.card_error  # the service asks for a reason
    _call(s, "adjust_bonuses", {"amount": "+150", "note": "подарок"})
    assert s.card_error == "" and s.card["bonuses"].startswith("150")
    assert s.history[0]["kind"] == "вручную"
    _call(s, "save_profile", {"discount": "101", "note": ""})
    assert s.card_error == "Персональная скидка — целое число от 0 до 100."


def _xlsx(rows) -> bytes:
    wb = Workbook()
    wb.active.append(list(excel.COLUMNS))
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_admin_imports_a_bad_file_then_a_good_one(db):
    from smo_app.state.catalog import CatalogState

    p = make_product(db, name="Мыло", price_minor=30000)
    s = _state(CatalogState, db, Role.admin)
    _call(s, "load")
    assert [r["name"] for r in s.rows] == ["Мыло"]
    bad = _xlsx([[p.id, "Мыло", "", p.variants[0].id, "", "350", 0, 0, "шт", 0, 3, ""],
                 ["", "Крем", "", "", "", "abc", 0, 0, "шт", 0, 3, ""]])
    _call(s, "upload_import", [_Upload(bad)])
    assert "Ничего не изменено" in s.import_error and "Строка 3" in s.import_error
    assert s.import_summary == ""
    good = _xlsx([[p.id, "Мыло", "", p.variants[0].id, "", "350", 0, 0, "шт", 0, 3, ""],
                  ["", "Крем", "", "", "", "990", 0, 0, "шт", 0, 3, ""]])
    _call(s, "upload_import", [_Upload(good)])
    assert s.import_error == "" and "добавлено: 1, изменено: 1" in s.import_summary.lower()
    db.expire_all()
    assert db.exec(select(Product).where(Product.name == "Крем")).first() is None  # nothing before confirming
    db.rollback()
    _call(s, "confirm_import")
    assert sorted(r["name"] for r in s.rows) == ["Крем", "Мыло"]
    db.expire_all()
    assert db.get(Variant, p.variants[0].id).price_minor == 35000


@pytest.mark.parametrize("screen", ["catalog", "warehouse"])
def test_searching_a_list_starts_at_its_first_page_and_the_pager_stays_within_its_pages(db, screen):
    from smo_app.state.catalog import CatalogState
    from smo_app.state.warehouse import WarehouseState

    cls, rows = {"catalog": (CatalogState, "rows"), "warehouse": (WarehouseState, "lines")}[screen]
    for name in ("Мыло лавандовое", "Свеча", "Мыло дегтярное"):
        make_product(db, name=name, price_minor=30000)
    s = _state(cls, db, Role.admin)
    _call(s, "load")
    assert len(getattr(s, rows)) == 3 and s.pages == 1
    _call(s, "go", 1)
    assert s.page == 1  # one page: "next" stays on it
    s.page = 2
    _call(s, "filter", {"q": "  мыло  "})
    assert (s.search, s.page) == ("мыло", 1)
    assert sorted(r["name"] for r in getattr(s, rows)) == ["Мыло дегтярное", "Мыло лавандовое"]
    _call(s, "go", -1)
    assert s.page == 1


def test_a_supply_and_a_count_change_the_overview(db):
    from smo_app.state.warehouse import WarehouseState

    p = make_product(db, name="Свеча", price_minor=50000)
    vid = p.variants[0].id
    s = _state(WarehouseState, db, Role.manager)
    _call(s, "load")
    assert s.lines[0]["qty"] == 0 and s.lines[0]["level"] == "red"
    # supply in three steps
    _call(s, "supply_next")
    assert s.supply_error == "Выберите или добавьте поставщика." and s.supply_step == 1
    _call(s, "add_supplier", {"name": "Воск и Ко", "contact": ""})
    _call(s, "supply_next")
    _call(s, "supply_items_next", {"lines": f"{vid} 10\n999999 1"})
    assert "Строка 2" in s.supply_error and s.supply_step == 2
    _call(s, "supply_items_next", {"lines": f"{vid} 10"})
    assert s.supply_step == 3 and s.supply_items[0]["name"] == "Свеча"
    _call(s, "supply_receive", {f"price_{vid}": "2000", "comment": ""})
    assert s.supply_error == "" and s.lines[0]["qty"] == 10 and s.lines[0]["level"] == "green"
    assert s.sums["value"].startswith("2")  # 10 × 200 ₽
    # count: preview first, then apply
    _call(s, "count_preview", {"lines": f"{vid} 7", "comment": "пересчёт"})
    assert s.count_lines[0]["difference"] == -3 and s.lines[0]["qty"] == 10
    _call(s, "count_apply")
    assert s.lines[0]["qty"] == 7
    _call(s, "open_variant", vid, "Свеча", 7)
    assert [m["kind"] for m in s.moves] == ["инвентаризация", "поставка"]


def test_promo_codes_certificates_and_links_from_the_promotions_page(db):
    from smo_app.state.promotions import PromotionsState

    s = _state(PromotionsState, db, Role.manager)
    _call(s, "load")
    assert s.promos == [] and s.certs == [] and s.links == []
    _call(s, "create_promo", {"code": "welcome", "pct": "ten", "limit": "", "expires": ""})
    assert s.promo_error == "Скидка, лимит и срок в днях — целые числа."
    _call(s, "create_promo", {"code": "welcome", "pct": "10", "limit": "5", "expires": "2030-01-31"})
    assert s.promo_error == "" and s.promos[0]["code"] == "WELCOME" and s.promos[0]["used"] == "0 / 5"
    _call(s, "promo_stats", s.promos[0]["id"])
    assert s.promos[0]["stats"].startswith("Применён 0 раз")
    _call(s, "create_certificate", {"face": "три тысячи", "days": "", "code": ""})
    assert s.cert_error == "Номинал — сумма в рублях, например 3000."
    _call(s, "create_certificate", {"face": "3000", "days": "", "code": ""})
    assert s.certs[0]["status"] == "действует" and s.certs[0]["code"].startswith("GIFT-")
    _call(s, "create_link", {"title": "Пост в канале", "code": "bad code!"})
    assert s.link_error.startswith("Код ссылки")
    _call(s, "create_link", {"title": "Пост в канале", "code": "post1"})
    assert s.links[0]["url"].endswith("?start=link_post1") and s.links[0]["clicks"] == 0
    _call(s, "archive_link", s.links[0]["id"])
    assert s.links == []
    _call(s, "set_show_archived", True)
    assert s.links[0]["archived"]


def test_downloads_reach_the_browser_and_a_signed_out_click_gets_a_message(db):
    from smo_app.state.warehouse import WarehouseState

    make_product(db, name="Свеча", qty=3)
    s = _state(WarehouseState, db, Role.manager)
    for event, name in (("download_qr", "qr-codes.pdf"), ("download_valuation", "stock-valuation.xlsx")):
        out = _call(s, event)
        assert "_download" in repr(out.handler.fn) and name in str(out.args)
    s.bo_token = ""  # signed out between the page load and the click
    out = _call(s, "download_qr")
    assert "Недостаточно прав" in str(out.args)


def test_the_product_editor_creates_edits_and_links_products(db):
    from smo_app.state.catalog import CatalogState
    from smo_app.state.catalog_editor import ProductEditorState

    other = make_product(db, name="Подставка")
    s = _state(ProductEditorState, db, Role.manager)
    catalog = asyncio.run(s.get_state(CatalogState))
    _call(s, "load_page")
    _call(catalog, "load")
    assert not catalog.can_rename and not catalog.can_delete
    # a new product with two variants
    _call(s, "new_product")
    form = {"name": "Аромасвеча", "price": "1 200", "unit": "шт", "discount": "5", "position": "0", "threshold": "2",
            "description": "", "details": "", "variants": "100 г:1200:150; 200 г:1900:260"}
    _call(s, "save_product", {**form, "discount": "пять"})
    assert s.ed_error == "«Скидка, %»: введите целое неотрицательное число." and s.ed_id == 0
    _call(s, "save_product", form)
    assert s.ed_error == "" and s.ed_id and [v["label"] for v in s.ed_variants] == ["100 г", "200 г"]
    # a variant's price is edited; a bad one says how to write it
    vid = s.ed_variants[0]["id"]
    _call(s, "save_variant", {"row_id": str(vid), "label": "100 г", "price": "дёшево", "weight": "150", "wholesale": "",
                              "min_qty": "1"})
    assert s.ed_error.startswith("«Цена, ₽»: проверьте значение")
    _call(s, "save_variant", {"row_id": str(vid), "label": "100 г", "price": "1 150", "weight": "150", "wholesale": "900",
                              "min_qty": "3", "barcode": "4006381333931", "sku": "AROMA-100"})
    assert s.ed_variants[0]["price"] == "1150" and s.ed_variants[0]["wholesale"] == "900"
    assert (s.ed_variants[0]["barcode"], s.ed_variants[0]["sku"]) == ("4006381333931", "AROMA-100")
    # cross-sell picker: found by name, added, saved with the product
    _call(s, "pick_search", {"q": "подстав"})
    assert [p["name"] for p in s.pick_results] == ["Подставка"]
    _call(s, "add_cross", other.id, "Подставка")
    _call(s, "save_product", {**form, "name": "Аромасвеча"})
    db.expire_all()
    assert db.get(Product, s.ed_id).cross_sell == [other.id]
    db.rollback()
    # a manager may neither rename nor delete
    _call(s, "save_product", {**form, "name": "Другое имя"})
    assert s.ed_error == "Недостаточно прав для этого действия."
    _call(s, "delete_product")
    assert s.ed_error == "Недостаточно прав для этого действия."
    # and the catalog's list follows the editor
    assert [r["name"] for r in catalog.rows if r["id"] == s.ed_id] == ["Аромасвеча"]


def test_a_bad_write_off_line_writes_off_nothing(db):
    from smo_app.state.warehouse import WarehouseState

    p = make_product(db, name="Свеча", qty=5)
    vid = p.variants[0].id
    s = _state(WarehouseState, db, Role.manager)
    _call(s, "load")
    _call(s, "write_off", {"lines": f"{vid} 2\n{vid} x", "comment": "бой"})
    assert "Строка 2" in s.writeoff_error and s.lines[0]["qty"] == 5
    _call(s, "write_off", {"lines": f"{vid} 2", "comment": "бой"})
    assert s.writeoff_error == "" and s.lines[0]["qty"] == 3


def test_the_category_tree_is_built_reordered_hidden_and_deleted_by_the_owner(db):
    from smo_app.state.catalog import CatalogState

    s = _state(CatalogState, db, Role.owner)
    _call(s, "load")
    assert s.cats == [] and s.can_delete
    for name in ("Свечи", "Мыло"):
        _call(s, "create_category", {"name": name})
    _call(s, "set_new_cat_parent", str(s.cats[0]["id"]))
    _call(s, "create_category", {"name": "Соевые"})
    assert [(c["name"], c["depth"]) for c in s.cats] == [("Свечи", 0), ("Соевые", 1), ("Мыло", 0)]
    _call(s, "move_category", s.cats[2]["id"], -1)
    assert [c["name"] for c in s.cats] == ["Мыло", "Свечи", "Соевые"]
    _call(s, "toggle_category", s.cats[0]["id"], True)
    assert s.cats[0]["hidden"]
    _call(s, "rename_category", s.cats[0]["id"], "Мыло ручной работы")
    assert s.cats[0]["name"] == "Мыло ручной работы"
    _call(s, "create_category", {"name": ""})
    assert len(s.cats) == 3  # an empty name adds nothing
    _call(s, "delete_category", s.cats[0]["id"])
    assert [c["name"] for c in s.cats] == ["Свечи", "Соевые"]


def test_operation_screens_call_services_off_the_event_loop_and_keep_row_errors(db, monkeypatch):
    import threading

    from smo_app.services.core.errors import ValidationFailed
    from smo_app.services.stock import warehouse
    from smo_app.state.warehouse import WarehouseState

    s = _state(WarehouseState, db, Role.manager)
    seen = {"loop": threading.get_ident()}

    def write_off(session, *, actor, text, comment):
        seen["thread"] = threading.get_ident()
        exc = ValidationFailed("stock.batch_rejected", "bad rows", count=2)
        exc.errors = [{"row": r, "code": "stock.line_qty"} for r in (2, 5)]
        raise exc

    monkeypatch.setattr(warehouse, "write_off", write_off)
    s.lang = "en"
    # when a write-off is refused row by row
    _call(s, "write_off", {"lines": "1 1", "comment": ""})
    # then the service ran in a worker thread, and the message names each bad row under the summary
    assert seen["thread"] != seen["loop"]
    lines = s.writeoff_error.split("\n")
    assert len(lines) == 3 and lines[1].startswith("Row 2") and lines[2].startswith("Row 5")
