"""Scheduler jobs with an injected clock: abandoned carts (24 h, 10:00–21:00, once per cart, two
sidecars → one reminder), auto-cancel of unpaid orders, the daily summary."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot_sidecar.scheduler import Jobs, create_scheduler, follow_shop_timezone
from smo_app.services.core import shop_config
from smo_app.models.carts import Cart
from smo_app.models.orders import Order
from smo_app.models.outbox import Outbox
from smo_app.models.staff import Role, Staff
from tests.commerce_factories import fill_cart, make_product, place, variant_id
from tests.factories import make_customer, make_staff

MSK = ZoneInfo("Europe/Moscow")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=MSK)


@pytest.fixture
def cart_at(session):
    """A customer whose cart (one item) was last changed at ``when``."""
    vid = variant_id(make_product(session, qty=10, cross_sell=[]))

    def make(when: datetime):
        customer = make_customer(session)
        fill_cart(session, customer.id, {vid: 1})
        cart = session.exec(select(Cart).where(Cart.customer_id == customer.id)).one()
        cart.updated_at = when
        session.add(cart)
        session.commit()
        ids = (customer.id, customer.telegram_id)
        session.rollback()  # SQLite: no transaction left open while the jobs write
        return ids

    return make


def _jobs(settings, session_factory, holder, clock):
    return Jobs(settings, session_factory, holder=holder, clock=lambda: clock[0])


def _reminders(session):
    rows = session.exec(select(Outbox).where(Outbox.kind == "abandoned_cart")).all()
    for row in rows:
        session.expunge(row)
    session.rollback()
    return rows


def test_abandoned_cart_reminder_after_24h_only_in_shop_hours_once(settings, session_factory, session, cart_at):
    # given a cart last changed at 09:00 shop time on the 10th
    _, telegram_id = cart_at(local(10, 9))
    clock = [local(11, 8, 59)]
    jobs = _jobs(settings, session_factory, "one", clock)
    # when the job runs before 24 h have passed
    assert jobs.abandoned_carts() == []
    # and at 09:30 the next day (24 h passed, but before 10:00)
    clock[0] = local(11, 9, 30)
    assert jobs.abandoned_carts() == []
    assert _reminders(session) == []
    # when it runs at 10:00 shop time
    clock[0] = local(11, 10, 0)
    assert len(jobs.abandoned_carts()) == 1
    # then one reminder is queued to the customer, in their language, with the cart button
    [row] = _reminders(session)
    assert row.chat_id == telegram_id and "корзине" in row.payload["text"]
    assert row.payload["buttons"][0][0]["web_app"] == "https://shop.example/cart"
    # and later runs send nothing more for that cart
    clock[0] = local(11, 18)
    assert jobs.abandoned_carts() == []
    assert len(_reminders(session)) == 1


def test_no_reminders_from_21_00(settings, session_factory, session, cart_at):
    # given a cart idle for two days
    cart_at(local(9, 12))
    clock = [local(11, 21, 0)]
    jobs = _jobs(settings, session_factory, "one", clock)
    # when the job runs at 21:00 and at 23:30 / then nothing; the next morning at 10:05 it is sent
    assert jobs.abandoned_carts() == []
    clock[0] = local(11, 23, 30)
    assert jobs.abandoned_carts() == []
    clock[0] = local(12, 10, 5)
    assert len(jobs.abandoned_carts()) == 1


def test_two_sidecars_send_one_reminder(settings, session_factory, session, cart_at):
    # given three abandoned carts and two sidecars whose jobs fire at the same moment
    for _ in range(3):
        cart_at(local(10, 12))
    clock = [local(11, 12, 5)]
    a, b = _jobs(settings, session_factory, "sidecar-a", clock), _jobs(settings, session_factory, "sidecar-b", clock)
    results = {}
    barrier = threading.Barrier(2)

    def fire(name, jobs):
        barrier.wait()
        results[name] = jobs.abandoned_carts()

    threads = [threading.Thread(target=fire, args=(n, j)) for n, j in (("a", a), ("b", b))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    # then exactly one of them ran it (the other found the lease taken) and each cart got one reminder
    assert sorted(len(r) if r is not None else -1 for r in results.values()) == [-1, 3]
    assert len(_reminders(session)) == 3
    # and even when the lease has expired, the other sidecar's run finds nothing left to remind
    clock[0] = local(11, 12, 35)
    assert b.abandoned_carts() == [] and a.abandoned_carts() is None
    assert len(_reminders(session)) == 3


def test_auto_cancel_job_uses_the_commerce_service_once(settings, session_factory, session):
    # given an unpaid storefront order placed 20 minutes ago (auto-cancel after 15)
    vid = variant_id(make_product(session, qty=5, cross_sell=[]))
    customer = make_customer(session)
    t0 = datetime.now(MSK) - timedelta(minutes=20)
    order = place(session, customer.id, {vid: 1}, now=t0)
    session.commit()
    clock = [datetime.now(MSK)]
    a, b = _jobs(settings, session_factory, "a", clock), _jobs(settings, session_factory, "b", clock)
    # when both sidecars' jobs run
    assert a.auto_cancel() == [order.id]
    assert b.auto_cancel() is None  # lease held by a
    # then the order is cancelled and a second run changes nothing
    clock[0] += timedelta(minutes=2)
    assert b.auto_cancel() == []
    session.expire_all()
    assert session.get(Order, order.id).status == "cancelled"


def test_daily_summary_is_sent_once_per_day(settings, session_factory, session):
    # given an owner linked to Telegram
    owner = session.get(Staff, make_staff(session, Role.owner).id)
    owner.telegram_id = 9001
    session.add(owner)
    session.commit()
    session.rollback()
    clock = [local(11, 21, 5)]
    # when the summary job runs twice (a restart, or the other sidecar after the lease expired)
    assert _jobs(settings, session_factory, "a", clock).daily_summary() == 1
    clock[0] = local(11, 22, 30)
    assert _jobs(settings, session_factory, "b", clock).daily_summary() == 0
    # then one message per staff member and day
    rows = session.exec(select(Outbox).where(Outbox.kind == "daily_summary")).all()
    assert len(rows) == 1 and "11.11.2026" in rows[0].payload["text"] and rows[0].chat_id == 9001
    assert "Заказов: 0 · сумма: 0\u00a0₽" in rows[0].payload["text"]


def test_daily_summary_speaks_the_owners_language_and_counts_the_days_orders(session):
    from smo_app.services.messaging.staff_alerts import daily_summary

    # given an English-speaking owner linked to Telegram and an order of 1,000 ₽ placed today
    owner = session.get(Staff, make_staff(session, Role.owner).id)
    owner.telegram_id = 9002
    owner.language = "en"
    session.add(owner)
    session.commit()
    vid = variant_id(make_product(session, price_minor=100000, qty=5))
    customer = make_customer(session)
    place(session, customer.id, {vid: 1})
    tz = ZoneInfo("Europe/Moscow")
    # when the summary of today is built (in a Russian-speaking shop)
    assert daily_summary(session, day=datetime.now(tz).date(), tz=tz, lang="ru") == 1
    # then it is in English and counts that order
    text = session.exec(select(Outbox).where(Outbox.kind == "daily_summary")).one().payload["text"]
    assert text.startswith("📊 Summary") and "Orders: 1 · total: 1,000\u00a0₽" in text


def test_scheduler_registers_the_jobs(settings, session_factory):
    jobs = Jobs(settings, session_factory, holder="x")
    scheduler = create_scheduler(jobs)
    assert {j.id for j in scheduler.get_jobs()} == {"auto_cancel", "abandoned_carts", "new_order_alerts",
                                                    "daily_summary", "weekly_digest", "reconcile_payments",
                                                    "follow_shop_timezone", "moysklad_incremental", "moysklad_full", "daily_backup",
                                                    "booking_holds", "booking_reminders", "analytics_rollup",
                                                    "support_timeouts", "support_idle", "support_summary"}


def test_shop_time_jobs_follow_the_time_zone_the_owner_sets(settings, session_factory, session):
    # given the sidecar's scheduler on the environment's time zone (Moscow)
    jobs = Jobs(settings, session_factory, holder="x")
    scheduler = create_scheduler(jobs)
    assert str(scheduler.get_job("daily_summary").trigger.timezone) == "Europe/Moscow"
    assert follow_shop_timezone(scheduler, jobs) is False  # nothing changed: nothing moves
    # when the owner sets the shop's time zone to Vladivostok on the settings page
    owner = make_staff(session, Role.owner)
    shop_config.update_config(session, actor=owner.actor(), changes={"shop_timezone": "Asia/Vladivostok"})
    # then the daily summary and the weekly digest move to Vladivostok's clock, at the same hours
    assert follow_shop_timezone(scheduler, jobs) is True
    for name, hour in (("daily_summary", "21"), ("weekly_digest", "9")):
        trigger = scheduler.get_job(name).trigger
        assert str(trigger.timezone) == "Asia/Vladivostok" and f"hour='{hour}'" in str(trigger)


def test_new_order_alerts_reach_staff_once(settings, session_factory, session):
    # given a manager linked to Telegram and a new storefront order
    manager = session.get(Staff, make_staff(session, Role.manager).id)
    manager.telegram_id = 9002
    session.add(manager)
    session.commit()
    vid = variant_id(make_product(session, qty=5, cross_sell=[]))
    customer = make_customer(session, full_name="Olga")
    order = place(session, customer.id, {vid: 2})
    session.commit()
    clock = [datetime.now(MSK) + timedelta(seconds=5)]
    # when the alert job runs, then runs again in the other sidecar after the lease expired
    assert _jobs(settings, session_factory, "a", clock).new_order_alerts() == [order.id]
    clock[0] += timedelta(minutes=1)
    assert _jobs(settings, session_factory, "b", clock).new_order_alerts() == []
    # then the manager got one alert with the order number, total and customer
    rows = session.exec(select(Outbox).where(Outbox.kind == "new_order")).all()
    assert len(rows) == 1 and rows[0].chat_id == 9002
    assert f"№{order.id}" in rows[0].payload["text"] and "Olga" in rows[0].payload["text"]


def test_payment_failed_alert_helper(session):
    from smo_app.services.messaging.staff_alerts import alert_payment_failed

    owner = session.get(Staff, make_staff(session, Role.owner).id)
    owner.telegram_id = 9003
    session.add(owner)
    session.commit()
    assert alert_payment_failed(session, order_id=5, reason="card declined", attempt_key="pi_1") == 1
    assert alert_payment_failed(session, order_id=5, reason="card declined", attempt_key="pi_1") == 0
    session.commit()
    [row] = session.exec(select(Outbox).where(Outbox.kind == "payment_failed")).all()
    assert "№5" in row.payload["text"] and "card declined" in row.payload["text"]


def test_a_failing_job_is_reported_to_the_owner_with_its_name():
    from bot_sidecar.scheduler import _safe

    reported = []

    def moysklad_full():
        raise RuntimeError("MoySklad answered 500")

    _safe(moysklad_full, lambda exc, where: reported.append((str(exc), where)))()  # does not raise
    assert reported == [("MoySklad answered 500", "job moysklad_full")]
