"""Catalog Excel import/export (CA3) and the warehouse sheets (WH7)."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.models.catalog import Product, Variant
from smo_app.models.staff import Role
from smo_app.services.catalog import excel, sheets
from smo_app.services.catalog import products as catalog
from smo_app.services.core.errors import PermissionDenied, ValidationFailed
from tests.commerce_factories import SYSTEM, make_product
from tests.factories import make_staff


def _xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(excel.COLUMNS))
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _snapshot(session):
    session.expire_all()
    return sorted((p.id, p.name, p.discount_pct, p.hidden) for p in session.exec(select(Product)).all()), \
        sorted((v.id, v.product_id, v.label, v.price_minor) for v in session.exec(select(Variant)).all())


def test_export_then_import_of_the_same_file_changes_nothing(session):
    admin = make_staff(session, Role.admin).actor()
    cat = catalog.create_category(session, actor=SYSTEM, name="Свечи")
    make_product(session, name="Лаванда", price_minor=45000, category_id=cat.id,
                 variants=[{"label": "10 мл", "price_minor": 45000}, {"label": "30 мл", "price_minor": 110050}])
    data = excel.export_xlsx(session, actor=admin)
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[0] == excel.COLUMNS
    assert [r[1:6] for r in rows[1:]] == [("Лаванда", "Свечи", rows[1][3], "10 мл", 450),
                                         ("Лаванда", "Свечи", rows[2][3], "30 мл", 1100.5)]
    plan = excel.preview_import(session, actor=admin, data=data)
    assert (plan.creates, plan.updates, plan.unchanged) == (0, 0, 2)


def test_one_bad_row_at_the_end_rejects_the_whole_file(session):
    # given a catalog and a file whose good rows come first and whose last row is bad
    admin = make_staff(session, Role.admin).actor()
    p = make_product(session, name="Мыло", price_minor=30000)
    vid = p.variants[0].id
    before = _snapshot(session)
    data = _xlsx([
        [p.id, "Мыло", "", vid, "", "350", 0, 10, "шт", 0, 3, ""],
        ["", "Новый крем", "", "", "50 мл", "990", 60, 0, "шт", "нет", "", "Крем"],
        ["", "Скраб", "", "", "", "двести", 0, 0, "шт", 0, "", ""],
    ])
    # when the admin previews and then tries to apply it
    for call in (lambda: excel.preview_import(session, actor=admin, data=data),
                 lambda: excel.apply_import(session, actor=admin, data=data, digest="x" * 64)):
        with pytest.raises(ValidationFailed) as exc:
            call()
        # then the error names the row and nothing changed
        if exc.value.code == "catalog.import_rejected":
            assert [(e["line"], e["code"]) for e in exc.value.errors] == [(4, "catalog.import_bad_price")]
    assert _snapshot(session) == before


def test_a_good_file_previews_then_applies_in_one_go_and_is_audited(session):
    admin = make_staff(session, Role.admin).actor()
    p = make_product(session, name="Мыло", price_minor=30000)
    vid = p.variants[0].id
    data = _xlsx([
        [p.id, "Мыло", "", vid, "", "350", 0, 10, "шт", 0, 3, ""],
        ["", "Новый крем", "", "", "50 мл", "990", 60, 0, "шт", "нет", "", "Крем"],
        ["", "Новый крем", "", "", "100 мл", "1 690,50", 110, 0, "шт", "нет", "", "Крем"],
    ])
    plan = excel.preview_import(session, actor=admin, data=data)
    assert (plan.creates, plan.updates, plan.unchanged) == (2, 1, 0)
    assert plan.changes[0].changes == {"discount_pct": [0, 10], "price_minor": [30000, 35000]}
    assert _snapshot(session)[1][0][3] == 30000  # the preview wrote nothing
    excel.apply_import(session, actor=admin, data=data, digest=plan.digest)
    session.expire_all()
    assert session.get(Variant, vid).price_minor == 35000
    cream = session.exec(select(Product).where(Product.name == "Новый крем")).one()
    assert sorted((v.label, v.price_minor) for v in session.exec(select(Variant).where(Variant.product_id == cream.id))) == \
        [("100 мл", 169050), ("50 мл", 99000)]
    actions = [a.action for a in session.exec(select(AuditEntry).where(AuditEntry.action.startswith("catalog.import")))]
    assert actions.count("catalog.import_create") == 2 and actions.count("catalog.import_update") == 1


def test_a_manager_cannot_rename_through_the_import_and_a_changed_file_is_refused(session):
    manager = make_staff(session, Role.manager).actor()
    p = make_product(session, name="Мыло")
    data = _xlsx([[p.id, "Мыло люкс", "", p.variants[0].id, "", "1000", 0, 0, "шт", 0, 3, ""]])
    with pytest.raises(ValidationFailed) as exc:
        excel.preview_import(session, actor=manager, data=data)
    assert exc.value.errors[0]["code"] == "catalog.import_rename_forbidden"
    ok = _xlsx([[p.id, "Мыло", "", p.variants[0].id, "", "1000", 0, 5, "шт", 0, 3, ""]])
    plan = excel.preview_import(session, actor=manager, data=ok)
    with pytest.raises(ValidationFailed) as changed:
        excel.apply_import(session, actor=manager, data=data, digest=plan.digest)
    assert changed.value.code == "catalog.import_changed"


def test_not_an_excel_file_and_missing_columns_are_explained(session):
    admin = make_staff(session, Role.admin).actor()
    with pytest.raises(ValidationFailed) as not_xlsx:
        excel.preview_import(session, actor=admin, data=b"name,price\nx,1\n")
    assert not_xlsx.value.code == "catalog.import_not_xlsx"
    wb = Workbook()
    wb.active.append(["title", "cost"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ValidationFailed) as columns:
        excel.preview_import(session, actor=admin, data=buf.getvalue())
    assert columns.value.code == "catalog.import_columns"


def test_qr_sheet_is_a_pdf_and_valuation_sums_stock_at_cost(session):
    manager = make_staff(session, Role.manager).actor()
    make_product(session, name="Свеча", price_minor=50000, qty=4, unit_cost_minor=20000)
    make_product(session, name="Мыло", price_minor=30000, qty=2, unit_cost_minor=10000)
    pdf = sheets.qr_sheet_pdf(session, actor=manager, bot_username="shop_bot")
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    wb = load_workbook(io.BytesIO(sheets.valuation_xlsx(session, actor=manager)))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[-1][0] == "Итого" and rows[-1][3] == 6 and rows[-1][5] == 1000.0  # 4×200 + 2×100 ₽
    with pytest.raises(PermissionDenied):
        sheets.qr_sheet_pdf(session, actor=make_staff(session, Role.seller).actor())


def test_product_link_opens_the_product_in_the_bot():
    assert sheets.product_link(42, "shop_bot") == "https://t.me/shop_bot?start=p42"


def test_a_file_that_creates_products_is_applied_once_even_when_two_admins_confirm_together(engine):
    import threading

    from smo_app.db import make_engine
    from smo_app.models.imports import CatalogImport
    from smo_app.services.core.errors import DomainError
    from sqlmodel import Session

    # given a previewed file that creates a product
    with Session(engine, expire_on_commit=False) as s:
        admin = make_staff(s, Role.admin).actor()
        data = _xlsx([["", "Двойной клик", "", "", "", "500", 0, 0, "шт", 0, 3, ""]])
        digest = excel.preview_import(s, actor=admin, data=data).digest
    # when two admins confirm it at the same moment, each on their own connection
    workers = make_engine(engine.url.render_as_string(hide_password=False), pool_size=4, max_overflow=0)
    barrier, results, lock = threading.Barrier(2), [], threading.Lock()

    def confirm():
        barrier.wait()
        try:
            with Session(workers, expire_on_commit=False) as s:
                excel.apply_import(s, actor=admin, data=data, digest=digest)
            outcome = "ok"
        except DomainError as exc:
            outcome = exc.code
        except Exception as exc:  # noqa: BLE001 - shown by the assertion
            outcome = f"crash:{type(exc).__name__}:{exc}"
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    workers.dispose()
    # then one applies it, the other is told it was applied, and the product exists once
    assert sorted(results) == ["catalog.import_already_applied", "ok"]
    with Session(engine) as s:
        assert len(s.exec(select(Product).where(Product.name == "Двойной клик")).all()) == 1
        assert len(s.exec(select(CatalogImport)).all()) == 1
        # and a later preview of the same file says so before anyone confirms
        with pytest.raises(DomainError) as again:
            excel.preview_import(s, actor=admin, data=data)
        assert again.value.code == "catalog.import_already_applied"
