"""The backoffice orders read model: tabs with counts, search, shop-time dates, the card, tracking
numbers, messages, the pick list and courier handoffs."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.models.orders import Order
from smo_app.models.outbox import Outbox
from smo_app.models.staff import Role, Staff
from smo_app.services.core.errors import DomainError, PermissionDenied
from smo_app.services.sales import couriers, order_admin, orders
from tests.commerce_factories import make_product, place, variant_id
from tests.factories import actor_of, make_customer, make_staff


@pytest.fixture
def shop(session):
    manager = actor_of(make_staff(session, Role.manager))
    tea = make_product(session, name="Tea", price_minor=50000, qty=50,
                       variants=[{"label": "100 g", "price_minor": 50000},
                                 {"label": "250 g", "price_minor": 110000}])
    cup = make_product(session, name="Cup", price_minor=30000, qty=50)
    ann = make_customer(session, full_name="Anna Petrova", phone="+79161234567", username="annap")
    bob = make_customer(session, full_name="Boris", phone="+79990001122")
    return manager, tea, cup, ann, bob


def test_tabs_count_and_list_newest_first(session, shop):
    # given three orders: one new, one paid, one cancelled
    manager, tea, cup, ann, bob = shop
    o1 = place(session, ann.id, {variant_id(tea): 1})
    o2 = place(session, bob.id, {variant_id(cup): 2})
    o3 = place(session, ann.id, {variant_id(tea, 1): 1})
    orders.mark_paid(session, actor=manager, order_id=o2.id)
    orders.cancel_order(session, actor=manager, order_id=o3.id, reason="asked")
    # when the manager opens the active tab
    page = order_admin.list_orders(session, actor=manager, tab="active")
    # then only open orders show, newest first, and every tab has its count
    assert [r.id for r in page.rows] == [o2.id, o1.id]
    assert page.counts["active"] == 2 and page.counts["new"] == 1 and page.counts["paid"] == 1
    assert page.counts["cancelled"] == 1 and page.counts["all"] == 3 and page.counts["completed"] == 0
    assert page.rows[1].customer_name == "Anna Petrova" and page.rows[1].phone == "+79161234567"
    assert [r.id for r in order_admin.list_orders(session, actor=manager, tab="cancelled").rows] == [o3.id]


def test_search_by_number_name_username_and_phone(session, shop):
    manager, tea, cup, ann, bob = shop
    a = place(session, ann.id, {variant_id(tea): 1})
    b = place(session, bob.id, {variant_id(cup): 1})
    ids = lambda q: [r.id for r in order_admin.list_orders(session, actor=manager, tab="all", query=q).rows]  # noqa: E731
    assert ids(f"#{b.id}") == [b.id]
    assert ids(f"№{a.id}") == [a.id]
    assert ids("петров") == [] and ids("petrova") == [a.id]
    assert ids("@annap") == [a.id]
    assert ids("0001122") == [b.id]
    assert ids("+7 999 000-11-22") == [b.id]
    # an exact number in another tab is not listed there, but its tab's count shows where it is
    other = order_admin.list_orders(session, actor=manager, tab="paid", query=f"#{a.id}")
    assert other.rows == [] and other.counts["new"] == 1 and other.counts["all"] == 1 and other.total == 0
    assert ids("#999999") == []
    # and the counts follow the search
    assert order_admin.list_orders(session, actor=manager, tab="all", query="boris").counts["all"] == 1


def test_date_range_is_in_shop_time(session, shop):
    # given an order placed at 22:30 UTC on the 1st, which is already the 2nd in Moscow
    manager, tea, cup, ann, bob = shop
    o = place(session, ann.id, {variant_id(tea): 1})
    row = session.get(Order, o.id)
    row.created_at = datetime(2026, 3, 1, 22, 30, tzinfo=timezone.utc)
    session.add(row)
    session.commit()
    # then it is found on the 2nd, not on the 1st
    on = lambda d: order_admin.list_orders(session, actor=manager, tab="all", date_from=d, date_to=d).total  # noqa: E731
    assert on(date(2026, 3, 2)) == 1 and on(date(2026, 3, 1)) == 0
    with pytest.raises(DomainError) as err:
        order_admin.list_orders(session, actor=manager, date_from=date(2026, 3, 2), date_to=date(2026, 3, 1))
    assert err.value.code == "order.period_invalid"


def test_paging(session, shop):
    manager, tea, cup, ann, bob = shop
    made = [place(session, ann.id, {variant_id(cup): 1}).id for _ in range(5)]
    first = order_admin.list_orders(session, actor=manager, tab="all", page_size=2)
    third = order_admin.list_orders(session, actor=manager, tab="all", page=3, page_size=2)
    assert [r.id for r in first.rows] == made[::-1][:2] and first.has_next
    assert [r.id for r in third.rows] == [made[0]] and not third.has_next


def test_sellers_cannot_see_the_order_list(session, shop):
    seller = actor_of(make_staff(session, Role.seller))
    with pytest.raises(PermissionDenied):
        order_admin.list_orders(session, actor=seller)


def test_card_offers_the_state_machine_moves_and_tracking_is_audited(session, shop):
    manager, tea, cup, ann, bob = shop
    o = place(session, ann.id, {variant_id(tea): 2})
    card = order_admin.get_order_card(session, actor=manager, order_id=o.id)
    assert [a.action for a in card.actions] == ["pay", "cancel"]
    assert card.customer.name == "Anna Petrova" and card.can_message
    assert card.order.lines[0].qty == 2 and card.order.lines[0].variant_label == "100 g"
    # when the manager enters a tracking number
    order_admin.set_tracking_number(session, actor=manager, order_id=o.id, tracking_number=" 1234-ABC ")
    # then the card shows it and the audit log has before and after
    assert order_admin.get_order_card(session, actor=manager, order_id=o.id).tracking_number == "1234-ABC"
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "order.tracking_set")).one()
    assert entry.entity_id == str(o.id)
    with pytest.raises(DomainError) as err:
        order_admin.set_tracking_number(session, actor=manager, order_id=o.id, tracking_number="<b>")
    assert err.value.code == "order.tracking_invalid"


def test_message_the_customer_goes_through_the_outbox(session, shop):
    manager, tea, cup, ann, bob = shop
    o = place(session, ann.id, {variant_id(tea): 1})
    order_admin.message_order_customer(session, actor=manager, order_id=o.id, text="Your parcel is <b>ready</b>")
    row = session.exec(select(Outbox).where(Outbox.kind == "order_message")).one()
    assert row.chat_id == ann.telegram_id and row.order_id == o.id
    with pytest.raises(DomainError) as err:
        order_admin.message_order_customer(session, actor=manager, order_id=o.id, text="<b>oops")
    assert err.value.code == "customers.message_html"


def test_pick_list_groups_by_product_and_variant(session, shop):
    manager, tea, cup, ann, bob = shop
    a = place(session, ann.id, {variant_id(tea): 2, variant_id(cup): 1})
    b = place(session, bob.id, {variant_id(tea): 1, variant_id(tea, 1): 3})
    for order in (a, b):
        orders.mark_paid(session, actor=manager, order_id=order.id)
    pick = order_admin.pick_list(session, actor=manager, order_ids=[b.id, a.id])
    assert [p.name for p in pick.products] == ["Cup", "Tea"]
    tea_row = pick.products[1]
    assert tea_row.qty == 6
    assert [(v.variant_label, v.qty, v.order_ids) for v in tea_row.variants] == [("100 g", 3, [a.id, b.id]),
                                                                                ("250 g", 3, [b.id])]
    assert pick.units == 7


def test_delivery_list_has_paid_and_processing_orders_that_travel(session, shop):
    manager, tea, cup, ann, bob = shop
    a = place(session, ann.id, {variant_id(tea): 1})
    b = place(session, bob.id, {variant_id(cup): 1})
    place(session, bob.id, {variant_id(cup): 1})  # still new
    orders.mark_paid(session, actor=manager, order_id=a.id)
    orders.mark_paid(session, actor=manager, order_id=b.id)
    orders.transition(session, actor=manager, order_id=b.id, to_status="processing")
    assert sorted(r.id for r in order_admin.delivery_list(session, actor=manager).rows) == [a.id, b.id]


def test_courier_handoff_sends_a_linked_staff_courier_the_list(session, shop):
    manager, tea, cup, ann, bob = shop
    courier = make_staff(session, Role.manager)
    staff = session.get(Staff, courier.id)
    staff.telegram_id = 8_000_000_001
    session.add(staff)
    session.commit()
    a = place(session, ann.id, {variant_id(tea): 1})
    b = place(session, bob.id, {variant_id(cup): 1})
    orders.mark_paid(session, actor=manager, order_id=a.id)
    # when the manager hands both orders to that courier, the unpaid one as cash on delivery
    out = couriers.hand_over(session, actor=manager, order_ids=[a.id, b.id], courier_staff_id=courier.id,
                             cash_on_delivery=True)
    # then it is recorded, the courier gets the list in Telegram (what to collect for the unpaid one),
    # and the card shows who took it
    assert out.order_ids == [a.id, b.id] and out.notified
    msg = session.exec(select(Outbox).where(Outbox.kind == "courier_list")).one()
    assert msg.chat_id == 8_000_000_001 and f"№{a.id}" in msg.payload["text"] and f"№{b.id}" in msg.payload["text"]
    assert msg.payload["text"].count("💵") == 1
    assert order_admin.get_order_card(session, actor=manager, order_id=a.id).handoffs[0].courier_name == courier.full_name
    assert couriers.list_handoffs(session, actor=manager)[0].order_ids == [a.id, b.id]


def test_courier_handoff_refuses_closed_orders_and_a_missing_name(session, shop):
    manager, tea, cup, ann, bob = shop
    a = place(session, ann.id, {variant_id(tea): 1})
    orders.cancel_order(session, actor=manager, order_id=a.id, reason="x")
    with pytest.raises(DomainError) as err:
        couriers.hand_over(session, actor=manager, order_ids=[a.id], courier_name="Ivan")
    assert err.value.code == "couriers.order_closed"
    b = place(session, bob.id, {variant_id(cup): 1})
    with pytest.raises(DomainError) as err:
        couriers.hand_over(session, actor=manager, order_ids=[b.id], courier_name="  ")
    assert err.value.code == "couriers.name_invalid"
    assert couriers.list_handoffs(session, actor=manager) == []


def test_unpaid_orders_are_refused_by_number_for_a_courier_and_a_pick_list(session, shop):
    manager, tea, cup, ann, bob = shop
    paid = place(session, ann.id, {variant_id(tea): 1})
    orders.mark_paid(session, actor=manager, order_id=paid.id)
    unpaid = [place(session, bob.id, {variant_id(cup): 1}) for _ in range(2)]
    ids = [paid.id, *(o.id for o in unpaid)]
    # when the manager hands an unpaid "new" order to a courier, or prints it on a pick list
    for attempt in (lambda: couriers.hand_over(session, actor=manager, order_ids=ids, courier_name="Ivan"),
                    lambda: order_admin.pick_list(session, actor=manager, order_ids=ids)):
        with pytest.raises(DomainError) as err:
            attempt()
        # then it is refused naming every unpaid order (and not the paid one)
        assert err.value.code == "couriers.order_unpaid"
        assert err.value.params["ids"] == f"№{unpaid[0].id}, №{unpaid[1].id}"
    assert couriers.list_handoffs(session, actor=manager) == []
    # the paid one alone goes
    assert couriers.hand_over(session, actor=manager, order_ids=[paid.id], courier_name="Ivan").order_ids == [paid.id]


def test_b2b_entry_is_listed_as_completed(session, shop):
    manager, tea, cup, ann, bob = shop
    out = orders.create_b2b_order(session, actor=manager, items=[{"variant_id": variant_id(cup), "qty": 3,
                                                                  "unit_price_minor": 25000}], buyer_name="Cafe Luna")
    row = order_admin.list_orders(session, actor=manager, tab="completed", query="luna").rows[0]
    assert row.id == out.id and row.customer_name == "Cafe Luna" and row.channel == "b2b"
