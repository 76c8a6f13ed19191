"""The backoffice forms as typed, read by their services (SQLite and PostgreSQL): a value that does not
read is refused with the service's code naming the field, and what reads is saved by the use case
underneath — the same rule whichever screen (or channel) sends the text."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from smo_app.models.catalog import Product
from smo_app.models.orders import Order
from smo_app.models.staff import Role
from smo_app.services.catalog import excel, product_editor
from smo_app.services.core import form_input, settings_form
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, PermissionDenied, ValidationFailed
from smo_app.services.customers import customer_card
from smo_app.services.sales import wheel
from smo_app.services.payments.manual import decide_manual_payment, submit_proof
from smo_app.services.payments.refunds import refund_as_typed
from smo_app.services.sales import b2b_entry, order_admin, promotion_forms
from tests.commerce_factories import SYSTEM, make_product, place, qty_of, variant_id
from tests.factories import make_customer, make_staff
from tests.payments_support import settings as payment_settings
from tests.services.test_catalog_excel import _xlsx

MSK = ZoneInfo("Europe/Moscow")


def _code(call) -> str:
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value.code


# --------------------------------------------------------------------------- reading what was typed

def test_form_input_reads_numbers_amounts_and_days():
    assert form_input.whole_number(" 12 ", "x.bad") == 12 and form_input.whole_number("-3", "x.bad") == -3
    assert form_input.whole_number("", "x.bad", default=0) == 0
    assert form_input.optional_whole_number(" ", "x.bad") is None
    assert form_input.amount("1 500,50", "x.bad") == 150050 and form_input.optional_amount("", "x.bad") is None
    assert form_input.signed_amount("+5", "x.bad") == 500 and form_input.signed_amount("-2,5", "x.bad") == -250
    assert form_input.day("2026-11-30", "x.bad") == date(2026, 11, 30) and form_input.optional_day("", "x.bad") is None
    assert form_input.amount_text(300050) == "3000.50" and form_input.amount_text(300000) == "3000"
    for bad in ("", "12a", "--5", "1.5"):
        with pytest.raises(ValidationFailed) as refused:
            form_input.whole_number(bad, "x.bad", field="qty")
        assert (refused.value.code, refused.value.params["field"], refused.value.errors) == (
            "x.bad", "qty", [{"field": "qty", "code": "x.bad"}])
    assert _code(lambda: form_input.whole_number("-1", "x.bad", minimum=0)) == "x.bad"
    assert _code(lambda: form_input.amount("-5", "x.money")) == "x.money"
    assert _code(lambda: form_input.day("30.11.2026", "x.day")) == "x.day"


# --------------------------------------------------------------------------- settings

def test_the_settings_form_reads_each_kind_and_names_the_field(session):
    owner = make_staff(session, Role.owner).actor()
    form = settings_form.read_form(session, actor=owner)
    assert form.values["referral_tiers"] == "0:5, 5:7, 15:10" and form.values["free_delivery_pickup_minor"] == "3000"
    for field, text, code in (("cashback_pct", "seven", "settings.number_invalid"),
                              ("referral_reward_minor", "много", "settings.money_invalid"),
                              ("referral_tiers", "five friends: 7", "settings.tiers_invalid"),
                              ("cashback_pct", "150", "settings.invalid")):
        with pytest.raises(ValidationFailed) as refused:
            settings_form.save_form(session, actor=owner, values={**form.values, field: text}, flags=form.flags)
        assert refused.value.code == code and refused.value.errors[0]["field"] == field
    saved = settings_form.save_form(session, actor=owner, flags={**form.flags, "vacation_mode": True},
                                    values={**form.values, "referral_tiers": "10:9; 0:4", "channel_url": "",
                                            "free_delivery_pickup_minor": "2 500,50"})
    assert saved.values["referral_tiers"] == "0:4, 10:9" and saved.values["free_delivery_pickup_minor"] == "2500.50"
    assert saved.flags["vacation_mode"] and saved.values["channel_url"] == ""
    with pytest.raises(PermissionDenied):
        settings_form.save_form(session, actor=make_staff(session, Role.admin).actor(), values=form.values, flags={})


# --------------------------------------------------------------------------- catalog

def test_the_product_editor_creates_changes_and_keeps_the_name_of_who_may_not_rename(session):
    manager = make_staff(session, Role.manager).actor()
    other = make_product(session, name="Подставка")
    form = product_editor.ProductForm(name="Аромасвеча", price="1 200", discount="5", threshold="2",
                                      variants="100 г:1200:150; 200 г:1900:260", cross_sell=[other.id])
    assert _code(lambda: product_editor.save_product(session, actor=manager, product_id=0,
                                                     form=form.model_copy(update={"position": "-1"}))) == "catalog.number_invalid"
    assert _code(lambda: product_editor.save_product(session, actor=manager, product_id=0,
                                                     form=form.model_copy(update={"price": "дорого"}))) == "catalog.price_not_amount"
    view = product_editor.save_product(session, actor=manager, product_id=0, form=form)
    product = view.product
    assert [v.label for v in product.variants] == ["100 г", "200 г"] and product.unit == "шт"
    assert [c.name for c in view.cross] == ["Подставка"]
    # the name sent unchanged is no rename; another name is the owner's to give
    view = product_editor.save_product(session, actor=manager, product_id=product.id,
                                       form=form.model_copy(update={"name": "Аромасвеча ", "discount": "7"}))
    assert view.product.discount_pct == 7
    assert _code(lambda: product_editor.save_product(session, actor=manager, product_id=product.id,
                                                     form=form.model_copy(update={"name": "Другое"}))) == "common.forbidden"
    # variants: a bad price reads as the variant format; one more variant at a time
    vid = product.variants[0].id
    bad = product_editor.VariantForm(label="100 г", price="дёшево", weight="150")
    assert _code(lambda: product_editor.save_variant(session, actor=manager, product_id=product.id, variant_id=vid,
                                                     form=bad)) == "catalog.variant_invalid"
    view = product_editor.save_variant(session, actor=manager, product_id=product.id, variant_id=vid,
                                       form=bad.model_copy(update={"price": "1 150", "wholesale": "900", "min_qty": "3"}))
    assert (view.product.variants[0].price_minor, view.product.variants[0].wholesale_price_minor) == (115000, 90000)
    assert _code(lambda: product_editor.add_variant(session, actor=manager, product_id=product.id,
                                                    spec="1:2:3; 4:5:6")) == "catalog.variant_invalid"
    view = product_editor.add_variant(session, actor=manager, product_id=product.id, spec="300 г:2500:380")
    assert [v.label for v in view.product.variants] == ["100 г", "200 г", "300 г"]


def test_an_uploaded_import_waits_for_its_confirmation_or_is_dropped(session):
    admin = make_staff(session, Role.admin).actor()
    data = _xlsx([["", "Крем", "", "", "", "990", 0, 0, "шт", 0, 3, ""]])
    plan = excel.preview_upload(session, actor=admin, data=data)
    assert plan.creates == 1 and session.exec(select(Product)).all() == []
    excel.discard_upload(session, actor=admin, digest=plan.digest)
    assert _code(lambda: excel.apply_upload(session, actor=admin, digest=plan.digest)) == "catalog.import_changed"
    assert _code(lambda: excel.apply_upload(session, actor=admin, digest="../../etc/passwd")) == "catalog.import_changed"
    plan = excel.preview_upload(session, actor=admin, data=data)
    assert excel.apply_upload(session, actor=admin, digest=plan.digest).creates == 1
    assert [p.name for p in session.exec(select(Product)).all()] == ["Крем"]


# --------------------------------------------------------------------------- promotions, wheel

def test_a_promo_code_expires_at_the_end_of_the_typed_day_and_an_unchanged_day_keeps_its_moment(session):
    manager = make_staff(session, Role.manager).actor()
    assert _code(lambda: promotion_forms.create_promo_as_typed(session, actor=manager, code="SUMMER", pct="ten")) \
        == "promo.number_invalid"
    assert _code(lambda: promotion_forms.create_promo_as_typed(session, actor=manager, code="SUMMER", pct="10",
                                                               expires="30.06.2031")) == "promo.expires_invalid"
    promo = promotion_forms.create_promo_as_typed(session, actor=manager, code="summer", pct="10", limit="5",
                                                  expires="2031-06-30")
    assert promo.expires_at == datetime(2031, 6, 30, 23, 59, 59, tzinfo=MSK) and promo.usage_limit == 5
    # a moment stored by another channel stays as it is while the form keeps its day
    odd = datetime(2031, 6, 30, 12, 0, tzinfo=timezone.utc)
    promotion_forms.promotions.update_promo(session, actor=SYSTEM, promo_id=promo.id, code="SUMMER", pct=10,
                                            usage_limit=5, expires_at=odd)
    kept = promotion_forms.update_promo_as_typed(session, actor=manager, promo_id=promo.id, code="", pct="20",
                                                 limit="", expires="2031-06-30", once_per_customer=True)
    assert (kept.code, kept.pct, kept.usage_limit, kept.expires_at, kept.once_per_customer) == ("SUMMER", 20, None, odd, True)
    moved = promotion_forms.update_promo_as_typed(session, actor=manager, promo_id=promo.id, code="SUMMER20", pct="20",
                                                  expires="")
    assert (moved.code, moved.expires_at) == ("SUMMER20", None)


def test_a_certificate_reads_its_face_value_and_lasts_a_year_by_default(session):
    manager = make_staff(session, Role.manager).actor()
    assert _code(lambda: promotion_forms.create_certificate_as_typed(session, actor=manager, face="три тысячи")) \
        == "certificate.face_not_amount"
    assert _code(lambda: promotion_forms.create_certificate_as_typed(session, actor=manager, face="3000", days="x")) \
        == "promo.number_invalid"
    cert = promotion_forms.create_certificate_as_typed(session, actor=manager, face="3 000", code=" ")
    assert cert.face_minor == 300000 and cert.code.startswith("GIFT-")
    assert 364 <= (cert.expires_at - datetime.now(timezone.utc)).days <= 365


def test_a_wheel_prize_reads_its_value_by_its_kind_and_switches_off_whole(session):
    manager = make_staff(session, Role.manager).actor()
    assert _code(lambda: wheel.save_prize_as_typed(session, actor=manager, label="Big", kind="promo", value="десять",
                                                   weight="1")) == "wheel.pct_invalid"
    assert _code(lambda: wheel.save_prize_as_typed(session, actor=manager, label="Bonus", kind="bonus", value="сто",
                                                   weight="1")) == "wheel.bonus_invalid"
    assert _code(lambda: wheel.save_prize_as_typed(session, actor=manager, label="Bonus", kind="bonus", value="150",
                                                   weight="often")) == "wheel.weight_invalid"
    bonus = wheel.save_prize_as_typed(session, actor=manager, label="Bonus", kind="bonus", value="150,50", weight="2")
    nothing = wheel.save_prize_as_typed(session, actor=manager, label="Try again", kind="nothing", value="junk", weight="1")
    assert (bonus.value, nothing.value) == (15050, 0)
    off = wheel.set_prize_active(session, actor=manager, prize_id=bonus.id, active=False)
    assert (off.label, off.value, off.weight, off.active) == ("Bonus", 15050, 2, False)


# --------------------------------------------------------------------------- customers

def test_the_customer_card_and_its_forms(session):
    manager = make_staff(session, Role.manager).actor()
    customer = make_customer(session, full_name="Вера")
    view = customer_card.customer_card(session, actor=manager, customer_id=customer.id)
    assert view.card.full_name == "Вера" and view.bonuses.balance_minor == 0
    assert _code(lambda: customer_card.save_profile(session, actor=manager, customer_id=customer.id, discount="ten",
                                                    note="", wholesale=False)) == "customers.discount_invalid"
    card = customer_card.save_profile(session, actor=manager, customer_id=customer.id, discount="", note="VIP",
                                      wholesale=True)
    assert (card.personal_discount_pct, card.note, card.wholesale_approved) == (0, "VIP", True)
    assert _code(lambda: customer_card.adjust_bonuses(session, actor=manager, customer_id=customer.id, amount="сто",
                                                      note="gift")) == "common.amount_invalid"
    customer_card.adjust_bonuses(session, actor=manager, customer_id=customer.id, amount="+150", note="подарок")
    bonuses = customer_card.adjust_bonuses(session, actor=manager, customer_id=customer.id, amount="-50,5", note="ошибка")
    assert bonuses.balance_minor == 15000 - 5050


# --------------------------------------------------------------------------- orders

def test_a_move_that_asks_why_needs_a_reason(session):
    tea = make_product(session, name="Tea", price_minor=50000, qty=10)
    order = place(session, make_customer(session).id, {variant_id(tea): 3})
    manager = make_staff(session, Role.manager).actor()
    assert _code(lambda: order_admin.move_order(session, actor=manager, order_id=order.id, to_status="cancelled",
                                                reason="  ")) == "order.reason_required"
    assert order_admin.move_order(session, actor=manager, order_id=order.id, to_status="paid").status == "paid"
    assert _code(lambda: order_admin.move_order(session, actor=manager, order_id=order.id, to_status="completed")) \
        == "order.transition_forbidden"
    out = order_admin.move_order(session, actor=manager, order_id=order.id, to_status="cancelled", reason=" damaged ",
                                 restock=False)
    assert out.status == "cancelled" and qty_of(session, variant_id(tea)) == 7


def test_a_b2b_order_typed_line_by_line(session):
    tea = make_product(session, name="Tea", price_minor=50000, qty=10)
    vid = variant_id(tea)
    manager = make_staff(session, Role.manager).actor()
    assert b2b_entry.parse_b2b_lines(f"# comment\n{vid} 2 450\n\nfoo\n{vid} 0 1\n{vid};1;1 100,5") == (
        [{"variant_id": vid, "qty": 2, "unit_price_minor": 45000}], [4, 5, 6])
    with pytest.raises(ValidationFailed) as refused:
        b2b_entry.create_b2b_as_typed(session, actor=manager, lines=f"{vid} 2 450\nfoo", buyer="Cafe")
    assert (refused.value.code, refused.value.params["lines"]) == ("order.b2b_lines_invalid", "2")
    assert _code(lambda: b2b_entry.create_b2b_as_typed(session, actor=manager, lines=f"{vid} 1 450",
                                                       customer="Anna")) == "order.b2b_customer_invalid"
    assert _code(lambda: b2b_entry.create_b2b_as_typed(session, actor=manager, lines=f"{vid} 1 450",
                                                       delivery="free")) == "order.b2b_delivery_invalid"
    # an unknown customer code is named, not a bare "not found"
    with pytest.raises(ValidationFailed) as unknown:
        b2b_entry.create_b2b_as_typed(session, actor=manager, lines=f"{vid} 1 450", customer="999999")
    assert (unknown.value.code, unknown.value.params["id"], unknown.value.params["field"]) == (
        "order.b2b_customer_unknown", 999999, "customer")
    out = b2b_entry.create_b2b_as_typed(session, actor=manager, lines=f"{vid} 1 450", buyer=" Bar ", delivery="150",
                                        payer="shop")
    order = session.get(Order, out.id)
    assert (order.buyer_name, order.shop_delivery_minor, order.total_minor) == ("Bar", 15000, 45000)
    assert qty_of(session, vid) == 9


def test_a_refund_typed_on_the_card(session):
    owner = make_staff(session, Role.owner).actor()
    customer = make_customer(session)
    order = place(session, customer.id, {variant_id(make_product(session, price_minor=50000, qty=5)): 2})
    payment = submit_proof(session, actor=Actor.customer(customer.id), order_id=order.id, filename="t.png",
                           content=b"\x89PNG\r\n\x1a\n" + b"0" * 64, settings=payment_settings())
    decide_manual_payment(session, actor=owner, payment_id=payment.id, accept=True, note="seen")
    for typed in ("half", "-5"):  # a refund's own message, not the bonus field's "+500 or -200"
        assert _code(lambda: refund_as_typed(session, actor=owner, order_id=order.id, amount=typed, reason="x")) \
            == "payment.refund_amount_invalid"
    assert refund_as_typed(session, actor=owner, order_id=order.id, amount="200", reason="damaged").amount_minor == 20000
    assert refund_as_typed(session, actor=owner, order_id=order.id, amount="", reason="the rest").amount_minor == 80000
