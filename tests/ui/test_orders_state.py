"""The orders screen's state, run without a browser (as Reflex calls it)."""
from __future__ import annotations

import asyncio

import pytest
from sqlmodel import Session, select

from smo_app.models.orders import Order
from smo_app.models.outbox import Outbox
from smo_app.models.staff import Role
from smo_app.services.staff import auth
from tests.commerce_factories import make_product, place, qty_of, variant_id
from tests.factories import PASSWORD, make_customer, make_staff
from tests.ui.support import _call, _state

rx = pytest.importorskip("reflex")


def _status(db, order_id: int) -> str:
    """Read and let go at once: the test's session must not hold SQLite's write lock."""
    db.expire_all()
    status = db.get(Order, order_id).status
    db.rollback()
    return status


def _qty(db, vid: int) -> int:
    qty = qty_of(db, vid)
    db.rollback()
    return qty


def _signed_in(cls, db, role: Role = Role.manager):
    make_staff(db, role, username=f"o_{role.value}")
    state = _state(cls)
    state.bo_token = auth.sign_in_password(db, username=f"o_{role.value}", password=PASSWORD).token
    state.lang = "en"
    return state


def _card_and_list(db, role: Role = Role.manager):
    """The order card and the orders list of one browser tab, the list loaded."""
    from smo_app.state.order_card import OrderCardState
    from smo_app.state.orders import OrdersState

    card = _signed_in(OrderCardState, db, role)
    orders = asyncio.run(card.get_state(OrdersState))
    _call(card, "load_page")
    _call(orders, "load")
    return card, orders


def test_manager_moves_an_order_from_new_to_completed_on_the_card(db):
    # given a new order from a customer with a Telegram chat
    tea = make_product(db, name="Tea", price_minor=50000, qty=10)
    ann = make_customer(db, full_name="Anna")
    order = place(db, ann.id, {variant_id(tea): 2})
    s, orders = _card_and_list(db)
    assert [r["id"] for r in orders.rows] == [order.id]
    assert {t["key"]: t["count"] for t in orders.tabs}["new"] == 1
    # when the manager opens the card and presses each forward move in turn
    _call(s, "open_card", order.id)
    assert s.card_open and s.card["customer"] == "Anna" and s.card_sums[-1]["amount"].startswith("1,000")
    for expected in ("pay", "process", "ship", "deliver", "complete"):
        action = next(a for a in s.card_actions if a["action"] == expected)
        _call(s, "act", dict(action))
        if s.confirm_open:  # completing asks for a confirmation
            _call(s, "confirm", {})
    # then the order is completed, its history shows every step, and the list follows
    assert _status(db, order.id) == "completed"
    assert len(s.card_events) == 6 and s.card_actions == []
    assert {t["key"]: t["count"] for t in orders.tabs}["completed"] == 1
    # and the sidecar's outbox sender delivers each status to the customer's Telegram, in order
    texts = _deliver_to_fake_telegram(db, ann.telegram_id)
    shown = [next(i for i, t in enumerate(texts) if f"«{st}»" in t)
             for st in ("Оплачен", "В сборке", "Отправлен", "Доставлен", "Завершён")]
    assert shown == sorted(shown) and all(f"№{order.id}" in texts[i] for i in shown)


def _deliver_to_fake_telegram(db, chat_id: int) -> list[str]:
    from tests.bot.conftest import make_settings
    from tests.bot.sender_support import WAITING, count, run_senders
    from tests.fakes.telegram_api import FakeTelegram

    db.rollback()
    engine = db.get_bind()
    fake = FakeTelegram(rate=None, chat_rate=None, group_per_minute=None).start()
    try:
        settings = make_settings(fake, engine.url.render_as_string(hide_password=False))
        run_senders(settings, lambda: Session(engine, expire_on_commit=False), timeout=20, chat_gap=0.05,
                    until=lambda: count(engine, Outbox.chat_id == chat_id, Outbox.status.in_(WAITING)) == 0)
        return [c["params"].get("text") or "" for c in fake.sent(chat_id)]
    finally:
        fake.stop()


def test_cancel_asks_a_reason_and_can_write_the_goods_off(db):
    tea = make_product(db, name="Tea", price_minor=50000, qty=10)
    ann = make_customer(db)
    order = place(db, ann.id, {variant_id(tea): 3})
    s, _ = _card_and_list(db)
    _call(s, "open_card", order.id)
    cancel = next(a for a in s.card_actions if a["action"] == "cancel")
    _call(s, "act", dict(cancel))
    assert s.confirm_open and s.pending["restock_choice"]
    # without a reason nothing happens
    _call(s, "confirm", {"reason": "", "restock": "write_off"})
    assert s.confirm_error == "Give a reason." and _status(db, order.id) == "new"
    # with a reason and "write off", the order is cancelled and the stock stays down
    _call(s, "confirm", {"reason": "damaged", "restock": "write_off"})
    assert _status(db, order.id) == "cancelled" and _qty(db, variant_id(tea)) == 7


def test_search_tracking_message_and_b2b_entry(db):
    tea = make_product(db, name="Tea", price_minor=50000, qty=10)
    ann = make_customer(db, full_name="Anna", phone="+79161234567")
    bob = make_customer(db, full_name="Boris")
    a = place(db, ann.id, {variant_id(tea): 1})
    place(db, bob.id, {variant_id(tea): 1})
    card, s = _card_and_list(db)
    _call(s, "search", {"q": "1234567", "from": "", "to": ""})
    assert [r["id"] for r in s.rows] == [a.id]
    _call(s, "search", {"q": "", "from": "not a date", "to": ""})
    assert s.rows == [] and s.message
    _call(s, "search", {"q": "", "from": "", "to": ""})
    _call(card, "open_card", a.id)
    _call(card, "save_tracking", {"tracking": "CD-123"})
    assert card.card_tracking == "CD-123" and s.rows[-1]["tracking"] == "CD-123"
    _call(card, "save_tracking", {"tracking": "<script>"})
    assert "tracking number" in card.card_error
    _call(card, "send_message", {"text": "Hello from the shop"})
    assert db.exec(select(Outbox).where(Outbox.kind == "order_message", Outbox.order_id == a.id)).one()
    db.rollback()
    # B2B: a bad line is named and nothing is created
    _call(s, "open_b2b")
    _call(s, "create_b2b", {"lines": f"{variant_id(tea)} 2 450\nfoo", "buyer": "Cafe", "delivery": "", "payer": "buyer"})
    assert s.b2b_error.startswith("Lines 2:") and _qty(db, variant_id(tea)) == 8
    _call(s, "create_b2b", {"lines": f"{variant_id(tea)} 2 450", "buyer": "Cafe", "delivery": "", "payer": "buyer"})
    assert not s.b2b_open and _qty(db, variant_id(tea)) == 6
    # B2B with delivery the shop pays: the card shows who pays it and how much
    _call(s, "open_b2b")
    _call(s, "create_b2b", {"lines": f"{variant_id(tea)} 1 450", "buyer": "Bar", "delivery": "150", "payer": "shop"})
    assert not s.b2b_open
    b2b = db.exec(select(Order).where(Order.buyer_name == "Bar")).one()
    assert (b2b.delivery_minor, b2b.shop_delivery_minor, b2b.total_minor) == (0, 15000, 45000)
    _call(card, "open_card", b2b.id)
    assert card.card["payer"].startswith("shop") and "150" in card.card["payer"]


def test_pick_list_and_handoff_of_ticked_orders(db):
    from smo_app.state.orders import OrdersState, PickListState

    tea = make_product(db, name="Tea", price_minor=50000, qty=10)
    ann = make_customer(db, full_name="Anna")
    a = place(db, ann.id, {variant_id(tea): 1})
    b = place(db, ann.id, {variant_id(tea): 2})
    s = _signed_in(OrdersState, db)
    _call(s, "load")
    _call(s, "toggle", a.id, True)
    _call(s, "toggle", b.id, True)
    assert s.pick_href == f"/admin/orders/pick?ids={a.id},{b.id}"
    _call(s, "open_handoff")
    # unpaid orders are refused by number unless the courier collects the money
    _call(s, "hand_over", {"staff": "", "name": "Ivan", "note": ""})
    assert s.handoff_open and f"№{a.id}, №{b.id}" in s.handoff_error and not s.handoffs
    _call(s, "hand_over", {"staff": "", "name": "Ivan", "note": "", "cod": "on"})
    assert not s.handoff_open and s.selected == [] and s.handoffs[0]["name"] == "Ivan"
    assert s.handoffs[0]["orders"] == f"№{a.id}, №{b.id}"
    # the printable list refuses them too, offering cash on delivery; then sums the product over the orders
    p = _state(PickListState)
    p.bo_token = s.bo_token
    p.router = type(p.router)(url=type(p.router.url)(f"http://x/admin/orders/pick?ids={a.id},{b.id}"))
    _call(p, "load")
    assert f"№{a.id}, №{b.id}" in p.pick_error and p.cod_href.endswith("&cod=1") and p.products == []
    p.router = type(p.router)(url=type(p.router.url)(f"http://x{p.cod_href}"))
    _call(p, "load")
    assert p.pick_error == "" and p.products[0]["name"] == "Tea" and p.products[0]["qty"] == "3"


def test_the_audit_log_reads_the_order_moves_as_sentences(db):
    from smo_app.state.audit import AuditState
    from smo_app.services.sales import orders as orders_service
    from tests.commerce_factories import SYSTEM

    tea = make_product(db, name="Tea", price_minor=50000, qty=10)
    order = place(db, make_customer(db).id, {variant_id(tea): 1})
    orders_service.cancel_order(db, actor=SYSTEM, order_id=order.id, reason="asked", restock=False)
    s = _signed_in(AuditState, db, Role.admin)
    _call(s, "load")
    line = next(x for x in s.lines if x["action_code"] == "order.transition")
    assert line["action"] == "Order status changed" and line["entity"] == f"Order No. {order.id}"
    assert line["details"] == "Status: new → cancelled\nGoods back to stock: no\nasked"
    assert {"value": "order.transition", "label": "Order status changed"} in s.actions


def test_the_order_cards_customer_link_opens_the_customer_card(db):
    from smo_app.state.customers import CustomersState
    from smo_app.state.order_card import OrderCardState

    tea = make_product(db, name="Tea", price_minor=50000, qty=10)
    ann = make_customer(db, full_name="Anna")
    order = place(db, ann.id, {variant_id(tea): 1})
    s = _signed_in(OrderCardState, db)
    _call(s, "open_card", order.id)
    link = _call(s, "open_customer")
    assert f"/admin/customers?customer={ann.id}" in str(link)
    c = _state(CustomersState)
    c.bo_token, c.lang = s.bo_token, "en"
    c.router = type(c.router)(url=type(c.router.url)(f"http://x/admin/customers?customer={ann.id}"))
    _call(c, "load")
    assert c.card_open and c.card_id == ann.id and c.card["orders"] == "1"  # the new order counts: it is listed below


def test_the_carriers_status_reads_as_words_with_its_time(db):
    from smo_app.models.shipping import Shipment

    # given an order whose CDEK waybill was created and then taken at the sender's warehouse
    tea = make_product(db, name="Tea", price_minor=50000, qty=10)
    order = place(db, make_customer(db, full_name="Vera").id, {variant_id(tea): 1})
    shipment = Shipment(order_id=order.id, status="created", tariff_code=136, tracking_number="1010",
                        carrier_status="CREATED")
    db.add(shipment)
    db.commit()
    s, _ = _card_and_list(db)
    # when the manager opens the card, the carrier's status is said in words, never as CDEK's code
    _call(s, "open_card", order.id)
    assert s.card_shipment["carrier"] == "created at CDEK, waiting to be handed over"
    db.refresh(shipment)
    shipment.carrier_status = "SOME_NEW_CODE"
    db.add(shipment)
    db.commit()
    _call(s, "open_card", order.id)
    assert s.card_shipment["carrier"] == "on its way"
    assert "CODE" not in s.card_shipment["carrier"] and "CREATED" not in str(s.card_shipment)
