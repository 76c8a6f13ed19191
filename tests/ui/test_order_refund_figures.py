"""A refunded order keeps its breakdown and shows what went back and what was paid in the end: on the
backoffice order card (refunded from the card itself) and in the customer's order in the Mini App."""
from __future__ import annotations

import pytest
from sqlmodel import select

from smo_app.models.customer import Customer
from smo_app.models.staff import Role
from smo_app.services.core.actor import Actor
from smo_app.services.payments.manual import decide_manual_payment, submit_proof
from smo_app.services.payments.refunds import refund_payment
from smo_app.services.staff import auth
from smo_app.settings import reset_settings_cache
from tests.commerce_factories import make_product, place, variant_id
from tests.factories import PASSWORD, make_customer, make_staff
from tests.payments_support import settings
from tests.ui.support import _call, _state

rx = pytest.importorskip("reflex")


def _paid_by_transfer(db, customer_id: int, vid: int, owner) -> int:
    """An order of 1000.00 paid by a manual transfer the owner confirmed."""
    order = place(db, customer_id, {vid: 2})
    payment = submit_proof(db, actor=Actor.customer(customer_id), order_id=order.id, filename="transfer.png",
                           content=b"\x89PNG\r\n\x1a\n" + b"0" * 64, settings=settings())
    decide_manual_payment(db, actor=owner, payment_id=payment.id, accept=True, note="seen in the bank")
    db.rollback()
    return order.id


def test_the_order_card_shows_the_refund_and_the_net_paid_after_a_refund_from_the_card(db):
    from smo_app.state.order_card import OrderCardState

    # given an order of 1000.00 paid by a confirmed transfer, and the owner on its card
    owner = make_staff(db, Role.owner, username="r_owner")
    vid = variant_id(make_product(db, name="Tea", price_minor=50000, qty=10))
    order_id = _paid_by_transfer(db, make_customer(db).id, vid, owner.actor())
    s = _state(OrderCardState)
    s.bo_token = auth.sign_in_password(db, username="r_owner", password=PASSWORD).token
    s.lang = "en"
    db.rollback()
    _call(s, "open_card", order_id)
    assert [row["label"] for row in s.card_sums][-1] == "Total"
    # when the owner refunds 200.00 with a reason (a transfer goes back by hand: done at once)
    _call(s, "refund", {"amount": "200", "reason": "one pack damaged"})
    # then the breakdown stays and two lines tell what went back and what was paid in the end
    assert s.card_error == ""
    sums = {row["label"]: row["amount"] for row in s.card_sums}
    assert sums["Total"].startswith("1,000") and sums["Refunded"].startswith("−200")
    assert sums["Paid after refunds"].startswith("800")


def test_the_customer_sees_the_refund_in_the_order(db, monkeypatch):
    from tests.ui.test_storefront_state import BOT_TOKEN, _do, _init_data, _states

    monkeypatch.setenv("SMO_BOT_TOKEN", BOT_TOKEN)
    reset_settings_cache()

    # given a customer signed in to the Mini App with an order of 1000.00, 300.00 of it refunded
    store, _, account = _states()
    _do(store, "boot", {"initData": _init_data(5_000_000_077)})
    customer = db.exec(select(Customer).where(Customer.telegram_id == 5_000_000_077)).one()
    owner = make_staff(db, Role.owner).actor()
    vid = variant_id(make_product(db, name="Мыло", price_minor=50000, qty=10))
    order_id = _paid_by_transfer(db, customer.id, vid, owner)
    refund_payment(db, actor=owner, order_id=order_id, amount_minor=30000, reason="одна штука разбита")
    db.rollback()
    # when the customer opens the order
    _do(account, "open_order", order_id)
    # then the breakdown ends with the refund and what was paid in the end
    tail = [(row["label"], row["amount"]) for row in account.order_breakdown][-2:]
    assert [label for label, _ in tail] == ["Возвращено", "Оплачено с учётом возвратов"]
    assert tail[0][1].startswith("-300") or tail[0][1].startswith("−300")
    assert tail[1][1].startswith("700")
