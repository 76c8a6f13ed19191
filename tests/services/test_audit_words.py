"""The audit log reads in words: every action the services record, every setting, every field and
value they store — names instead of ids, the shop's money format, jobs named as people call them."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from smo_app.i18n import catalogs, t
from smo_app.models.audit import AuditEntry
from smo_app.services.core import audit, audit_words
from smo_app.services.core.actor import Actor
from smo_app.services.core.shop_config import ShopConfig
from tests.commerce_factories import make_product, variant_id
from tests.factories import actor_of, make_customer, make_staff
from tests.unit.test_audit_text import _recorded_actions

# single-word codes the database stores (a channel, a status, a kind, a move): never shown as they are
STORED_CODES = {"retail", "wholesale", "storefront", "pos", "b2b", "manual", "supply", "sale", "edit", "restock",
                "count", "return", "new", "paid", "processing", "shipped", "delivered", "completed", "cancelled",
                "pickup", "courier", "buyer", "shop", "pcs", "kg", "g", "all", "system", "staff", "customer"}
SERVICES = Path(__file__).resolve().parents[2] / "smo_app" / "services"
MSK = ZoneInfo("Europe/Moscow")
# a field key, an i18n key or an environment variable showing through ("avg_cost_minor", "ui.x", SMO_BOT_TOKEN)
RAW = re.compile(r"\b[a-z]+_[a-z0-9_]+\b|\bui\.[a-z]|\bSMO_[A-Z_]+\b")


def _recorded_fields() -> set[str]:
    """Every key the services write into an audit entry's before/after as a literal."""
    keys: set[str] = set()
    for path in SERVICES.rglob("*.py"):
        src = path.read_text(encoding="utf-8")
        for m in re.finditer(r"(?:audit\.record|entry_values)\(", src):
            i, depth = m.end(), 1
            while depth and i < len(src):
                depth += {"(": 1, ")": -1}.get(src[i], 0)
                i += 1
            for side in re.findall(r"(?:before|after)=(\{[^}]*\}|dict\([^)]*\))", src[m.start():i], re.S):
                keys |= set(re.findall(r"\"([a-z_]+)\"\s*:", side)) | set(re.findall(r"(\w+)=", side))
    return keys


def _entry(action: str, *, entity=None, entity_id=None, before=None, after=None, note=None,
           actor_kind="staff", actor_id=None, actor_name="Ольга"):
    return SimpleNamespace(id=1, created_at=datetime(2026, 11, 5, 11, 30, tzinfo=timezone.utc), actor_kind=actor_kind,
                           actor_id=actor_id, actor_name=actor_name, action=action, entity=entity,
                           entity_id=entity_id, before=before, after=after, note=note)


def _raw(text: str) -> list[str]:
    return RAW.findall(text)


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_every_action_code_reads_as_words(lang):
    actions = _recorded_actions()
    assert len(actions) > 60
    for action in sorted(actions):
        [line] = audit_words.present([_entry(action)], audit_words.Names(), lang, MSK)
        assert line["action"] != action and not _raw(line["action"]), action


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_every_setting_and_every_recorded_field_has_a_name(lang):
    # given every shop setting changed on the settings page
    for key, spec in ShopConfig.model_fields.items():
        [line] = audit_words.present(
            [_entry("settings.change", entity="setting", entity_id=key, before={"value": spec.get_default(call_default_factory=True)},
                    after={"value": 1})], audit_words.Names(), lang, MSK)
        # then the entry names the setting as the settings page does, never its key
        assert not _raw(line["entity"] + line["details"]), (key, line["entity"], line["details"])
    # and every field a service records has a name in both languages
    fields = _recorded_fields()
    assert {"avg_cost_minor", "supply_id", "bytes", "currency", "order_id"} <= fields
    missing = sorted(f for f in fields if f"ui.audit_field.{f}" not in catalogs()[lang])
    assert missing == []


def test_names_instead_of_ids_amounts_in_the_shop_format_jobs_named(session):
    owner = make_staff(session, full_name="Ольга Владимировна")
    seller = make_staff(session, "seller", full_name="Пётр Сидоров")
    buyer = make_customer(session, full_name="Анна Смирнова")
    product = make_product(session, name="Лавандовое масло")
    vid = variant_id(product)
    rows = [
        _entry("staff.role_change", entity="staff", entity_id=str(seller.id), before={"role": "seller"},
               after={"role": "manager"}, actor_id=owner.id, actor_name="old name"),
        _entry("stock.edit", entity="variant", entity_id=str(vid), before={"qty": 3, "avg_cost_minor": 17100},
               after={"qty": 5, "avg_cost_minor": 18035, "supply_id": 7}),
        _entry("payment.credit", entity="payment", entity_id="12", after={"order_id": 11, "amount_minor": 251400,
                                                                           "currency": "RUB"}),
        _entry("customer.update", entity="customer", entity_id=str(buyer.id), after={"personal_discount_pct": 5}),
        _entry("order.transition", entity="order", entity_id="11", before={"status": "new"},
               after={"status": "cancelled"}, actor_kind="system", actor_name="auto-cancel", note="manual:manual-2"),
        _entry("settings.change", entity="setting", entity_id="preorder_mode", before={"value": False}, after={"value": True}),
        _entry("broadcast.create", entity="broadcast", entity_id="3", after={"segment": "all", "recipients": 1200}),
        _entry("backup.made", entity="backup", entity_id="4", after={"size_bytes": 54091, "kind": "full"}),
    ]
    names = audit_words.names_for(session, rows)
    lines = audit_words.present(rows, names, "ru", MSK)
    text = "\n".join(f"{x['actor']} | {x['entity']} | {x['details']}" for x in lines)
    assert not _raw(text), text
    role, stock, pay, cust, cancel, setting, bcast, backup = lines
    assert role["actor"] == "Ольга Владимировна" and role["entity"] == "Сотрудник Пётр Сидоров"
    assert role["details"] == "Роль: Продавец → Менеджер"
    assert stock["entity"] == "Вариант Лавандовое масло"
    assert "Средняя себестоимость: 171\u00a0₽ → 180,35\u00a0₽" in stock["details"] and "Поставка: №7" in stock["details"]
    assert pay["details"] == "Заказ: №11\nСумма: 2\u00a0514\u00a0₽" and pay["entity"] == "Платёж №12"
    assert cust["entity"] == "Клиент Анна Смирнова" and "5\u00a0%" in cust["details"]
    assert cancel["actor"] == "автоотмена" and cancel["entity"] == "Заказ №11"
    assert "перевод по реквизитам, платёж manual-2" in cancel["details"] and "отменён" in cancel["details"]
    assert setting["entity"] == f"Настройка «{t('ui.settings.f.preorder_mode', 'ru')}»" and setting["details"].endswith("нет → да")
    assert "Аудитория: " + t("ui.bcast.segment.all", "ru") in bcast["details"] and "1\u00a0200" in bcast["details"]
    assert "52,8\u00a0КБ" in backup["details"]
    assert role["when"] == "05.11.2026 14:30"
    # the same entries read in English with English numbers
    en = audit_words.present(rows, names, "en", MSK)
    assert en[2]["details"] == "Order: No. 11\nAmount: 2,514\u00a0₽" and en[4]["actor"] == "auto-cancel"


def test_the_demo_shops_log_reads_without_a_key_or_an_id(session):
    from tests.demo_support import demo_shop

    demo_shop(session)
    owner = Actor.staff(1, "owner", "Owner")
    for lang in ("ru", "en"):
        screen = audit.audit_screen(session, actor=owner, page=1, page_size=200, lang=lang)
        assert screen.lines
        for line in screen.lines:
            shown = f"{line['actor']} | {line['action']} | {line['entity']} | {line['details']}"
            assert not _raw(shown), shown
            assert line["actor"] not in ("demo", "cdek", "system")
    rows = session.exec(select(AuditEntry)).all()
    assert {r.action for r in rows} >= {"order.place", "stock.supply", "staff.create"}


def test_the_audit_screen_page_is_rendered_for_the_viewer(session):
    owner = make_staff(session, full_name="Ольга")
    actor = actor_of(owner)
    seller = make_staff(session, "seller", full_name="Пётр")
    audit.record(session, actor=actor, action="staff.role_change", entity="staff", entity_id=seller.id,
                 before={"role": "seller"}, after={"role": "manager"})
    session.commit()
    screen = audit.audit_screen(session, actor=actor, action="staff.role_change", lang="en")
    assert [(x["actor"], x["action"], x["entity"], x["details"]) for x in screen.lines] == [
        ("Ольга", "Staff role changed", "Staff member Пётр", "Role: Seller → Manager")]


def test_the_stock_moves_file_names_the_job_and_the_order_in_words(session):
    from io import BytesIO

    from openpyxl import load_workbook

    from smo_app.services.analytics import stock_valuation
    from smo_app.services.sales import orders
    from tests.commerce_factories import place

    manager = actor_of(make_staff(session, "manager"))
    tea = make_product(session, name="Чай", price_minor=50000, qty=5)
    order = place(session, make_customer(session).id, {variant_id(tea): 2})
    # given an order the auto-cancel job cancelled
    orders.cancel_order(session, actor=Actor.system("auto-cancel"), order_id=order.id, reason="late")
    today = datetime.now(MSK).date()
    for lang, who, comment in (("ru", "автоотмена", f"Заказ №{order.id} отменён: late"),
                               ("en", "auto-cancel", f"Order No. {order.id} cancelled: late")):
        _, content = stock_valuation.stock_moves_workbook(session, actor=manager, date_from=today, date_to=today,
                                                          lang=lang, tz=MSK)
        ws = load_workbook(BytesIO(content)).active
        header = [c.value for c in ws[1]]
        rows = [dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)]
        back = rows[-1]
        # then every column reads in words: the job's name, the order's number, no English note
        assert list(back.values())[-2:] == [who, comment], back
        for row in rows:
            assert not any(isinstance(v, str) and _raw(v) for v in row.values()), row


def test_a_setting_value_reads_as_the_settings_page_names_it():
    [line] = audit_words.present([_entry("settings.change", entity="setting", entity_id="language",
                                         before={"value": "ru"}, after={"value": "en"})], audit_words.Names(), "ru", MSK)
    assert line["entity"] == f"Настройка «{t('ui.settings.f.language', 'ru')}»"
    assert line["details"] == f"{t('ui.settings.f.language', 'ru')}: Русский → English"


def test_every_export_column_and_cell_of_the_demo_shop_reads_in_words(session):
    """The analytics workbooks and the customers workbook, in both languages: headers translated,
    no stored code, field key or English note in a cell."""
    from datetime import timedelta
    from io import BytesIO

    from openpyxl import load_workbook

    from tests.demo_support import demo_shop
    from smo_app.services.analytics import views
    from smo_app.services.customers import admin as customers_admin

    from smo_app.models.customer import Customer

    demo_shop(session)
    owner = Actor.staff(1, "owner", "Owner")
    today = datetime.now(MSK).date()
    first = today - timedelta(days=60)
    usernames = set(session.exec(select(Customer.username)).all())  # people's own Telegram names may hold "_"
    for lang in ("ru", "en"):
        files = {kind: views.period_workbook(session, actor=owner, kind=kind, date_from=first.isoformat(),
                                             date_to=today.isoformat(), lang=lang)[1]
                 for kind in ("pnl", "abc", "stock", "moves")}
        files["customers"] = customers_admin.export_xlsx(session, actor=owner, date_from=first, date_to=today, lang=lang)
        for kind, content in files.items():
            for ws in load_workbook(BytesIO(content)).worksheets:
                for row in ws.iter_rows(values_only=True):
                    for value in row:
                        if isinstance(value, str) and value not in usernames:
                            assert not _raw(value) and not value.startswith(("xl.", "xlsx.")), (lang, kind, ws.title, value)
                            assert value not in STORED_CODES, (lang, kind, ws.title, value)
