"""APScheduler jobs of the sidecar. Each job takes a lease first (two sidecars: one runs it) and is
idempotent on its own (conditional updates + outbox dedupe keys), so a rerun sends nothing twice.

* auto_cancel     every minute: smo_app.services.sales.orders.auto_cancel_unpaid (commerce)
* abandoned_carts every 10 minutes: reminders 24 h after the last cart change, 10:00–21:00 only
* new_order_alerts every 30 s: "new order" to owners/admins/managers, once per order (CO6)
* daily_summary   21:05 shop time: summary for owners/admins
* weekly_digest   Monday 09:00 shop time: last week vs the week before to owners, P&L file attached
* reconcile_payments every 5 minutes: ask providers about payments pending too long (payments)
* moysklad_incremental every 5 minutes: what changed in MoySklad (and notifications left unapplied),
  then orders MoySklad does not show as they are here; moysklad_full 04:30 shop time: everything
* daily_backup    every 5 minutes: the owner's daily backup once a shop-time day, at or after the
  time they set (smo_app.services.backup.runs.daily_backup; unique per day)
* booking_holds   every minute: credit deposits the provider took, free slots held for a deposit that
  did not come, pass waitlist offers
  not taken in time to the next in line (smo_app.services.bookings)
* booking_reminders every 5 minutes: the morning-of and hour-before reminders, providers' day schedules
* support_timeouts every minute: escalated tickets nobody answered in the owner's minutes → admins
  alerted once; support_idle every 10 minutes: a day without an operator's word → back to the
  assistant; support_summary 21:10 shop time: the day's support to the owner (services.support.jobs)
* analytics_rollup every 10 minutes: close yesterday in the daily analytics rollup and recompute the
  days changed since they were rolled up (PostgreSQL; smo_app.services.analytics.rollup.refresh)
Back-in-stock notices are queued by the commerce services; the outbox sender delivers them.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlmodel import Session

from smo_app.models.base import utcnow
from smo_app.services.analytics import rollup as analytics_rollup
from smo_app.services.analytics.digest import weekly_digest
from smo_app.services.backup import runs as backup_runs
from smo_app.services.bookings import booking as bookings, deposits as booking_deposits, reminders as booking_reminders, waitlist
from smo_app.services.core import leases, shop_locale
from smo_app.services.core.actor import Actor
from smo_app.services.erp import jobs as erp_jobs
from smo_app.services.messaging import staff_alerts
from smo_app.services.payments import reconcile as payments_reconcile
from smo_app.services.sales.cart_reminders import abandoned_cart_reminders
from smo_app.services.sales.orders import auto_cancel_unpaid
from smo_app.services.support import jobs as support_jobs
from smo_app.settings import Settings

log = logging.getLogger("bot_sidecar.scheduler")


class Jobs:
    """The job bodies, callable directly in tests with an injected clock."""

    def __init__(self, settings: Settings, session_factory: Callable[[], Session], *, holder: str,
                 clock: Callable[[], datetime] = utcnow, report: Callable[[BaseException, str], None] | None = None) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.holder = holder
        self.clock = clock
        self.report = report  # a failing job's error to the owner (the sidecar's seam), with the job's name

    def _leased(self, name: str, ttl: float, body: Callable[[Session, datetime], object]):
        now = self.clock()
        with self.session_factory() as session:
            if not leases.acquire(session, name=f"job:{name}", holder=self.holder, ttl_seconds=ttl, now=now):
                log.debug("job %s: another sidecar holds the lease", name)
                return None
            return body(session, now)

    def auto_cancel(self) -> list[int] | None:
        def body(session: Session, now: datetime):
            ids = auto_cancel_unpaid(session, now=now, actor=Actor.system("auto-cancel"))
            if ids:
                log.info("auto-cancelled unpaid orders %s", ids)
            return ids

        return self._leased("auto_cancel", 50, body)

    def shop_tz(self) -> ZoneInfo:
        """The shop's time zone now (the owner may change it on the settings page)."""
        with self.session_factory() as session:
            return shop_locale.shop_tz(session)

    def abandoned_carts(self) -> list[int] | None:
        return self._leased("abandoned_carts", 540, lambda s, now: abandoned_cart_reminders(
            s, tz=shop_locale.shop_tz(s), public_url=self.settings.public_url, now=now))

    def new_order_alerts(self) -> list[int] | None:
        return self._leased("new_order_alerts", 25, lambda s, now: staff_alerts.new_order_alerts(s, now=now))

    def daily_summary(self) -> int | None:
        def body(session: Session, now: datetime):
            shop = shop_locale.shop_locale(session)
            return staff_alerts.daily_summary(session, day=now.astimezone(shop.tz).date(), tz=shop.tz, lang=shop.language)

        return self._leased("daily_summary", 3000, body)

    def weekly_digest(self) -> list[int] | None:
        def body(session: Session, now: datetime):
            tz = shop_locale.shop_tz(session)
            return weekly_digest(session, today=now.astimezone(tz).date(), tz=tz)

        return self._leased("weekly_digest", 3000, body)

    def reconcile_payments(self):
        return self._leased("reconcile_payments", 270, lambda s, now: payments_reconcile.reconcile_pending(
            s, now=now, settings=self.settings))

    def moysklad_incremental(self):
        return self._leased("moysklad_incremental", 270, lambda s, now: erp_jobs.incremental(s, now=now,
                                                                                              holder=self.holder))

    def moysklad_full(self):
        return self._leased("moysklad_full", 3000, lambda s, now: erp_jobs.full(s, now=now, holder=self.holder))

    def daily_backup(self):
        return self._leased("daily_backup", 1800, lambda s, now: backup_runs.daily_backup(s, now=now))

    def booking_holds(self) -> tuple[int, int] | None:
        def body(session: Session, now: datetime):
            actor = Actor.system("booking-holds")
            booking_deposits.poll_started(session, actor=actor, now=now)  # paid ones are kept, not freed
            return (bookings.expire_holds(session, actor=actor, now=now),
                    waitlist.expire_offers(session, actor=actor, now=now))

        return self._leased("booking_holds", 50, body)

    def booking_reminders(self) -> list[int] | None:
        return self._leased("booking_reminders", 270, lambda s, now: booking_reminders.queue_reminders(s, now=now))

    def analytics_rollup(self):
        return self._leased("analytics_rollup", 540, lambda s, now: analytics_rollup.refresh(s, now=now))

    def support_timeouts(self):
        return self._leased("support_timeouts", 50, lambda s, now: support_jobs.operator_timeouts(s, now=now))

    def support_idle(self):
        return self._leased("support_idle", 540, lambda s, now: support_jobs.idle_back_to_ai(s, now=now))

    def support_summary(self):
        def body(session: Session, now: datetime):
            tz = shop_locale.shop_tz(session)
            return support_jobs.daily_summary(session, day=now.astimezone(tz).date(), tz=tz)

        return self._leased("support_summary", 3000, body)


CLOCK_JOBS = {"daily_summary": {"hour": 21, "minute": 5},  # shop time: they follow the owner's time zone
              "support_summary": {"hour": 21, "minute": 10},
              "weekly_digest": {"day_of_week": "mon", "hour": 9, "minute": 0},
              "moysklad_full": {"hour": 4, "minute": 30}}


def create_scheduler(jobs: Jobs) -> AsyncIOScheduler:
    tz = jobs.shop_tz()
    scheduler = AsyncIOScheduler(timezone=tz, job_defaults={"coalesce": True, "max_instances": 1,
                                                            "misfire_grace_time": 300})
    first = datetime.now(tz) + timedelta(seconds=5)
    scheduler.add_job(_safe(jobs.auto_cancel, jobs.report), "interval", minutes=1, id="auto_cancel", name="auto_cancel", next_run_time=first)
    scheduler.add_job(_safe(jobs.abandoned_carts, jobs.report), "interval", minutes=10, id="abandoned_carts", name="abandoned_carts", next_run_time=first)
    scheduler.add_job(_safe(jobs.new_order_alerts, jobs.report), "interval", seconds=30, id="new_order_alerts", name="new_order_alerts", next_run_time=first)
    scheduler.add_job(_safe(jobs.reconcile_payments, jobs.report), "interval", minutes=5, id="reconcile_payments",
                      name="reconcile_payments", next_run_time=first)
    scheduler.add_job(_safe(jobs.moysklad_incremental, jobs.report), "interval", minutes=5, id="moysklad_incremental",
                      name="moysklad_incremental", next_run_time=first)
    scheduler.add_job(_safe(jobs.daily_backup, jobs.report), "interval", minutes=5, id="daily_backup", name="daily_backup",
                      next_run_time=first)
    scheduler.add_job(_safe(jobs.booking_holds, jobs.report), "interval", minutes=1, id="booking_holds",
                      name="booking_holds", next_run_time=first)
    scheduler.add_job(_safe(jobs.booking_reminders, jobs.report), "interval", minutes=5, id="booking_reminders",
                      name="booking_reminders", next_run_time=first)
    scheduler.add_job(_safe(jobs.analytics_rollup, jobs.report), "interval", minutes=10, id="analytics_rollup",
                      name="analytics_rollup", next_run_time=first)
    scheduler.add_job(_safe(jobs.support_timeouts, jobs.report), "interval", minutes=1, id="support_timeouts",
                      name="support_timeouts", next_run_time=first)
    scheduler.add_job(_safe(jobs.support_idle, jobs.report), "interval", minutes=10, id="support_idle",
                      name="support_idle", next_run_time=first)
    for name, when in CLOCK_JOBS.items():
        scheduler.add_job(_safe(getattr(jobs, name), jobs.report), CronTrigger(timezone=tz, **when), id=name, name=name)
    follow = _safe(lambda: follow_shop_timezone(scheduler, jobs))
    follow.__name__ = "follow_shop_timezone"
    scheduler.add_job(follow, "interval", minutes=1, id="follow_shop_timezone", name="follow_shop_timezone")
    return scheduler


def follow_shop_timezone(scheduler: AsyncIOScheduler, jobs: Jobs) -> bool:
    """The owner changed the shop's time zone: the shop-time jobs move to the new clock (True)."""
    tz = jobs.shop_tz()
    current = scheduler.get_job("daily_summary")
    if current is None or str(current.trigger.timezone) == str(tz):
        return False
    for name, when in CLOCK_JOBS.items():
        scheduler.reschedule_job(name, trigger=CronTrigger(timezone=tz, **when))
    log.info("shop time zone is now %s: shop-time jobs rescheduled", tz)
    return True


def _safe(fn: Callable[[], object], report: Callable[[BaseException, str], None] | None = None) -> Callable[[], None]:
    def run() -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - a failing job is logged and reported; the next run tries again
            log.exception("scheduled job %s failed", fn.__name__)
            if report is not None:
                try:
                    report(exc, f"job {fn.__name__}")
                except Exception:  # noqa: BLE001 - reporting must never break the scheduler
                    log.exception("could not report the failure of job %s", fn.__name__)

    run.__name__ = fn.__name__
    return run
