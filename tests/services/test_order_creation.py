"""One way to create an order: a counter sale with its own prices goes through the same
``create_order`` as the checkout and the B2B entry."""
from collections import Counter
from dataclasses import replace

import pytest
from sqlmodel import func, select

from smo_app.models.audit import AuditEntry
from smo_app.models.orders import Order, OrderEvent
from smo_app.models.outbox import Outbox
from smo_app.models.promotions import GiftCertificate, PromoCode, PromoUse
from smo_app.models.stock import StockMove
from smo_app.services.core.errors import DomainError
from smo_app.services.sales import promotions
from smo_app.services.sales.order_creation import (
    B2B, POS, Buyer, Deductions, NewOrder, NewOrderLine, create_order, write_order,
)
from tests.commerce_factories import SYSTEM, make_product, qty_of, variant_id
from tests.db_support import run_at_once
from tests.factories import make_customer


@pytest.fixture
def stocked(session):
    product = make_product(session, name="Лаванда", price_minor=100000, qty=10, unit_cost_minor=40000)
    return session, product


def _line(product, qty, unit_price_minor, **kw):
    return NewOrderLine(variant_id=variant_id(product), product_id=product.id, qty=qty,
                        unit_price_minor=unit_price_minor, name=product.name, **kw)


def test_a_counter_sale_with_its_own_price_and_discount_is_completed_at_once(stocked):
    session, product = stocked
    customer = make_customer(session)
    cert = promotions.create_certificate(session, actor=SYSTEM, face_minor=20000, code="GIFT-POS")
    # when a seller rings up 2 units at 90.00 with 10.00 off the line and a 200.00 certificate
    out = create_order(session, actor=SYSTEM, order=NewOrder(
        kind=POS, lines=[_line(product, 2, 90000, discount_minor=1000, discount_kind="personal")],
        buyer=Buyer(customer_id=customer.id),
        deductions=Deductions(certificate=session.get(GiftCertificate, cert.id), certificate_minor=20000)))
    # then the order is completed and paid now, with the seller's figures and the average cost
    assert (out.channel, out.status) == ("pos", "completed")
    assert out.paid_at is not None and out.completed_at is not None
    assert (out.goods_minor, out.discounts["personal"], out.certificate_minor, out.total_minor) == (
        180000, 1000, 20000, 159000)
    assert out.cost_minor == 80000 and out.lines[0].unit_cost_minor == 40000
    assert [(e.from_status, e.to_status, e.reason) for e in out.events] == [(None, "completed", "pos")]
    # and stock, certificate, event, audit are written once; no "pay within" message is sent, the
    # customer hears of the completed order as after any move to completed (its cashback included)
    assert qty_of(session, variant_id(product)) == 8
    assert session.exec(select(StockMove.delta).where(StockMove.order_id == out.id)).all() == [-2]
    assert session.get(GiftCertificate, cert.id).status == "redeemed"
    assert session.exec(select(func.count(OrderEvent.id)).where(OrderEvent.order_id == out.id)).one() == 1
    assert session.exec(select(AuditEntry.action).where(AuditEntry.entity == "order")).all() == ["order.pos_sale"]
    assert sorted(session.exec(select(Outbox.kind)).all()) == ["cashback", "order_status"]


def test_a_walk_in_sale_needs_no_customer(stocked):
    session, product = stocked
    out = create_order(session, actor=SYSTEM, order=NewOrder(kind=POS, lines=[_line(product, 1, 100000)]))
    assert out.customer_id is None and out.total_minor == 100000 and qty_of(session, variant_id(product)) == 9


def test_write_order_leaves_the_commit_to_the_use_case_around_it(stocked):
    # given a use case that writes an order as one step of its own (as the POS sale does)
    session, product = stocked
    out = write_order(session, actor=SYSTEM, order=NewOrder(kind=B2B, lines=[_line(product, 1, 100000)],
                                                            buyer=Buyer(name="Салон")))
    assert out.channel == "b2b" and out.status == "completed"
    # when the use case fails after it; then nothing of the order is kept
    session.rollback()
    assert session.exec(select(func.count(Order.id))).one() == 0
    assert qty_of(session, variant_id(product)) == 10


@pytest.mark.parametrize("bad", [
    dict(lines=[]),
    dict(discount_minor=200000),  # more off the line than the line is worth
    dict(deductions=Deductions(certificate_minor=500000)),  # deductions beyond the goods
    dict(kind=replace(POS, status="shipped")),
    dict(qty=20),  # more than in stock
])
def test_bad_figures_or_missing_stock_are_refused_and_change_nothing(stocked, bad):
    session, product = stocked
    bad = dict(bad)
    lines = bad.pop("lines", None)
    if lines is None:
        lines = [_line(product, bad.pop("qty", 1), 100000, discount_minor=bad.pop("discount_minor", 0),
                       discount_kind="product")]
    with pytest.raises(DomainError) as err:
        create_order(session, actor=SYSTEM, order=NewOrder(**{"kind": POS, "lines": lines, **bad}))
    assert err.value.code in {"order.items_required", "order.amount_invalid", "order.status_invalid",
                              "cart.out_of_stock"}
    session.expire_all()
    assert session.exec(select(func.count(Order.id))).one() == 0
    assert qty_of(session, variant_id(product)) == 10


def test_a_once_per_customer_promo_used_by_two_sales_at_once_is_counted_once(engine, session):
    # given a once-per-customer promo and a customer buying at two counters at the same moment
    product = make_product(session, qty=10)
    promo_id = promotions.create_promo(session, actor=SYSTEM, code="ONCE", pct=10, once_per_customer=True).id
    cid = make_customer(session).id
    session.rollback()  # the test's own session holds no lock while the counters sell

    def sell(s):  # the promo as both counters loaded it, before either sale counted its use
        create_order(s, actor=SYSTEM, order=NewOrder(
            kind=POS, lines=[_line(product, 1, 100000)], buyer=Buyer(customer_id=cid),
            deductions=Deductions(promo=s.get(PromoCode, promo_id), promo_minor=10000)))

    # when both sales are written at once
    outcome = run_at_once(engine, [sell, sell])
    # then one sale takes the promo and the other is told it was already used; one use is counted
    assert outcome == Counter({"ok": 1, "promo.already_used": 1}), outcome
    session.expire_all()
    assert session.exec(select(func.count(PromoUse.id))).one() == 1
    assert session.exec(select(func.count(Order.id))).one() == 1
