"""Barcodes and SKUs per variant, the POS scan, and search in any language — on SQLite and PostgreSQL."""
from datetime import datetime, timezone

import pytest
from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.models.catalog import Variant
from smo_app.models.pos import PosRegister
from smo_app.models.staff import Role
from smo_app.services.catalog import admin as catalog_admin
from smo_app.services.catalog import browse, product_editor
from smo_app.services.catalog import products as catalog
from smo_app.services.catalog.barcodes import scale_code
from smo_app.services.core import shop_config
from smo_app.services.core.errors import DomainError
from smo_app.services.customers import admin as customers_admin
from smo_app.services.customers.loyalty_qr import card_code, issue_loyalty_token
from smo_app.services.pos import cart, lookup, sale, shifts
from tests.commerce_factories import SYSTEM, make_product
from tests.factories import make_customer, make_staff
from tests.race import outcomes, run_at_once

EAN = "4006381333931"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)


def _refused(fn) -> DomainError:
    with pytest.raises(DomainError) as err:
        fn()
    return err.value


def _form(**fields) -> product_editor.VariantForm:
    base = {"label": "", "price": "450", "weight": "15", "wholesale": "", "min_qty": "1", "barcode": "", "sku": "",
            "unit": "pcs", "plu": ""}
    return product_editor.VariantForm(**{**base, **fields})


@pytest.fixture
def manager(session):
    return make_staff(session, Role.manager).actor()


# --------------------------------------------------------------------------- the editor's variant row

def test_a_variant_row_saves_price_label_wholesale_codes_and_unit(session, manager):
    # given a product with one variant
    p = make_product(session, name="Масло лаванды", variants=[{"label": "10 мл", "price_minor": 45000}])
    vid = p.variants[0].id
    # when the row is saved with every field changed
    view = product_editor.save_variant(session, actor=manager, product_id=p.id, variant_id=vid, form=_form(
        label="15 мл", price="520,50", weight="20", wholesale="400", min_qty="10", barcode=f" {EAN} ",
        sku="OIL-LAV-15"))
    # then the product comes back as stored, and the change is audited
    v = view.product.variants[0]
    assert (v.label, v.price_minor, v.weight_g, v.wholesale_price_minor, v.wholesale_min_qty, v.barcode, v.sku) == \
        ("15 мл", 52050, 20, 40000, 10, EAN, "OIL-LAV-15")
    entry = session.exec(select(AuditEntry).where(AuditEntry.entity_id == vid)).all()[-1]
    assert entry.after["barcode"] == EAN and entry.before["price_minor"] == 45000
    # and emptying the wholesale price, the barcode and the SKU clears them
    v = product_editor.save_variant(session, actor=manager, product_id=p.id, variant_id=vid,
                                    form=_form(label="15 мл", price="520,50")).product.variants[0]
    assert (v.wholesale_price_minor, v.barcode, v.sku) == (None, None, None)


@pytest.mark.parametrize(("fields", "code", "field"), [
    ({"barcode": "4006381333932"}, "catalog.barcode_check_digit", "barcode"),
    ({"barcode": "46 01"}, "catalog.barcode_invalid", "barcode"),
    ({"price": "дорого"}, "catalog.variant_invalid", "price"),
    ({"min_qty": "0"}, "catalog.variant_invalid", "min_qty"),
    ({"wholesale": "-5"}, "catalog.variant_invalid", "wholesale"),
    ({"plu": "100000"}, "catalog.plu_invalid", "plu"),
    ({"unit": "ящик"}, "catalog.unit_invalid", "unit"),
])
def test_a_bad_field_refuses_the_whole_row_and_changes_nothing(session, manager, fields, code, field):
    p = make_product(session, name="Свеча", variants=[{"label": "", "price_minor": 45000}])
    vid = p.variants[0].id
    err = _refused(lambda: product_editor.save_variant(session, actor=manager, product_id=p.id, variant_id=vid,
                                                       form=_form(**{"price": "999", "sku": "NEW-SKU", **fields})))
    assert err.code == code and err.params.get("field") == field
    session.expire_all()
    v = session.get(Variant, vid)
    assert (v.price_minor, v.sku) == (45000, None)


def test_a_barcode_or_sku_another_product_has_is_refused_naming_it(session, manager):
    first = make_product(session, name="Свеча «Лаванда»")
    second = make_product(session, name="Мыло")
    catalog.update_variant(session, actor=manager, variant_id=first.variants[0].id, barcode=EAN, sku="CND-1")
    for fields, code in (({"barcode": EAN}, "catalog.barcode_taken"), ({"sku": "CND-1"}, "catalog.sku_taken")):
        err = _refused(lambda: product_editor.save_variant(session, actor=manager, product_id=second.id,
                                                           variant_id=second.variants[0].id, form=_form(**fields)))
        assert err.code == code and err.params["name"] == "Свеча «Лаванда»"


def test_two_editors_giving_one_barcode_to_two_variants_at_once_leave_it_on_one(pg_engine):
    # given two products on PostgreSQL
    from sqlmodel import Session

    with Session(pg_engine, expire_on_commit=False) as s:
        a = make_product(s, name="A").variants[0].id
        b = make_product(s, name="B").variants[0].id
        c = make_product(s, name="C").variants[0].id
    # when three sessions give the same barcode to their variants at the same moment
    results = run_at_once(pg_engine, [
        lambda s, vid=vid: catalog.update_variant(s, actor=SYSTEM, variant_id=vid, barcode=EAN) for vid in (a, b, c)])
    # then exactly one has it and the others are told it is taken
    assert outcomes(results) == {"ok": 1, "catalog.barcode_taken": 2}
    with Session(pg_engine) as s:
        assert len(s.exec(select(Variant).where(Variant.barcode == EAN)).all()) == 1


# --------------------------------------------------------------------------- search in any language

@pytest.fixture
def shop(session):
    cats = catalog.create_category(session, actor=SYSTEM, name="Свечи")
    products = {
        "candle": make_product(session, name="Свеча «Лаванда»", category_id=cats.id, qty=5),
        "soap": make_product(session, name="МЫЛО ручной работы", qty=5),
        "tree": make_product(session, name="Ёлочная игрушка", qty=5),
        "oil": make_product(session, name="Lavender oil", qty=5),
    }
    catalog.update_variant(session, actor=SYSTEM, variant_id=products["soap"].variants[0].id, sku="SOAP-Hand-01",
                           barcode=EAN)
    return products


@pytest.mark.parametrize("query", ["Свеча", "свеча", "СВЕЧА", "сВеЧа", "лаванда", "ВЕЧА"])
def test_the_register_finds_a_cyrillic_name_in_any_case(session, shop, query):
    seller = make_staff(session, Role.seller).actor()
    hits = lookup.search_products(session, actor=seller, query=query)
    assert [h.name for h in hits] == ["Свеча «Лаванда»"]


@pytest.mark.parametrize(("query", "name"), [("мыло", "МЫЛО ручной работы"), ("елочная", "Ёлочная игрушка"),
                                             ("ёлочная", "Ёлочная игрушка"), ("LAVENDER", "Lavender oil"),
                                             ("soap-hand", "МЫЛО ручной работы"), (EAN, "МЫЛО ручной работы"),
                                             ("SOAP-Hand-01", "МЫЛО ручной работы")])
def test_names_skus_and_barcodes_are_found_ignoring_case_and_yo(session, shop, query, name):
    seller = make_staff(session, Role.seller).actor()
    assert [h.name for h in lookup.search_products(session, actor=seller, query=query)] == [name]


def test_the_backoffice_and_the_mini_app_search_the_same_way(session, shop):
    owner = make_staff(session, Role.owner).actor()
    assert [r.name for r in catalog_admin.list_products(session, actor=owner, search="СВЕЧА").rows] == ["Свеча «Лаванда»"]
    assert [r.name for r in catalog_admin.list_products(session, actor=owner, search="soap-HAND").rows] == \
        ["МЫЛО ручной работы"]
    customer = make_customer(session)
    found = browse.search_products(session, actor=customer_actor(customer), query="мыло")
    assert [t.name for t in found] == ["МЫЛО ручной работы"]


def customer_actor(customer):
    from smo_app.services.core.actor import Actor

    return Actor.customer(customer.id, customer.full_name)


def test_a_renamed_product_is_found_by_its_new_name(session, shop):
    owner = make_staff(session, Role.owner).actor()
    catalog.update_product(session, actor=owner, product_id=shop["candle"].id, name="Свеча «Кедр»")
    seller = make_staff(session, Role.seller).actor()
    assert [h.name for h in lookup.search_products(session, actor=seller, query="КЕДР")] == ["Свеча «Кедр»"]
    assert lookup.search_products(session, actor=seller, query="лаванда") == []


def test_customers_by_name_in_any_case_and_by_phone_with_8_or_plus_7(session):
    seller = make_staff(session, Role.seller).actor()
    anna = make_customer(session, full_name="Анна Петрова", phone="+7 916 123-45-67")
    make_customer(session, full_name="Иван", phone="89031112233")
    for query in ("Анна", "анна", "АННА", "нна", "петрова"):
        assert [c.id for c in lookup.find_customers(session, actor=seller, query=query)] == [anna.id], query
    for query in ("89161234567", "+79161234567", "9161234567", "8 916", "+7 916", "4567"):
        assert [c.id for c in lookup.find_customers(session, actor=seller, query=query)] == [anna.id], query
    owner = make_staff(session, Role.owner).actor()
    assert [r.id for r in customers_admin.search_customers(session, actor=owner, query="АННА").rows] == [anna.id]
    assert [r.id for r in customers_admin.search_customers(session, actor=owner, query="89161234567").rows] == [anna.id]


# --------------------------------------------------------------------------- the POS scan

@pytest.fixture
def till(session):
    reg = session.exec(select(PosRegister)).first() or PosRegister(name="Касса 1")
    session.add(reg)
    session.commit()
    seller = make_staff(session, Role.seller).actor()
    shifts.open_shift(session, actor=seller, register_id=reg.id, float_minor=0)
    cheese = make_product(session, name="Сыр гауда", variants=[{"label": "", "price_minor": 123450}])
    vid = cheese.variants[0].id
    catalog.update_variant(session, actor=SYSTEM, variant_id=vid, unit="kg", plu=42)
    from tests.commerce_factories import supplier_id
    from smo_app.services.stock import supplies

    supplies.receive_supply(session, actor=SYSTEM, supplier_id=supplier_id(session),
                            items=[{"variant_id": vid, "qty": 5000, "total_minor": 5000 * 80}])
    piece = make_product(session, name="Свеча", price_minor=45000, qty=3)
    catalog.update_variant(session, actor=SYSTEM, variant_id=piece.variants[0].id, barcode=EAN, plu=7)
    return type("Till", (), {"reg": reg.id, "seller": seller, "cheese": vid, "piece": piece.variants[0].id})


def test_an_exact_barcode_is_one_piece(session, till):
    out = lookup.scan_code(session, actor=till.seller, code=f" {EAN} ")
    assert (out.kind, out.product.variant_id, out.qty) == ("product", till.piece, 1)


def test_a_weight_label_sells_its_grams_at_the_price_per_kilogram(session, till):
    # given the scale's label: item 42, 532 g, under the shop's default weight prefix 22
    code = scale_code(22, 42, 532)
    # when it is scanned and added as the sale screen does
    out = lookup.scan_code(session, actor=till.seller, code=code)
    assert (out.product.variant_id, out.qty, out.weight_g, out.product.unit) == (till.cheese, 532, 532, "kg")
    priced = cart.add_item(session, actor=till.seller, register_id=till.reg, variant_id=till.cheese, qty=out.qty)
    # then the line is 0.532 kg × 1 234,50 ₽ = 656,75 ₽, and the sale takes 532 g from stock
    assert priced.lines[0].total_minor == 65675 and priced.total_minor == 65675
    done = sale.submit_sale(session, actor=till.seller, register_id=till.reg, client_id="sale-weight-000001",
                            card_minor=0, tendered_minor=70000)
    assert done.total_minor == 65675
    session.expire_all()
    assert session.get(Variant, till.cheese).qty == 5000 - 532


def test_a_price_label_stands_for_the_weight_the_scale_priced(session, till):
    out = lookup.scan_code(session, actor=till.seller, code=scale_code(23, 42, 65675))
    assert (out.qty, out.price_minor) == (532, 65675)


def test_labels_that_do_not_fit_are_refused(session, till):
    good = scale_code(22, 42, 532)
    assert _refused(lambda: lookup.scan_code(session, actor=till.seller, code=good[:12] + str((int(good[12]) + 1) % 10))
                    ).code == "pos.scale_check_digit"
    assert _refused(lambda: lookup.scan_code(session, actor=till.seller, code=scale_code(22, 99, 532))
                    ).code == "pos.scale_unknown_item"
    assert _refused(lambda: lookup.scan_code(session, actor=till.seller, code=scale_code(22, 7, 532))
                    ).code == "pos.scale_not_by_weight"
    assert _refused(lambda: lookup.scan_code(session, actor=till.seller, code="0000000000000")
                    ).code == "pos.code_unknown"
    # and a shop without scales reads such a code as an ordinary, unknown one
    shop_config.update_config(session, actor=SYSTEM, changes={"scale_weight_prefix": None, "scale_price_prefix": None})
    assert _refused(lambda: lookup.scan_code(session, actor=till.seller, code=good)).code == "pos.code_unknown"


def test_the_loyalty_qr_and_the_card_code_name_the_customer(session, till):
    anna = make_customer(session, full_name="Анна")
    for code in (issue_loyalty_token(anna.id, NOW), card_code(anna.id, NOW)):
        out = lookup.scan_code(session, actor=till.seller, code=code, now=NOW)
        assert (out.kind, out.customer.id) == ("customer", anna.id)
    assert [c.id for c in lookup.find_customers(session, actor=till.seller, query=card_code(anna.id, NOW), now=NOW)] \
        == [anna.id]
    # a made-up or old card code names nobody
    forged = f"{anna.id}-" + ("0000" if not card_code(anna.id, NOW).endswith("0000") else "1111")
    assert _refused(lambda: lookup.scan_code(session, actor=till.seller, code=forged, now=NOW)).code == \
        "loyalty.code_invalid"
    later = NOW.replace(hour=13)
    assert _refused(lambda: lookup.scan_code(session, actor=till.seller, code=card_code(anna.id, NOW), now=later)
                    ).code == "loyalty.code_invalid"


# --------------------------------------------------------------------------- Excel import and export

def _xlsx(rows: list[dict]) -> bytes:
    import io

    from openpyxl import Workbook

    from smo_app.services.catalog import excel

    wb = Workbook()
    ws = wb.active
    ws.append(list(excel.COLUMNS))
    for r in rows:
        ws.append([r.get(c, "") for c in excel.COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_codes_go_out_and_come_back_through_excel(session, manager):
    import io

    from openpyxl import load_workbook

    from smo_app.services.catalog import excel

    p = make_product(session, name="Сыр гауда", price_minor=123450)
    catalog.update_variant(session, actor=SYSTEM, variant_id=p.variants[0].id, sku="CHEESE", barcode=EAN, unit="kg",
                           plu=42)
    data = excel.export_xlsx(session, actor=manager)
    header, row = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert dict(zip(header, row))["barcode"] == EAN and dict(zip(header, row))["sold_by"] == "kg"
    assert excel.preview_import(session, actor=manager, data=data).unchanged == 1
    # and a new product with its codes is created by the file
    plan = excel.apply_import(session, actor=manager, data=(f := _xlsx([{"name": "Мыло", "price": "300", "sku": "SOAP-1",
                                                                          "barcode": "96385074"}])),
                              digest=__import__("hashlib").sha256(f).hexdigest())
    assert plan.creates == 1
    assert session.exec(select(Variant).where(Variant.barcode == "96385074")).one().sku == "SOAP-1"


def test_a_bad_or_repeated_barcode_rejects_the_file_naming_the_rows(session, manager):
    from smo_app.services.catalog import excel

    owner = make_product(session, name="Свеча «Лаванда»")
    catalog.update_variant(session, actor=SYSTEM, variant_id=owner.variants[0].id, barcode=EAN)
    data = _xlsx([
        {"name": "Крем", "price": "500", "barcode": "96385074"},  # row 2: fine
        {"name": "Скраб", "price": "500", "barcode": "4006381333932"},  # row 3: check digit
        {"name": "Соль", "price": "500", "barcode": "96385074"},  # row 4: repeats row 2
        {"name": "Спрей", "price": "500", "barcode": EAN},  # row 5: another product's
        {"name": "Саше", "price": "500", "sold_by": "ящик"},  # row 6: unknown unit
    ])
    err = _refused(lambda: excel.preview_import(session, actor=manager, data=data))
    assert err.code == "catalog.import_rejected"
    assert [(e["line"], e["code"]) for e in err.errors] == [
        (3, "catalog.barcode_check_digit"), (4, "catalog.import_duplicate_barcode"), (5, "catalog.barcode_taken"),
        (6, "catalog.unit_invalid")]
    assert err.errors[2]["params"]["name"] == "Свеча «Лаванда»"
    assert session.exec(select(Variant).where(Variant.barcode == "96385074")).first() is None


# --------------------------------------------------------------------------- the demo shop

def test_the_demo_codes_scan_at_the_register(session):
    from smo_app.demo import barcodes as demo_barcodes
    from tests.demo_support import demo_shop
    from smo_app.services.catalog.barcodes import gs1_valid

    # given the demo shop
    demo_shop(session)
    variants = session.exec(select(Variant).where(Variant.active)).all()
    # then every variant has an SKU, every piece a valid EAN-13, and one product is sold by weight
    assert all(v.sku for v in variants)
    assert all(v.barcode and len(v.barcode) == 13 and gs1_valid(v.barcode) for v in variants if v.unit == "pcs")
    weighed = [v for v in variants if v.unit == "kg"]
    assert len(weighed) == 1 and weighed[0].plu == demo_barcodes.WEIGHED_PLU
    # and the README's codes scan to what it says
    seller = make_staff(session, Role.seller, username="till_seller").actor()  # not the demo's seller2
    codes = demo_barcodes.examples()
    piece = lookup.scan_code(session, actor=seller, code=codes["piece"])
    assert (piece.product.name, piece.product.variant_label, piece.qty) == ("Лаванда", "10 мл", 1)
    weight = lookup.scan_code(session, actor=seller, code=codes["weight_750g"])
    assert (weight.product.variant_id, weight.qty) == (weighed[0].id, 750)
    priced = lookup.scan_code(session, actor=seller, code=codes["price_190rub"])
    assert (priced.qty, priced.price_minor) == (500, 19000)
    # and the Mini App does not offer goods weighed at the counter
    customer = session.exec(select(__import__("smo_app.models.customer", fromlist=["Customer"]).Customer)).first()
    found = browse.search_products(session, actor=customer_actor(customer), query="соль")
    assert "Морская соль крупная (на развес)" not in [t.name for t in found]


def test_the_mini_app_card_shows_a_short_code_the_register_reads(session, till):
    from smo_app.services.core.actor import Actor
    from smo_app.services.customers import my_bonuses

    # given a customer opening "My bonuses" in the Mini App
    anna = make_customer(session, full_name="Анна")
    card = my_bonuses.my_bonuses(session, actor=Actor.customer(anna.id, "Анна"), now=NOW)
    refreshed = my_bonuses.my_loyalty_card(session, actor=Actor.customer(anna.id, "Анна"), now=NOW)
    # then the code under the QR is short, and the seller typing it finds her
    assert card.card_code == refreshed.card_code and len(card.card_code) <= len(str(anna.id)) + 5
    assert lookup.scan_code(session, actor=till.seller, code=card.card_code, now=NOW).customer.id == anna.id
