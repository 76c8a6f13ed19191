"""The backoffice screens' read-models, as services (no browser), on SQLite and PostgreSQL: what each
screen shows in one read and what the actor may do there — the service decides, the screen shows."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from smo_app.models.staff import Role, Staff
from smo_app.services.analytics import manual_revenue, views
from smo_app.services.analytics.periods import Period
from smo_app.services.catalog import admin as catalog_admin
from smo_app.services.catalog import products
from smo_app.services.core import audit
from smo_app.services.core.errors import DomainError, PermissionDenied, ValidationFailed
from smo_app.services.integrations.dead_letters import dead_letter_page, record_dead_letter
from smo_app.services.messaging import broadcasts
from smo_app.services.payments import admin as payments_admin
from smo_app.services.staff.roster import staff_roster
from smo_app.services.stock import warehouse
from tests.commerce_factories import make_product, supplier_id, variant_id
from tests.factories import make_staff

MSK = ZoneInfo("Europe/Moscow")


# --------------------------------------------------------------------------- warehouse

def test_the_overview_filters_by_level_pages_and_sums_the_filtered_rows(session):
    # given three goods: out of stock, low (at the threshold) and plenty
    make_product(session, name="Свеча пустая", price_minor=10000)
    make_product(session, name="Свеча мало", price_minor=20000, qty=3, unit_cost_minor=5000)
    make_product(session, name="Свеча много", price_minor=30000, qty=10, unit_cost_minor=7000)
    manager = make_staff(session, Role.manager).actor()
    # when the manager reads everything, then only the yellow ones, then a page of one
    every = warehouse.overview(session, actor=manager)
    low = warehouse.overview(session, actor=manager, level="yellow")
    second = warehouse.overview(session, actor=manager, page=2, page_size=1)
    # then the counts are per level whatever the filter, and the sums are over the filtered rows
    assert every.counts == {"all": 3, "red": 1, "yellow": 1, "green": 1} == low.counts
    assert (every.units, every.value_minor, every.retail_minor) == (13, 3 * 5000 + 10 * 7000, 3 * 20000 + 10 * 30000)
    assert [r.name for r in low.rows] == ["Свеча мало"] and low.units == 3
    assert (second.page, second.pages, len(second.rows), second.total_rows) == (2, 3, 1, 3)
    assert warehouse.overview(session, actor=manager, page=99, page_size=1).page == 3


def test_the_variant_card_and_a_supply_typed_as_on_the_screen(session):
    candle = make_product(session, name="Свеча")
    vid = variant_id(candle)
    manager = make_staff(session, Role.manager).actor()
    supplier = supplier_id(session)
    # step 2: bad lines are refused by line; repeated lines add up
    with pytest.raises(ValidationFailed) as refused:
        warehouse.supply_items(session, actor=manager, text=f"{vid} 2\n999999 1\n{vid} 0")
    assert refused.value.code == "stock.batch_rejected" and [e["row"] for e in refused.value.errors] == [2, 3]
    items = warehouse.supply_items(session, actor=manager, text=f"{vid} 2\n{vid} 3")
    assert [(i.variant_id, i.name, i.qty) for i in items] == [(vid, "Свеча", 5)]
    # step 3: a price that is not an amount names the item; a good one is split per unit
    with pytest.raises(ValidationFailed) as bad_price:
        warehouse.receive_supply(session, actor=manager, supplier_id=supplier, text=f"{vid} 5", prices={str(vid): "дорого"})
    assert bad_price.value.code == "stock.batch_price_invalid" and bad_price.value.params["name"] == "Свеча"
    out = warehouse.receive_supply(session, actor=manager, supplier_id=supplier, text=f"{vid} 5",
                                   prices={str(vid): "1 000,50"}, comment="")
    assert (out.units, out.total_minor) == (5, 100050)
    # the single edit reads the quantity as typed: a word is a format error, -1 and 99 999 999 999 out of range
    for typed, code in (("abc", "stock.qty_format"), ("-1", "stock.qty_range"), ("99 999 999 999", "stock.qty_range")):
        with pytest.raises(ValidationFailed) as bad_qty:
            warehouse.set_quantity(session, actor=manager, variant_id=vid, qty=typed)
        assert bad_qty.value.code == code, typed
    assert bad_qty.value.params["max"] == 10_000_000
    warehouse.set_quantity(session, actor=manager, variant_id=vid, qty=" 4 ", comment="пересчёт")
    card = warehouse.variant_card(session, actor=manager, variant_id=vid)
    assert [m.kind for m in card.moves] == ["edit", "supply"] and card.waiting == 0


def test_a_seller_sees_no_warehouse(session):
    seller = make_staff(session, Role.seller).actor()
    with pytest.raises(PermissionDenied):
        warehouse.overview(session, actor=seller)
    with pytest.raises(PermissionDenied):
        warehouse.variant_card(session, actor=seller, variant_id=1)


# --------------------------------------------------------------------------- analytics

def test_who_may_not_read_analytics_gets_nothing_and_no_refusal(session):
    manager = make_staff(session, Role.manager).actor()
    assert views.summary_block(session, actor=manager) is None
    assert views.period_view(session, actor=manager, preset="this_month") is None
    with pytest.raises(PermissionDenied):
        views.period_workbook(session, actor=manager, kind="pnl", date_from="", date_to="")


def test_the_period_is_a_preset_a_month_or_two_days(session):
    admin = make_staff(session, Role.admin).actor()
    owner = make_staff(session, Role.owner).actor()
    today = datetime.now(MSK).date()
    month = views.period_view(session, actor=admin, preset="this_month")
    assert (month.date_from, month.date_to) == (today.replace(day=1), today) and not month.can_manual
    assert len(month.series.days) == today.day and month.ranked == [] and month.entries == []
    november = views.period_view(session, actor=owner, month="2026-11")
    assert (november.date_from, november.date_to, november.can_manual) == (date(2026, 11, 1), date(2026, 11, 30), True)
    days = views.period_view(session, actor=owner, date_from="2026-02-27", date_to="2026-03-02")
    assert [d.day for d in days.series.days][-1] == date(2026, 3, 2) and len(days.series.days) == 4
    assert views.summary_block(session, actor=owner).get("revenue_today").value == 0


@pytest.mark.parametrize("period, code", [
    ({"date_from": "2026-13-01", "date_to": "2026-11-30"}, "analytics.date_invalid"),
    ({"date_from": "2026-11-30", "date_to": "2026-11-01"}, "analytics.period_reversed"),
    ({"month": "November"}, "analytics.month_invalid"),
])
def test_a_period_that_does_not_read_says_why(session, period, code):
    owner = make_staff(session, Role.owner).actor()
    with pytest.raises(ValidationFailed) as refused:
        views.period_view(session, actor=owner, **period)
    assert refused.value.code == code


def test_presets_in_the_shop_calendar():
    today = date(2026, 3, 15)
    assert views.preset_period("last_month", today) == Period(date(2026, 2, 1), date(2026, 2, 28))
    assert views.preset_period("last_30", today) == Period(date(2026, 2, 14), today)
    assert views.preset_period("this_month", today) == views.preset_period("anything", today) == Period(date(2026, 3, 1), today)


def test_workbooks_of_the_period_and_a_manual_entry_as_typed(session):
    owner = make_staff(session, Role.owner).actor()
    today = datetime.now(MSK).date()
    entry = manual_revenue.add_manual_revenue_as_typed(session, actor=owner, day=today.isoformat(), amount="1 500,50",
                                                       note="Ярмарка")
    assert entry.amount_minor == 150050
    for day, amount, code in (("", "10", "analytics.manual_day_invalid"),
                              (today.isoformat(), "много", "analytics.manual_amount_invalid")):
        with pytest.raises(ValidationFailed) as refused:
            manual_revenue.add_manual_revenue_as_typed(session, actor=owner, day=day, amount=amount, note="x")
        assert refused.value.code == code
    for kind in views.WORKBOOKS:
        name, data = views.period_workbook(session, actor=owner, kind=kind, date_from=today.isoformat(),
                                           date_to=today.isoformat(), lang="en")
        assert name.endswith(".xlsx") and data[:2] == b"PK"
    with pytest.raises(DomainError):
        views.period_workbook(session, actor=owner, kind="secret", date_from=today.isoformat(), date_to=today.isoformat())


# --------------------------------------------------------------------------- staff, dead letters, payments, audit

def test_the_roster_says_whom_each_manager_may_manage(session):
    owner = make_staff(session, Role.owner)
    admin = make_staff(session, Role.admin)
    seller = make_staff(session, Role.seller)
    locked_until = datetime.now(timezone.utc) + timedelta(minutes=10)
    session.get(Staff, seller.id).locked_until = locked_until  # after failed sign-ins
    session.commit()
    as_owner = staff_roster(session, actor=owner.actor())
    as_admin = staff_roster(session, actor=admin.actor())
    by_id = {r.id: r for r in as_admin.rows}
    assert as_owner.assignable == [r.value for r in Role] and as_admin.assignable == ["manager", "seller"]
    assert by_id[seller.id].manageable and not by_id[owner.id].manageable and not by_id[admin.id].manageable
    assert {r.id: r.manageable for r in as_owner.rows}[owner.id] is False  # never oneself
    assert by_id[seller.id].locked and not by_id[admin.id].locked
    later = locked_until + timedelta(seconds=1)
    assert not any(r.locked for r in staff_roster(session, actor=owner.actor(), now=later).rows)
    with pytest.raises(PermissionDenied):
        staff_roster(session, actor=make_staff(session, Role.manager).actor())


def test_the_dead_letters_and_payments_pages_say_who_may_act(session):
    record_dead_letter(session, provider="cdek", kind="webhook", reason="unknown_order", reference="A-1")
    session.commit()
    owner, manager = make_staff(session, Role.owner).actor(), make_staff(session, Role.manager).actor()
    page = dead_letter_page(session, actor=owner)
    assert [r.reference for r in page.rows] == ["A-1"] and page.can_resolve
    assert dead_letter_page(session, actor=manager).can_resolve is False
    payments = payments_admin.payments_page(session, actor=owner)
    assert (payments.payments, payments.letters, payments.runs, payments.can_manage) == ([], [], [], True)
    assert payments_admin.payments_page(session, actor=manager).can_manage is False


def test_the_audit_screen_is_a_page_and_the_actions_to_filter_by(session):
    owner = make_staff(session, Role.owner).actor()
    for n in range(3):
        products.create_category(session, actor=owner, name=f"Категория {n}")
    screen = audit.audit_screen(session, actor=owner, page=2, page_size=2, action="catalog.")
    assert screen.entries.total == 3 and len(screen.entries.rows) == 1
    assert "catalog.category_create" in screen.actions and "staff.create" in screen.actions


# --------------------------------------------------------------------------- broadcasts, catalog

def test_the_broadcasts_page_lists_each_broadcast_with_its_buttons(session):
    manager = make_staff(session, Role.manager).actor()
    with pytest.raises(ValidationFailed) as refused:
        broadcasts.create_broadcast(session, actor=manager, text="Hi", segment="new", segment_days="ten")
    assert refused.value.code == "broadcast.days_invalid"
    draft = broadcasts.create_broadcast(session, actor=manager, text="Hi", segment="new", segment_days=" 7 ")
    assert draft.segment_days == 7
    page = broadcasts.broadcasts_page(session, actor=manager)
    assert [(line.broadcast.id, line.actions) for line in page.lines] == [(draft.id, ("start", "cancel"))]
    assert page.lines[0].progress.total == 0 and not page.bot_online and not page.bot_running


def test_the_catalog_tree_says_what_may_be_renamed_and_deleted_and_categories_move(session):
    owner, manager = make_staff(session, Role.owner).actor(), make_staff(session, Role.manager).actor()
    first, second, third = (products.create_category(session, actor=owner, name=n) for n in ("Свечи", "Мыло", "Крем"))
    child = products.create_category(session, actor=owner, name="Соевые", parent_id=first.id)
    assert catalog_admin.catalog_tree(session, actor=owner).can_delete
    tree = catalog_admin.catalog_tree(session, actor=manager)
    assert (tree.can_rename, tree.can_delete) == (False, False)
    products.move_category(session, actor=manager, category_id=third.id, delta=-1)
    products.move_category(session, actor=manager, category_id=first.id, delta=-1)  # already first: nothing moves
    products.move_category(session, actor=manager, category_id=child.id, delta=1)  # the only child: nothing moves
    tree = catalog_admin.catalog_tree(session, actor=manager).categories
    assert [c.name for c in tree] == ["Свечи", "Крем", "Мыло"] and [c.name for c in tree[0].children] == ["Соевые"]
    with pytest.raises(PermissionDenied):
        products.move_category(session, actor=make_staff(session, Role.seller).actor(), category_id=second.id, delta=1)
