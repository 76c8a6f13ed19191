"""Customers in the backoffice: search, card, edits, exports, tester reset (CR1–CR3, SE1)."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.models.orders import Order
from smo_app.models.outbox import Outbox
from smo_app.models.staff import Role
from smo_app.services.core.errors import DomainError, PermissionDenied, ValidationFailed
from smo_app.services.customers import admin, loyalty
from smo_app.services.sales import orders
from tests.commerce_factories import SYSTEM, make_product, place, qty_of, variant_id
from tests.factories import make_customer, make_staff


def _names(page) -> list[str]:
    return [r.full_name for r in page.rows]


def test_search_by_username_id_phone_and_name_in_any_case(session):
    # given three customers
    manager = make_staff(session, Role.manager).actor()
    anna = make_customer(session, username="anna_k", full_name="Анна Каренина", phone="+79161234567", telegram_id=500_000_001)
    make_customer(session, username="boris", full_name="Борис Годунов", phone="+79990000000")
    make_customer(session, username="annabel", full_name="Annabel Lee")
    # when a manager searches each way
    by_username = admin.search_customers(session, actor=manager, query="@anna")
    by_tg = admin.search_customers(session, actor=manager, query="500000001")
    by_phone = admin.search_customers(session, actor=manager, query="916 123")
    by_name = admin.search_customers(session, actor=manager, query="анна")
    # then each finds who a person would expect
    assert sorted(_names(by_username)) == ["Annabel Lee", "Анна Каренина"]
    assert _names(by_tg) == ["Анна Каренина"]
    assert _names(by_phone) == ["Анна Каренина"]
    assert _names(by_name) == ["Анна Каренина"]
    assert by_tg.rows[0].id == anna.id and by_tg.rows[0].telegram_id == 500_000_001


def test_search_pages_on_the_server_and_treats_wildcards_as_text(session):
    # given 30 customers
    manager = make_staff(session, Role.manager).actor()
    for i in range(30):
        make_customer(session, full_name=f"Client {i:02d}")
    # when the list is paged by 25
    first = admin.search_customers(session, actor=manager, page=1)
    second = admin.search_customers(session, actor=manager, page=2)
    # then the newest come first and the second page holds the rest
    assert len(first.rows) == 25 and first.has_next
    assert first.rows[0].full_name == "Client 29"
    assert len(second.rows) == 5 and not second.has_next
    # and "%" is not a wildcard
    assert admin.search_customers(session, actor=manager, query="%").rows == []


def test_a_seller_may_search_but_not_edit(session):
    seller = make_staff(session, Role.seller).actor()
    c = make_customer(session)
    assert admin.search_customers(session, actor=seller, query=c.username).rows
    with pytest.raises(PermissionDenied):
        admin.update_customer(session, actor=seller, customer_id=c.id, personal_discount_pct=5)


def test_card_counts_placed_orders_sums_paid_ones_and_lists_invited_friends(session):
    # given a customer with a paid order, a new one and an invited friend
    manager = make_staff(session, Role.manager).actor()
    c = make_customer(session)
    make_customer(session, full_name="Friend", inviter_id=c.id)
    product = make_product(session, price_minor=50000, qty=5)
    order = place(session, c.id, {variant_id(product): 2})
    orders.mark_paid(session, actor=SYSTEM, order_id=order.id)
    pending = place(session, c.id, {variant_id(product): 1})  # still new: counted, not in the paid sum
    cancelled = place(session, c.id, {variant_id(product): 1})
    orders.cancel_order(session, actor=SYSTEM, order_id=cancelled.id)
    # when the card is opened
    card = admin.get_card(session, actor=manager, customer_id=c.id)
    # then the count agrees with the orders listed below it (a cancelled one is not counted)
    assert card.orders_count == 2 and card.orders_sum_minor == order.total_minor
    assert [f.full_name for f in card.friends] == ["Friend"]
    assert [(o.id, o.status) for o in card.recent_orders] == [(cancelled.id, "cancelled"), (pending.id, "new"),
                                                              (order.id, "paid")]


def test_card_shows_the_phone_and_name_given_at_checkout_when_the_profile_has_none(session):
    manager = make_staff(session, Role.manager).actor()
    # given a customer who signed in without a phone or a name, and gave both at checkout
    c = make_customer(session, full_name="", phone=None, username=None)
    product = make_product(session, price_minor=50000, qty=5)
    place(session, c.id, {variant_id(product): 1}, contact_name="Анна Смирнова", phone="+7 900 123-45-67")
    # when the card is opened, then it shows them (not "Phone —", not "customer 11")
    card = admin.get_card(session, actor=manager, customer_id=c.id)
    assert (card.phone, card.full_name, card.orders_count) == ("+7 900 123-45-67", "Анна Смирнова", 1)


def test_discount_edit_is_validated_and_audited(session):
    manager = make_staff(session, Role.manager).actor()
    c = make_customer(session)
    # when a bad discount is given nothing changes
    with pytest.raises(ValidationFailed) as bad:
        admin.update_customer(session, actor=manager, customer_id=c.id, personal_discount_pct=150)
    assert bad.value.code == "customers.discount_invalid"
    # when a good one is given it is saved with before/after in the audit log
    card = admin.update_customer(session, actor=manager, customer_id=c.id, personal_discount_pct=10, note="VIP",
                                 wholesale_approved=True)
    assert card.personal_discount_pct == 10 and card.note == "VIP" and card.kind == "wholesale"
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "customer.update")).one()
    assert entry.before["personal_discount_pct"] == 0 and entry.after["personal_discount_pct"] == 10
    # and only the owner may flag a tester
    with pytest.raises(PermissionDenied):
        admin.update_customer(session, actor=manager, customer_id=c.id, is_tester=True)


def test_direct_message_goes_through_the_outbox_and_bad_html_is_refused(session):
    manager = make_staff(session, Role.manager).actor()
    c = make_customer(session)
    with pytest.raises(ValidationFailed):
        admin.message_customer(session, actor=manager, customer_id=c.id, text="<b>unclosed")
    admin.message_customer(session, actor=manager, customer_id=c.id, text="Hello <b>there</b>")
    row = session.exec(select(Outbox).where(Outbox.kind == "direct_message")).one()
    assert row.chat_id == c.telegram_id and row.payload["text"] == "Hello <b>there</b>"


def test_export_has_every_sheet_and_the_customers(session):
    owner = make_staff(session, Role.owner).actor()
    c = make_customer(session, full_name="Вера")
    product = make_product(session, price_minor=10000, qty=5)
    for _ in range(2):
        o = place(session, c.id, {variant_id(product): 1})
        orders.mark_paid(session, actor=SYSTEM, order_id=o.id)
    data = admin.export_xlsx(session, actor=owner, date_from=date.today() - timedelta(days=1),
                             date_to=date.today() + timedelta(days=1))
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Клиенты", "Новые по дням", "Конверсия", "Повторные покупки", "Средний чек"]
    names = [row[3] for row in wb["Клиенты"].iter_rows(min_row=2, values_only=True)]
    assert "Вера" in names
    assert [r[0] for r in wb["Повторные покупки"].iter_rows(min_row=2, values_only=True)] == [c.id]
    conv = list(wb["Конверсия"].iter_rows(min_row=2, values_only=True))[0]
    assert conv == (1, 1, 100.0)
    with pytest.raises(ValidationFailed):
        admin.export_xlsx(session, actor=owner, date_from=date.today(), date_to=date.today() - timedelta(days=2))


def test_tester_reset_wipes_orders_and_bonuses_in_one_action(session):
    # given a tester with a cancelled order and bonuses
    owner = make_staff(session, Role.owner).actor()
    tester = make_customer(session, is_tester=True)
    product = make_product(session, qty=5)
    vid = variant_id(product)
    order = place(session, tester.id, {vid: 1})
    loyalty.adjust_bonuses(session, actor=owner, customer_id=tester.id, delta_minor=5000, note="test")
    # when the owner resets while the order is still open, it is refused and nothing changes
    with pytest.raises(DomainError) as open_order:
        admin.reset_tester(session, actor=owner, customer_id=tester.id)
    assert open_order.value.code == "customers.tester_open_orders"
    orders.cancel_order(session, actor=owner, order_id=order.id, reason="test", restock=True)
    # when reset after the cancel
    out = admin.reset_tester(session, actor=owner, customer_id=tester.id)
    # then orders and bonuses are gone, stock is as before the test order
    assert out.orders == 1
    session.expire_all()
    assert session.exec(select(Order).where(Order.customer_id == tester.id)).all() == []
    assert admin.get_card(session, actor=owner, customer_id=tester.id).bonus_balance_minor == 0
    assert qty_of(session, vid) == 5
    # and a normal customer cannot be reset
    with pytest.raises(DomainError):
        admin.reset_tester(session, actor=owner, customer_id=make_customer(session).id)
