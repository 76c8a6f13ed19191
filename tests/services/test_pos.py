"""POS services (PO2–PO8) on SQLite and PostgreSQL: shifts, sales, policy and approvals, returns, reports."""
from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, update
from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.models.base import utcnow
from smo_app.models.catalog import Variant
from smo_app.models.customer import Customer
from smo_app.models.orders import Order
from smo_app.models.outbox import Outbox
from smo_app.models.pos import PosApproval, PosRegister, PosSale, PosShift
from smo_app.models.staff import Role
from smo_app.services.core.actor import Actor
from smo_app.services.core.audit import list_entries
from smo_app.services.core.errors import DomainError
from smo_app.services.core.shop_config import update_config
from smo_app.services.pos import approvals, cart, lookup, reports, returns, sale, shifts
from smo_app.services.sales import carts
from tests.commerce_factories import SYSTEM, fill_cart, make_product, qty_of, variant_id
from tests.factories import PIN, make_customer, make_staff
from tests.race import outcomes, run_at_once

_n = iter(range(1, 10**6))


def cid() -> str:
    return f"sale-{next(_n):06d}-abcdef"


@pytest.fixture
def pos(session):
    """A register, a seller with an open shift (float 1 000 ₽), and a product of 1 000 ₽ (10 in stock)."""
    reg = session.exec(select(PosRegister)).first() or PosRegister(name="Касса 1")
    session.add(reg)
    session.commit()
    seller = make_staff(session, Role.seller).actor()
    shifts.open_shift(session, actor=seller, register_id=reg.id, float_minor=100000)
    product = make_product(session, name="Свеча лаванда", price_minor=100000, qty=10)
    vid = variant_id(product)
    v = session.get(Variant, vid)
    v.barcode, v.sku = "4600000000017", "CND-LAV"
    session.add(v)
    session.commit()

    class P:
        pass

    p = P()
    p.reg, p.seller, p.vid = reg.id, seller, vid
    return p


def _sell(session, p, *, qty=1, card=0, tendered=None, actor=None, client_id=None, **extra):
    actor = actor or p.seller
    cart.add_item(session, actor=actor, register_id=p.reg, code="4600000000017", qty=qty)
    total = cart.get_cart(session, actor=actor, register_id=p.reg).total_minor
    return sale.submit_sale(session, actor=actor, register_id=p.reg, client_id=client_id or cid(), card_minor=card,
                            tendered_minor=total - card if tendered is None else tendered, **extra)


# --------------------------------------------------------------------------- shifts

def test_a_second_open_on_the_same_register_is_refused(session, pos):
    # given an open shift; when another seller opens one on the same register
    other = make_staff(session, Role.seller).actor()
    with pytest.raises(DomainError) as err:
        shifts.open_shift(session, actor=other, register_id=pos.reg, float_minor=0)
    # then it is refused and there is still one open shift
    assert err.value.code == "pos.shift_already_open"
    assert session.exec(select(func.count(PosShift.id)).where(PosShift.status == "open")).one() == 1


def test_a_sale_without_an_open_shift_is_refused(session, pos):
    # given a cart rung up, then the shift was closed
    cart.add_item(session, actor=pos.seller, register_id=pos.reg, variant_id=pos.vid)
    shifts.close_shift(session, actor=pos.seller, register_id=pos.reg, counted_cash_minor=100000)
    # when the seller tries to sell; then it is refused and stock is untouched
    with pytest.raises(DomainError) as err:
        sale.submit_sale(session, actor=pos.seller, register_id=pos.reg, client_id=cid(), tendered_minor=100000)
    assert err.value.code == "pos.shift_closed"
    assert qty_of(session, pos.vid) == 10


def test_close_shows_expected_vs_counted_with_cash_in_out_sales_and_returns(session, pos):
    # given: float 1000, cash in 200, cash out 50, a cash sale of 1000 (paid 1500, change 500),
    # a card sale of 1000, and one cash sale returned
    shifts.cash_move(session, actor=pos.seller, register_id=pos.reg, kind="in", amount_minor=20000, reason="размен")
    shifts.cash_move(session, actor=pos.seller, register_id=pos.reg, kind="out", amount_minor=5000, reason="курьер")
    first = _sell(session, pos, tendered=150000)
    assert first.change_minor == 50000 and first.cash_minor == 100000
    _sell(session, pos, card=100000)
    third = _sell(session, pos)
    returns.return_items(session, actor=pos.seller, register_id=pos.reg, sale_id=third.sale_id, client_id=cid(),
                         lines=[{"order_line_id": third.lines[0].order_line_id, "qty": 1}])
    # when the seller closes counting 2140 ₽
    out = shifts.close_shift(session, actor=pos.seller, register_id=pos.reg, counted_cash_minor=214000)
    # then expected = 1000 + 200 - 50 + 1000 + 1000 - 1000 = 2150 and the difference is -10 ₽
    assert out.expected_cash_minor == 215000
    assert out.difference_minor == -1000
    assert out.status == "closed"
    actions = [e.action for e in list_entries(session, actor=SYSTEM, action="pos.").rows]
    assert {"pos.shift_open", "pos.cash_in", "pos.cash_out", "pos.sale", "pos.return", "pos.shift_close"} <= set(actions)


def test_cash_move_needs_a_reason_and_cannot_take_more_than_the_drawer(session, pos):
    with pytest.raises(DomainError) as err:
        shifts.cash_move(session, actor=pos.seller, register_id=pos.reg, kind="out", amount_minor=100, reason=" ")
    assert err.value.code == "pos.reason_required"
    with pytest.raises(DomainError) as err:
        shifts.cash_move(session, actor=pos.seller, register_id=pos.reg, kind="out", amount_minor=100001,
                         reason="инкассация")
    assert err.value.code == "pos.cash_out_too_much"


def test_a_shift_left_open_overnight_is_shown_as_such_and_not_closed(session, pos):
    # given the shift was opened yesterday (shop time)
    shift = session.exec(select(PosShift)).first()
    shift.opened_at = utcnow() - timedelta(days=1, hours=1)
    session.add(shift)
    session.commit()
    # when the next seller looks at the register
    out = shifts.current_shift(session, actor=pos.seller, register_id=pos.reg)
    # then it is still open and flagged overnight
    assert out is not None and out.status == "open" and out.overnight


# --------------------------------------------------------------------------- selling

def test_search_by_name_sku_and_barcode(session, pos):
    assert [h.variant_id for h in lookup.search_products(session, actor=pos.seller, query="лаван")] == [pos.vid]
    assert [h.variant_id for h in lookup.search_products(session, actor=pos.seller, query="CND-LAV")] == [pos.vid]
    assert [h.variant_id for h in lookup.search_products(session, actor=pos.seller, query="4600000000017")] == [pos.vid]
    assert lookup.search_products(session, actor=pos.seller, query="нет такого") == []


def test_an_unknown_scanned_code_is_a_clear_error(session, pos):
    with pytest.raises(DomainError) as err:
        cart.add_item(session, actor=pos.seller, register_id=pos.reg, code="999")
    assert err.value.code == "pos.code_unknown"


def test_the_cart_lives_on_the_server_per_register(session, pos):
    # given a seller scanned two items; when another tablet (another sign-in) opens the register
    cart.add_item(session, actor=pos.seller, register_id=pos.reg, code="4600000000017", qty=2)
    other = make_staff(session, Role.seller).actor()
    # then it sees the same cart
    seen = cart.get_cart(session, actor=other, register_id=pos.reg)
    assert [(ln.variant_id, ln.qty) for ln in seen.lines] == [(pos.vid, 2)]
    assert seen.total_minor == 200000


def test_split_payment_and_change(session, pos):
    # given a 2 000 ₽ cart; when 1 200 ₽ go on the card and 1 000 ₽ cash is handed over
    r = _sell(session, pos, qty=2, card=120000, tendered=100000)
    # then the card took 1 200, cash kept 800, change 200
    assert (r.card_minor, r.cash_minor, r.change_minor) == (120000, 80000, 20000)
    assert sale.split_payment(1000, card_minor=0, tendered_minor=1000) == (1000, 0, 0)
    with pytest.raises(DomainError) as err:
        sale.split_payment(1000, card_minor=300, tendered_minor=600)
    assert err.value.code == "pos.cash_short"
    with pytest.raises(DomainError) as err:
        sale.split_payment(1000, card_minor=1001, tendered_minor=0)
    assert err.value.code == "pos.card_too_much"


def test_the_same_client_id_twice_is_one_sale(session, pos):
    # given a sale submitted; when the tablet resends it (reconnect) with the same id
    first = _sell(session, pos, client_id="tap-000000001")
    again = sale.submit_sale(session, actor=pos.seller, register_id=pos.reg, client_id="tap-000000001",
                             tendered_minor=100000)
    # then the answer is the first sale and stock moved once
    assert again.sale_id == first.sale_id
    assert qty_of(session, pos.vid) == 9
    assert session.exec(select(func.count(PosSale.id))).one() == 1


def test_a_pos_sale_is_a_completed_pos_order_with_cost_and_cashback(session, pos):
    customer = make_customer(session)
    cart.add_item(session, actor=pos.seller, register_id=pos.reg, variant_id=pos.vid)
    cart.set_customer(session, actor=pos.seller, register_id=pos.reg, customer_id=customer.id)
    r = sale.submit_sale(session, actor=pos.seller, register_id=pos.reg, client_id=cid(), tendered_minor=100000)
    order = session.get(Order, r.order_id)
    assert (order.channel, order.status, order.cost_minor) == ("pos", "completed", 40000)
    assert r.cashback_minor == 7000  # 7 % like an online order
    session.refresh(customer)
    assert customer.bonus_balance_minor == 7000


def test_the_customer_personal_discount_applies(session, pos):
    customer = make_customer(session, personal_discount_pct=10)
    cart.add_item(session, actor=pos.seller, register_id=pos.reg, variant_id=pos.vid)
    out = cart.set_customer(session, actor=pos.seller, register_id=pos.reg, customer_id=customer.id)
    assert out.discount_personal_minor == 10000 and out.total_minor == 90000


@pytest.mark.parametrize("buyer", [
    dict(personal_discount_pct=10, bonus_balance_minor=50000),
    dict(kind="wholesale", wholesale_approved=True, bonus_balance_minor=50000),
])
def test_the_pos_and_the_storefront_price_the_same_cart_the_same(session, pos, buyer):
    # given a 15 % discounted product with a wholesale price, the candle, and a customer
    soap = variant_id(make_product(session, name="Мыло", price_minor=33333, qty=20, discount_pct=15, variants=[
        {"label": "", "price_minor": 33333, "wholesale_price_minor": 25000, "wholesale_min_qty": 3}]))
    customer = make_customer(session, **buyer)
    me = Actor.customer(customer.id)
    # when the same goods and 100 ₽ of bonuses go into the Mini App cart and onto the register
    fill_cart(session, customer.id, {soap: 3, pos.vid: 2})
    online = carts.get_cart(session, actor=me, customer_id=customer.id, bonus_minor=10000).pricing
    cart.add_item(session, actor=pos.seller, register_id=pos.reg, variant_id=soap, qty=3)
    cart.add_item(session, actor=pos.seller, register_id=pos.reg, variant_id=pos.vid, qty=2)
    cart.set_customer(session, actor=pos.seller, register_id=pos.reg, customer_id=customer.id)
    counter = cart.set_bonus(session, actor=pos.seller, register_id=pos.reg, bonus_minor=10000)
    # then both priced them alike, line by line and in total
    assert sorted((ln.variant_id, ln.unit_price_minor, ln.discount_kind, ln.discount_minor) for ln in counter.lines) == [
        (ln.variant_id, ln.unit_price_minor, ln.discount_kind, ln.discount_minor) for ln in online.lines]
    assert (counter.goods_minor, counter.discount_total_minor, counter.bonus_minor, counter.total_minor) == (
        online.goods_minor, online.discount_total_minor, online.bonus_minor, online.total_minor)
    # and the sale's order carries those figures
    r = sale.submit_sale(session, actor=pos.seller, register_id=pos.reg, client_id=cid(), tendered_minor=counter.total_minor)
    assert r.total_minor == online.total_minor
    assert session.get(Order, r.order_id).total_minor == online.total_minor


def test_a_scan_adds_a_product_or_attaches_the_customer_of_a_loyalty_qr(session, pos):
    from smo_app.services.customers.loyalty_qr import issue_loyalty_token

    customer = make_customer(session)
    out = cart.scan(session, actor=pos.seller, register_id=pos.reg, code=" 4600000000017 ")
    assert [(ln.variant_id, ln.qty) for ln in out.lines] == [(pos.vid, 1)] and out.customer is None
    out = cart.scan(session, actor=pos.seller, register_id=pos.reg, code=issue_loyalty_token(customer.id, utcnow()))
    assert out.customer.id == customer.id and [ln.qty for ln in out.lines] == [1]


def test_the_change_shown_while_typing_follows_the_payment_rule():
    assert sale.change_preview(100000, card_minor=30000, tendered_minor=100000) == 30000
    assert sale.change_preview(100000, card_minor=0, tendered_minor=90000) is None  # short
    assert sale.change_preview(100000, card_minor=0, tendered_minor=0) is None  # nothing handed yet
    assert sale.change_preview(100000, card_minor=100000, tendered_minor=5000) == 5000
    assert sale.split_payment(100000, card_minor=30000, tendered_minor=100000)[2] == 30000


def test_a_sale_commits_its_order_and_its_own_rows_together(session, pos):
    # given an above-policy cart whose approval was spent meanwhile by another sale
    manager = make_staff(session, Role.manager).actor()
    _above_policy_cart(session, pos)
    req = approvals.request_approval(session, actor=pos.seller, register_id=pos.reg)
    approvals.decide_approval(session, actor=manager, approval_id=req.id, approve=True)
    session.execute(update(PosApproval).where(PosApproval.id == req.id).values(used_by_sale_id=999999))
    session.commit()
    # when the seller sells; then the sale is refused and nothing of its order is left
    with pytest.raises(DomainError) as err:
        sale.submit_sale(session, actor=pos.seller, register_id=pos.reg, client_id=cid(), tendered_minor=80000)
    assert err.value.code == "pos.approval_required"
    session.expire_all()
    assert session.exec(select(func.count(Order.id))).one() == 0
    assert qty_of(session, pos.vid) == 10


# --------------------------------------------------------------------------- policy and approvals

def test_policy_limits_per_role(session, pos):
    # given the seller's limit is 5 %: a 5 % line discount sells, a 10 % one needs approval
    cart.add_item(session, actor=pos.seller, register_id=pos.reg, variant_id=pos.vid)
    out = cart.set_line_discount(session, actor=pos.seller, register_id=pos.reg, variant_id=pos.vid, pct=5)
    assert not out.needs_approval and out.total_minor == 95000
    out = cart.set_line_discount(session, actor=pos.seller, register_id=pos.reg, variant_id=pos.vid, pct=10)
    assert out.needs_approval
    with pytest.raises(DomainError) as err:
        sale.submit_sale(session, actor=pos.seller, register_id=pos.reg, client_id=cid(), tendered_minor=90000)
    assert err.value.code == "pos.approval_required"
    # and an admin (30 %) may give 10 % alone
    admin = make_staff(session, Role.admin).actor()
    assert not cart.get_cart(session, actor=admin, register_id=pos.reg).needs_approval
    # the limits are settings
    update_config(session, actor=SYSTEM, changes={"pos_max_discount_seller_pct": 10})
    assert not cart.get_cart(session, actor=pos.seller, register_id=pos.reg).needs_approval


def test_bonus_spend_above_the_cap_needs_approval(session, pos):
    customer = make_customer(session, bonus_balance_minor=50000)
    cart.add_item(session, actor=pos.seller, register_id=pos.reg, variant_id=pos.vid)
    cart.set_customer(session, actor=pos.seller, register_id=pos.reg, customer_id=customer.id)
    assert not cart.set_bonus(session, actor=pos.seller, register_id=pos.reg, bonus_minor=30000).needs_approval
    assert cart.set_bonus(session, actor=pos.seller, register_id=pos.reg, bonus_minor=30001).needs_approval


def _above_policy_cart(session, pos):
    cart.add_item(session, actor=pos.seller, register_id=pos.reg, variant_id=pos.vid)
    cart.set_line_discount(session, actor=pos.seller, register_id=pos.reg, variant_id=pos.vid, pct=20)


def test_an_approval_granted_in_telegram_lets_the_sale_through(session, pos):
    manager = make_staff(session, Role.manager)
    from smo_app.services.staff import accounts

    accounts.set_telegram_id(session, actor=SYSTEM, staff_id=manager.id, telegram_id=7_000_000_000_123)
    _above_policy_cart(session, pos)
    # when the seller asks
    req = approvals.request_approval(session, actor=pos.seller, register_id=pos.reg)
    # then the manager got a message with Approve / Deny
    msg = session.exec(select(Outbox).where(Outbox.kind == "pos_approval")).one()
    assert msg.chat_id == 7_000_000_000_123
    assert msg.payload["buttons"][0][0]["callback_data"] == f"pa:{req.id}:yes"
    # when the manager approves; then the tablet sees it and the sale goes through at 20 %
    approvals.decide_approval(session, actor=manager.actor(), approval_id=req.id, approve=True)
    assert cart.get_cart(session, actor=pos.seller, register_id=pos.reg).approval_status == "approved"
    r = sale.submit_sale(session, actor=pos.seller, register_id=pos.reg, client_id=cid(), tendered_minor=80000)
    assert r.total_minor == 80000
    # and the approval is spent: the next above-policy cart needs a new one
    _above_policy_cart(session, pos)
    assert cart.get_cart(session, actor=pos.seller, register_id=pos.reg).needs_approval
    audit_rows = list_entries(session, actor=SYSTEM, action="pos.approval").rows
    assert any(e.action == "pos.approval_approved" and e.actor_name == manager.full_name for e in audit_rows)


def test_a_denied_approval_keeps_the_sale_refused(session, pos):
    manager = make_staff(session, Role.manager).actor()
    _above_policy_cart(session, pos)
    req = approvals.request_approval(session, actor=pos.seller, register_id=pos.reg)
    approvals.decide_approval(session, actor=manager, approval_id=req.id, approve=False)
    assert cart.get_cart(session, actor=pos.seller, register_id=pos.reg).approval_status == "denied"
    with pytest.raises(DomainError) as err:
        sale.submit_sale(session, actor=pos.seller, register_id=pos.reg, client_id=cid(), tendered_minor=80000)
    assert err.value.code == "pos.approval_required"


def test_an_expired_request_cannot_be_approved(session, pos):
    manager = make_staff(session, Role.manager).actor()
    _above_policy_cart(session, pos)
    req = approvals.request_approval(session, actor=pos.seller, register_id=pos.reg)
    with pytest.raises(DomainError) as err:
        approvals.decide_approval(session, actor=manager, approval_id=req.id, approve=True,
                                  now=utcnow() + timedelta(minutes=6))
    assert err.value.code == "pos.approval_expired"
    assert approvals.get_approval(session, actor=pos.seller, approval_id=req.id).status == "expired"


def test_a_second_answer_changes_nothing(session, pos):
    m1, m2 = make_staff(session, Role.manager).actor(), make_staff(session, Role.admin).actor()
    _above_policy_cart(session, pos)
    req = approvals.request_approval(session, actor=pos.seller, register_id=pos.reg)
    approvals.decide_approval(session, actor=m1, approval_id=req.id, approve=False)
    with pytest.raises(DomainError) as err:
        approvals.decide_approval(session, actor=m2, approval_id=req.id, approve=True)
    assert err.value.code == "pos.approval_already_decided"
    got = approvals.get_approval(session, actor=pos.seller, approval_id=req.id)
    assert (got.status, got.decided_by_name) == ("denied", m1.name)


def test_a_seller_cannot_approve_and_a_manager_pin_on_the_tablet_can(session, pos):
    _above_policy_cart(session, pos)
    req = approvals.request_approval(session, actor=pos.seller, register_id=pos.reg)
    with pytest.raises(DomainError) as err:
        approvals.decide_approval(session, actor=pos.seller, approval_id=req.id, approve=True)
    assert err.value.code == "common.forbidden"
    other_seller = make_staff(session, Role.seller)
    with pytest.raises(DomainError) as err:
        approvals.approve_with_pin(session, actor=pos.seller, register_id=pos.reg, username=other_seller.username, pin=PIN)
    assert err.value.code == "pos.approval_not_manager"
    manager = make_staff(session, Role.manager)
    with pytest.raises(DomainError) as err:
        approvals.approve_with_pin(session, actor=pos.seller, register_id=pos.reg, username=manager.username, pin="0000")
    assert err.value.code == "pos.approval_pin_wrong"
    out = approvals.approve_with_pin(session, actor=pos.seller, register_id=pos.reg, username=manager.username, pin=PIN)
    assert (out.status, out.decided_via) == ("approved", "pin")


# --------------------------------------------------------------------------- returns

def test_returns_beyond_what_was_sold_are_refused(session, pos):
    r = _sell(session, pos, qty=2)
    line = r.lines[0].order_line_id
    returns.return_items(session, actor=pos.seller, register_id=pos.reg, sale_id=r.sale_id, client_id=cid(),
                         lines=[{"order_line_id": line, "qty": 1}])
    with pytest.raises(DomainError) as err:
        returns.return_items(session, actor=pos.seller, register_id=pos.reg, sale_id=r.sale_id, client_id=cid(),
                             lines=[{"order_line_id": line, "qty": 2}])
    assert err.value.code == "pos.return_too_many" and err.value.params["left"] == 1
    assert qty_of(session, pos.vid) == 9


def test_a_return_after_the_window_is_refused(session, pos):
    r = _sell(session, pos)
    with pytest.raises(DomainError) as err:
        returns.return_items(session, actor=pos.seller, register_id=pos.reg, sale_id=r.sale_id, client_id=cid(),
                             lines=[{"order_line_id": r.lines[0].order_line_id, "qty": 1}],
                             now=utcnow() + timedelta(days=15))
    assert err.value.code == "pos.return_window_over"


def test_stock_and_loyalty_after_a_sale_and_its_full_return_equal_the_start(session, pos):
    # given a customer with 500 ₽ of bonuses
    customer = make_customer(session, bonus_balance_minor=50000)
    start_qty = qty_of(session, pos.vid)
    # when they buy 3 (paying 300 ₽ in bonuses, the rest split card/cash) and return them in two goes
    cart.add_item(session, actor=pos.seller, register_id=pos.reg, variant_id=pos.vid, qty=3)
    cart.set_customer(session, actor=pos.seller, register_id=pos.reg, customer_id=customer.id)
    cart.set_bonus(session, actor=pos.seller, register_id=pos.reg, bonus_minor=30000)
    r = sale.submit_sale(session, actor=pos.seller, register_id=pos.reg, client_id=cid(), card_minor=100000,
                         tendered_minor=170000)
    assert r.total_minor == 270000 and r.cashback_minor == 18900
    line = r.lines[0].order_line_id
    a = returns.return_items(session, actor=pos.seller, register_id=pos.reg, sale_id=r.sale_id, client_id=cid(),
                             lines=[{"order_line_id": line, "qty": 1}])
    b = returns.return_items(session, actor=pos.seller, register_id=pos.reg, sale_id=r.sale_id, client_id=cid(),
                             lines=[{"order_line_id": line, "qty": 2}])
    # then stock and bonuses are back where they started and the money back equals what was paid, by type
    assert qty_of(session, pos.vid) == start_qty
    session.expire_all()
    assert session.get(Customer, customer.id).bonus_balance_minor == 50000
    assert a.card_minor + b.card_minor == 100000
    assert a.cash_minor + b.cash_minor == 170000
    assert a.bonus_back_minor + b.bonus_back_minor == 30000


def test_an_exchange_is_a_return_and_a_new_sale_in_one_step(session, pos):
    r = _sell(session, pos)
    other = variant_id(make_product(session, name="Мыло", price_minor=60000, qty=5))
    cart.add_item(session, actor=pos.seller, register_id=pos.reg, variant_id=other)
    out = returns.exchange(session, actor=pos.seller, register_id=pos.reg, sale_id=r.sale_id, client_id=cid(),
                           lines=[{"order_line_id": r.lines[0].order_line_id, "qty": 1}])
    # then the 1000 ₽ candle paid the 600 ₽ soap and 400 ₽ came back in cash, as the candle was paid
    assert out.sale.total_minor == 60000 and out.sale.credit_minor == 60000
    assert (out.returned.cash_minor, out.returned.card_minor) == (40000, 0)
    assert qty_of(session, pos.vid) == 10 and qty_of(session, other) == 4
    [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "pos.exchange")).all()
    assert (entry.after["cash_back_minor"], entry.after["card_back_minor"]) == (40000, 0)


def test_an_exchange_pays_the_difference_back_the_way_the_sale_was_paid(session, pos):
    # given a 1000 ₽ candle paid 600 ₽ by card and 400 ₽ in cash
    r = _sell(session, pos, card=60000)
    other = variant_id(make_product(session, name="Мыло", price_minor=50000, qty=5))
    cart.add_item(session, actor=pos.seller, register_id=pos.reg, variant_id=other)
    # when it is exchanged for a 500 ₽ soap
    out = returns.exchange(session, actor=pos.seller, register_id=pos.reg, sale_id=r.sale_id, client_id=cid(),
                           lines=[{"order_line_id": r.lines[0].order_line_id, "qty": 1}])
    # then the 500 ₽ left goes back 300 ₽ to the card and 200 ₽ in cash, not all from the drawer
    assert out.sale.credit_minor == 50000
    assert (out.returned.card_minor, out.returned.cash_minor) == (30000, 20000)


# --------------------------------------------------------------------------- reports

def test_x_and_z_reports_with_excel_and_the_z_goes_to_admins(session, pos):
    admin = make_staff(session, Role.admin)
    from smo_app.services.staff import accounts

    accounts.set_telegram_id(session, actor=SYSTEM, staff_id=admin.id, telegram_id=5_100_000_000)
    _sell(session, pos, card=100000)
    _sell(session, pos)
    x = reports.x_report(session, actor=pos.seller, register_id=pos.reg)
    assert (x.kind, x.sales_count, x.cash_minor, x.card_minor) == ("x", 2, 100000, 100000)
    closed = shifts.close_shift(session, actor=pos.seller, register_id=pos.reg, counted_cash_minor=200000)
    z = reports.shift_report(session, actor=pos.seller, shift_id=closed.id)
    assert z.kind == "z" and z.expected_cash_minor == 200000 and z.difference_minor == 0
    wb = load_workbook(BytesIO(reports.report_excel(session, actor=pos.seller, shift_id=closed.id)))
    values = {row[0]: row[1] for row in wb.active.iter_rows(min_row=2, values_only=True)}
    assert values["Выручка, ₽"] == 2000 and values["Карта, ₽"] == 1000 and values["Разница, ₽"] == 0
    sent = session.exec(select(Outbox).where(Outbox.kind == "pos_z_report")).all()
    assert [m.chat_id for m in sent] == [5_100_000_000]


def test_admin_analytics_per_seller_and_shift_with_excel(session, pos):
    owner = make_staff(session, Role.owner).actor()
    _sell(session, pos)
    today = utcnow().date()
    data = reports.sales_analytics(session, actor=owner, date_from=today - timedelta(days=1), date_to=today + timedelta(days=1))
    assert [(s.seller_name, s.sales_count, s.total_minor) for s in data.sellers] == [(pos.seller.name, 1, 100000)]
    assert len(data.shifts) == 1 and data.shifts[0].sales_count == 1
    wb = load_workbook(BytesIO(reports.analytics_excel(session, actor=owner, date_from=today, date_to=today)))
    assert wb.sheetnames == ["По продавцам", "По сменам"]
    with pytest.raises(DomainError):
        reports.sales_analytics(session, actor=pos.seller, date_from=today, date_to=today)


# --------------------------------------------------------------------------- concurrency (threads, own connections)

def test_two_tablets_opening_the_same_register_at_once_open_one_shift(engine, session, pos):
    shifts.close_shift(session, actor=pos.seller, register_id=pos.reg, counted_cash_minor=100000)
    sellers = [make_staff(session, Role.seller).actor() for _ in range(4)]
    session.rollback()  # the test's own session holds no lock while the threads race
    results = outcomes(run_at_once(engine, [
        lambda s, a=a: shifts.open_shift(s, actor=a, register_id=pos.reg, float_minor=0) for a in sellers]))
    assert results == {"ok": 1, "pos.shift_already_open": 3}, results
    session.expire_all()
    assert session.exec(select(func.count(PosShift.id)).where(PosShift.status == "open")).one() == 1


def test_the_same_sale_sent_twice_at_once_is_one_sale(engine, session, pos):
    cart.add_item(session, actor=pos.seller, register_id=pos.reg, variant_id=pos.vid, qty=2)
    session.rollback()
    results = run_at_once(engine, [lambda s: sale.submit_sale(
        s, actor=pos.seller, register_id=pos.reg, client_id="double-tap-0001", tendered_minor=200000).sale_id] * 2)
    assert [r[0] for r in results] == ["ok", "ok"] and results[0][1] == results[1][1], results
    session.expire_all()
    assert session.exec(select(func.count(PosSale.id))).one() == 1
    assert qty_of(session, pos.vid) == 8


def test_two_returns_of_the_last_unit_at_once_return_it_once(engine, session, pos):
    r = _sell(session, pos)
    line = r.lines[0].order_line_id
    session.rollback()
    results = outcomes(run_at_once(engine, [lambda s, i=i: returns.return_items(
        s, actor=pos.seller, register_id=pos.reg, sale_id=r.sale_id, client_id=f"ret-race-{i}-xyz",
        lines=[{"order_line_id": line, "qty": 1}]).id for i in range(2)]))
    assert results == {"ok": 1, "pos.return_too_many": 1}, results
    assert qty_of(session, pos.vid) == 10


def test_the_same_return_resent_at_once_is_answered_with_the_first_return(engine, session, pos):
    # given a sale of 2; when the tablet resends its return of 1 (same id) while the first is in flight
    r = _sell(session, pos, qty=2)
    line = r.lines[0].order_line_id
    session.rollback()
    results = run_at_once(engine, [lambda s: returns.return_items(
        s, actor=pos.seller, register_id=pos.reg, sale_id=r.sale_id, client_id="ret-resend-0001",
        lines=[{"order_line_id": line, "qty": 1}]).id] * 3)
    # then every answer is the first return, and one unit came back
    assert [o for o, _ in results] == ["ok"] * 3 and len({v for _, v in results}) == 1, results
    assert qty_of(session, pos.vid) == 9


def test_the_same_exchange_resent_at_once_is_one_exchange(engine, session, pos):
    # given a sold candle and a soap in the cart; when the exchange is sent three times at once
    r = _sell(session, pos)
    other = variant_id(make_product(session, name="Мыло", price_minor=60000, qty=5))
    cart.add_item(session, actor=pos.seller, register_id=pos.reg, variant_id=other)
    line = r.lines[0].order_line_id
    session.rollback()
    results = run_at_once(engine, [lambda s: returns.exchange(
        s, actor=pos.seller, register_id=pos.reg, sale_id=r.sale_id, client_id="exch-resend-001",
        lines=[{"order_line_id": line, "qty": 1}]).sale.sale_id] * 3)
    # then all three get the same new sale: the candle came back once, one soap left the shelf
    assert [o for o, _ in results] == ["ok"] * 3 and len({v for _, v in results}) == 1, results
    assert qty_of(session, pos.vid) == 10 and qty_of(session, other) == 4
    session.expire_all()
    assert session.exec(select(func.count(PosSale.id))).one() == 2


def test_a_customer_is_attached_by_the_loyalty_qr_and_their_bonuses_show(session, pos):
    from smo_app.services.customers.loyalty_qr import issue_loyalty_token

    customer = make_customer(session, bonus_balance_minor=12300, personal_discount_pct=3)
    token = issue_loyalty_token(customer.id, utcnow())
    out = cart.attach_by_loyalty_token(session, actor=pos.seller, register_id=pos.reg, token=token)
    assert out.customer.id == customer.id and out.customer.bonus_balance_minor == 12300
    assert out.customer.personal_discount_pct == 3
    with pytest.raises(DomainError) as err:
        cart.attach_by_loyalty_token(session, actor=pos.seller, register_id=pos.reg, token=token[:-2] + "xx")
    assert err.value.code == "loyalty.qr_invalid"
    assert [c.id for c in lookup.find_customers(session, actor=pos.seller, query=customer.full_name)] == [customer.id]


def test_a_sale_and_the_close_at_once_never_leave_a_sale_outside_the_count(engine, session, pos):
    # given a cash sale in the cart; when the seller pays while another tablet closes the shift
    cart.add_item(session, actor=pos.seller, register_id=pos.reg, variant_id=pos.vid)
    session.rollback()
    results = run_at_once(engine, [
        lambda s: sale.submit_sale(s, actor=pos.seller, register_id=pos.reg, client_id="race-close-01",
                                   tendered_minor=100000).sale_id,
        lambda s: shifts.close_shift(s, actor=pos.seller, register_id=pos.reg, counted_cash_minor=200000).id,
    ])
    # then the close counted the sale if it went through (expected 1000 + 1000), or the sale was refused
    assert results[1][0] == "ok", results
    session.expire_all()
    closed = session.get(PosShift, results[1][1])
    if results[0][0] == "ok":
        assert session.get(PosSale, results[0][1]).shift_id == closed.id
        assert closed.expected_cash_minor == 200000
    else:
        assert results[0][0] == "pos.shift_closed" and closed.expected_cash_minor == 100000
