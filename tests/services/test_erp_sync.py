"""MoySklad sync against the fake, on SQLite and PostgreSQL: pulls equal the fake, stock moves through
the ledger respecting what our orders hold, conflicts keep our orders, pushes happen once, webhooks
are applied once."""
from __future__ import annotations

import pytest
from sqlmodel import Session, select

from integrations.moysklad.fake import STATES
from smo_app import composition
from smo_app.models.catalog import Product, Variant
from smo_app.models.erp import ErpItemLink, ErpOrderPush, ErpSyncRun
from smo_app.models.integrations import DeadLetter
from smo_app.models.outbox import Outbox
from smo_app.models.stock import StockMove
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError
from smo_app.services.erp import orders_push, runs, webhooks as erp_webhooks
from smo_app.services.stock import ledger
from tests.commerce_factories import make_product, place
from tests.erp_support import connect, fake_moysklad
from tests.factories import make_customer
from tests.race import outcomes, run_at_once

SYSTEM = Actor.system("test")


@pytest.fixture(autouse=True)
def _ports_back():
    yield
    composition.reset()


def _ours(session: Session) -> dict[str, tuple[str, str, int, int, bool]]:
    """MoySklad id -> (product name, variant label, price, qty, hidden) as the shop has it now."""
    session.expire_all()
    out = {}
    for link in session.exec(select(ErpItemLink)).all():
        if link.variant_id is None:
            continue
        v = session.get(Variant, link.variant_id)
        p = session.get(Product, link.product_id)
        out[link.external_id] = (p.name, v.label, v.price_minor, v.qty, p.hidden)
    return out


def _theirs(fake) -> dict[str, tuple[str, str, int, int, bool]]:
    free = {i: fake.stock.get(i, 0) - fake.reserves().get(i, 0) for i in set(fake.products) | set(fake.variants)}
    out = {}
    for pid, row in fake.products.items():
        if row["variantsCount"]:
            for vid, v in fake.variants.items():
                if v["product"]["meta"]["href"].endswith(pid):
                    out[vid] = (row["name"], v["characteristics"][0]["value"], int(v["salePrices"][0]["value"]),
                                int(max(0, free[vid])), row["archived"])
        else:
            out[pid] = (row["name"], "", int(row["salePrices"][0]["value"]), int(max(0, free[pid])), row["archived"])
    return out


def test_full_then_incremental_pulls_equal_the_fake(session):
    # given MoySklad with 30 products, one of them with two variants
    fake = fake_moysklad()
    fake.seed_catalog(30)
    parent = fake.add_product("Свеча", price=50_000)
    fake.add_variant(parent, "S", price=40_000, stock=4)
    fake.add_variant(parent, "L", price=90_000, stock=1)
    connect(session, fake)
    # when the owner pulls everything
    run = runs.pull(session, actor=SYSTEM, kind="full")
    # then the shop has what MoySklad has, stock through "sync" moves, and the run is recorded
    assert run.status == "ok" and run.items_created == 33 and run.throttled == 0
    assert _ours(session) == _theirs(fake)
    assert session.exec(select(StockMove).where(StockMove.kind == "sync")).all()
    variants = session.exec(select(Variant).join(Product).where(Product.name == "Свеча")).all()
    assert sorted(v.label for v in variants) == ["L", "S"]  # one product of ours, its two variants
    # when prices and stock change there, an item is archived, one is new, and an incremental pull runs
    changed = fake.change_many(5)
    fake.change(changed[0], archived=True)
    fake.add_product("Новинка", price=77_700, stock=9)
    run2 = runs.pull(session, actor=SYSTEM, kind="incremental", changed_since_minutes=10)
    # then the shop equals the fake again, in a handful of requests
    assert run2.status == "ok" and run2.kind == "incremental" and run2.requests <= 10
    assert _ours(session) == _theirs(fake)
    # and a second full pull finds nothing to change
    again = runs.pull(session, actor=SYSTEM, kind="full")
    assert again.items_created == 0 and again.items_updated == 0 and again.stock_changed == 0


def test_an_item_missing_from_the_stock_report_has_zero_on_a_full_pull(session):
    fake = fake_moysklad()
    pid = fake.add_product("A", price=1_000, stock=5)
    connect(session, fake)
    runs.pull(session, actor=SYSTEM, kind="full")
    fake.stock.pop(pid)  # sold out there: the report leaves it out
    runs.pull(session, actor=SYSTEM, kind="full")
    assert _ours(session)[pid][3] == 0


def test_pulled_goods_are_found_by_the_shops_search_and_so_is_a_rename_there(session):
    # given a candle in MoySklad
    fake = fake_moysklad()
    pid = fake.add_product("Свеча «Лаванда»", price=50_000, code="SV-9", stock=2)
    connect(session, fake)
    # when it is pulled, the shop's search finds it by name and by its code
    runs.pull(session, actor=SYSTEM, kind="full")
    assert [r.name for r in ledger.stock_overview(session, actor=SYSTEM, search="лаванда")] == ["Свеча «Лаванда»"]
    assert [r.name for r in ledger.stock_overview(session, actor=SYSTEM, search="sv-9")] == ["Свеча «Лаванда»"]
    # when it is renamed there, the search follows
    fake.change(pid, name="Свеча «Бергамот»")
    runs.pull(session, actor=SYSTEM, kind="incremental", changed_since_minutes=10)
    assert [r.name for r in ledger.stock_overview(session, actor=SYSTEM, search="бергамот")] == ["Свеча «Бергамот»"]
    assert ledger.stock_overview(session, actor=SYSTEM, search="лаванда") == []


def test_matching_by_barcode_then_sku_links_what_the_shop_already_has(session):
    # given the shop's own products with a barcode and an SKU
    mine = make_product(session, name="Своё мыло", price_minor=30_000, qty=2)
    other = make_product(session, name="Своя свеча", price_minor=50_000)
    session.get(Variant, mine.variants[0].id).barcode = "4600000000001"
    session.get(Variant, other.variants[0].id).sku = "SV-1"
    session.commit()
    fake = fake_moysklad()
    by_barcode = fake.add_product("Мыло (МС)", price=31_000, barcode="4600000000001", stock=7)
    by_code = fake.add_product("Свеча (МС)", price=52_000, code="SV-1", stock=3)
    connect(session, fake)
    run = runs.pull(session, actor=SYSTEM, kind="full")
    assert run.items_created == 0
    links = {lk.external_id: lk.variant_id for lk in session.exec(select(ErpItemLink)).all()}
    assert links == {by_barcode: mine.variants[0].id, by_code: other.variants[0].id}
    assert _ours(session)[by_barcode] == ("Мыло (МС)", "", 31_000, 7, False)  # MoySklad owns names, prices, stock


def test_deleted_in_moysklad_is_archived_if_it_has_orders_else_deleted(session):
    fake = fake_moysklad()
    sold = fake.add_product("Продан", price=10_000, stock=5)
    unsold = fake.add_product("Не продан", price=10_000, stock=5)
    connect(session, fake, push=False)
    runs.pull(session, actor=SYSTEM, kind="full")
    link = session.exec(select(ErpItemLink).where(ErpItemLink.external_id == sold)).one()
    customer = make_customer(session)
    place(session, customer.id, {link.variant_id: 1})
    fake.delete(sold)
    fake.delete(unsold)
    runs.pull(session, actor=SYSTEM, kind="full")
    session.expire_all()
    products = {p.name: p for p in session.exec(select(Product)).all()}
    assert products["Продан"].hidden and not products["Продан"].deleted
    assert products["Не продан"].deleted


def test_a_pull_counts_what_our_orders_hold_and_a_conflict_keeps_our_paid_order(session):
    from smo_app.services.sales import orders

    from smo_app.models.staff import Staff
    from tests.factories import make_staff

    owner = make_staff(session)
    session.get(Staff, owner.id).telegram_id = 7_100_000_002
    session.commit()
    fake = fake_moysklad()
    pid = fake.add_product("Диффузор", price=100_000, stock=5)
    connect(session, fake, push=False)
    runs.pull(session, actor=SYSTEM, kind="full")
    vid = session.exec(select(ErpItemLink.variant_id).where(ErpItemLink.external_id == pid)).one()
    # given a paid order of ours for 2 that MoySklad does not know yet
    customer = make_customer(session)
    order = place(session, customer.id, {vid: 2})
    orders.mark_paid(session, actor=SYSTEM, order_id=order.id)
    # when MoySklad still says 5: the shop offers 3, never the 2 sold again
    runs.pull(session, actor=SYSTEM, kind="full")
    assert _ours(session)[pid][3] == 3
    # when MoySklad says only 1 is left: our order stands, nothing is left for sale, staff are told
    fake.set_stock(pid, 1)
    run = runs.pull(session, actor=SYSTEM, kind="full")
    session.expire_all()
    assert run.conflicts == 1 and _ours(session)[pid][3] == 0
    assert orders.get_order(session, actor=SYSTEM, order_id=order.id).status == "paid"
    [letter] = session.exec(select(DeadLetter).where(DeadLetter.reason == "erp.stock_conflict")).all()
    assert letter.payload["orders"] == [order.id] and letter.payload["erp_qty"] == 1
    [alert] = session.exec(select(Outbox).where(Outbox.kind == "erp_conflict")).all()
    assert "Диффузор" in alert.payload["text"] and alert.chat_id == 7_100_000_002
    # a second pull with the same conflict does not pile up dead letters
    runs.pull(session, actor=SYSTEM, kind="full")
    assert len(session.exec(select(DeadLetter).where(DeadLetter.reason == "erp.stock_conflict")).all()) == 1


def test_sync_refused_while_off_and_runs_are_recorded(session):
    fake = fake_moysklad()
    connect(session, fake, enabled=False)
    with pytest.raises(DomainError) as refused:
        runs.pull(session, actor=SYSTEM, kind="full")
    assert refused.value.code == "erp.not_enabled"
    connect(session, fake, backoff=0.01)  # the same six tries, without waiting 15 s between them
    fake.fail_next(12, 503)  # the first page and the stock report are asked for at once: six tries each
    run = runs.pull(session, actor=SYSTEM, kind="full")
    assert run.status == "failed" and run.error_code == "integration.unavailable"
    assert session.exec(select(ErpSyncRun)).all()[-1].status == "failed"


def _order_in_moysklad(session, fake):
    pid = fake.add_product("Масло", price=45_000, stock=10)
    connect(session, fake)
    runs.pull(session, actor=SYSTEM, kind="full")
    vid = session.exec(select(ErpItemLink.variant_id).where(ErpItemLink.external_id == pid)).one()
    customer = make_customer(session)
    from smo_app.services.sales import orders

    order = place(session, customer.id, {vid: 2})
    orders.mark_paid(session, actor=SYSTEM, order_id=order.id)
    return order, pid


def test_pushing_an_order_twice_creates_it_once_and_follows_its_status(session):
    from smo_app.services.sales import orders

    fake = fake_moysklad()
    order, pid = _order_in_moysklad(session, fake)
    first = orders_push.push_order(session, actor=SYSTEM, order_id=order.id)
    second = orders_push.push_order(session, actor=SYSTEM, order_id=order.id)
    assert (first.outcome, second.outcome) == ("created", "unchanged") and len(fake.orders) == 1
    [row] = fake.orders.values()
    assert row["externalCode"] == str(order.id) and fake.state_name(row) == "Подтвержден"
    assert fake.reserves()[pid] == 2  # MoySklad holds the units for us
    orders.transition(session, actor=SYSTEM, order_id=order.id, to_status="processing")
    assert orders_push.push_order(session, actor=SYSTEM, order_id=order.id).outcome == "state"
    assert fake.state_name(row) == "Собран" and STATES


def test_a_push_that_timed_out_after_moysklad_acted_is_found_not_created_again(session):
    fake = fake_moysklad()
    order, _ = _order_in_moysklad(session, fake)
    orders_push.push_order(session, actor=SYSTEM, order_id=order.id)
    session.exec(select(ErpOrderPush)).one().external_id = None  # as if the answer never came back
    session.commit()
    assert orders_push.push_order(session, actor=SYSTEM, order_id=order.id).outcome == "found"
    assert len(fake.orders) == 1


def test_pushing_concurrently_creates_each_order_once(engine):
    with Session(engine, expire_on_commit=False) as session:
        fake = fake_moysklad()
        order, _ = _order_in_moysklad(session, fake)
    results = run_at_once(engine, [lambda s: orders_push.push_order(s, actor=SYSTEM, order_id=order.id).outcome] * 3)
    assert outcomes(results) == {"ok": 3}
    assert sorted(v for _, v in results) == ["created", "unchanged", "unchanged"]
    assert len(fake.orders) == 1


def test_three_identical_webhooks_at_once_fetch_the_object_once(engine):
    with Session(engine, expire_on_commit=False) as session:
        fake = fake_moysklad()
        pid = fake.add_product("Мыло", price=30_000, stock=2)
        connect(session, fake)
        runs.pull(session, actor=SYSTEM, kind="full")
    fake.change(pid, name="Мыло «Мята»", price=33_000)
    body = fake.webhook_body([("product", pid, "UPDATE")], fields=["name", "salePrices"])
    results = run_at_once(engine, [lambda s: erp_webhooks.receive(s, actor=None, request_id="req-1", body=body).outcome] * 3)
    assert sorted(v for _, v in results) == ["duplicate", "duplicate", "stored"]
    with Session(engine, expire_on_commit=False) as session:
        [task] = session.exec(select(Outbox).where(Outbox.kind == erp_webhooks.TASK)).all()
        before = len(fake.requests(f"/entity/product/{pid}"))
        erp_webhooks.process(session, webhook_event_id=task.payload["webhook_event_id"])
        erp_webhooks.process(session, webhook_event_id=task.payload["webhook_event_id"])
        assert len(fake.requests(f"/entity/product/{pid}")) - before == 1
        assert _ours(session)[pid][:3] == ("Мыло «Мята»", "", 33_000)


def test_order_events_queue_a_push_only_while_the_shop_pushes_to_moysklad(session):
    from smo_app.services.messaging import outbox_tasks
    from smo_app.services.sales import orders

    fake = fake_moysklad()
    order, _ = _order_in_moysklad(session, fake)  # paid while pushing is on: one push task
    [task] = session.exec(select(Outbox).where(Outbox.kind == orders_push.TASK)).all()
    claimed = _claimed(task)
    session.rollback()  # the worker has the database to itself
    outbox_tasks.run_claimed(lambda: Session(session.get_bind()), claimed)
    assert len(fake.orders) == 1
    connect(session, fake, enabled=False)
    orders.transition(session, actor=SYSTEM, order_id=order.id, to_status="processing")
    assert len(session.exec(select(Outbox).where(Outbox.kind == orders_push.TASK)).all()) == 1


def _claimed(row):
    from smo_app.services.messaging.outbox_delivery import Claimed

    return Claimed(id=row.id, chat_id=None, payload=row.payload, attempts=1, kind=row.kind)
