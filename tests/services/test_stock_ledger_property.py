"""Property: whatever mix of supplies, sales, cancels, write-offs and counts happens, the ledger
explains the on-hand quantity and stock never goes below zero."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from smo_app.models.catalog import Variant
from smo_app.models.orders import Order
from smo_app.models.stock import StockMove
from smo_app.services.sales import orders
from smo_app.services.stock import adjustments, supplies
from smo_app.services.core.errors import DomainError
from tests.commerce_factories import SYSTEM, make_product, place, supplier_id, variant_id
from tests.factories import make_customer

step = st.one_of(
    st.tuples(st.just("supply"), st.integers(1, 8), st.integers(0, 50000)),
    st.tuples(st.just("sell"), st.integers(1, 5), st.just(0)),
    st.tuples(st.just("cancel"), st.booleans(), st.just(0)),
    st.tuples(st.just("write_off"), st.integers(1, 4), st.just(0)),
    st.tuples(st.just("count"), st.integers(0, 10), st.just(0)),
)


@pytest.mark.slow  # 25 generated sequences
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=12))
def test_ledger_explains_stock_after_any_sequence(sqlite_engine, steps):
    from sqlmodel import Session

    with Session(sqlite_engine, expire_on_commit=False) as session:
        vid = variant_id(make_product(session, qty=3))
        customer = make_customer(session)
        for kind, n, cost in steps:
            try:
                if kind == "supply":
                    supplies.receive_supply(session, actor=SYSTEM, supplier_id=supplier_id(session),
                                         items=[{"variant_id": vid, "qty": n, "total_minor": cost}])
                elif kind == "sell":
                    place(session, customer.id, {vid: n})
                elif kind == "cancel":
                    open_ids = session.exec(select(Order.id).where(Order.status == "new")).all()
                    if open_ids:
                        orders.cancel_order(session, actor=SYSTEM, order_id=open_ids[0], restock=n)
                elif kind == "write_off":
                    adjustments.write_off(session, actor=SYSTEM, lines=[{"variant_id": vid, "qty": n}])
                else:
                    adjustments.count_inventory(session, actor=SYSTEM, lines=[{"variant_id": vid, "qty": n}], apply=True)
            except DomainError:
                session.rollback()
        session.expire_all()
        variant = session.get(Variant, vid)
        moves = session.exec(select(StockMove).where(StockMove.variant_id == vid).order_by(StockMove.id)).all()
        assert variant.qty >= 0
        assert sum(m.delta for m in moves) == variant.qty
        running = 0
        for m in moves:  # each move's "quantity after" follows from the one before
            running += m.delta
            assert m.qty_after == running
        assert variant.avg_cost_minor >= 0
