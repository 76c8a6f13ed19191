"""The weekly owner digest in Telegram: last week (Monday–Sunday, shop time) against the week
before, in each owner's language, with last week's P&L file attached. Queued once per week and
owner (outbox dedupe keys); the sidecar's scheduler runs it on Monday morning under a lease.
"""
from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from smo_app import formats
from smo_app.i18n import t
from smo_app.models.staff import Role, Staff
from smo_app.money import format_money
from smo_app.services.analytics import excel, pnl, summary
from smo_app.services.analytics.periods import Period, revenue_total
from smo_app.services.messaging import outbox


def digest_weeks(today: date) -> tuple[Period, Period]:
    """(last week, the week before), Monday to Sunday, for a shop-local ``today``."""
    this_monday = today - timedelta(days=today.weekday())
    last = Period(this_monday - timedelta(days=7), this_monday - timedelta(days=1))
    return last, last.shifted(-7)


def _change(current: int, previous: int, lang: str = "ru") -> str:
    if not previous:
        return "—"
    pct = (current - previous) * 100 / abs(previous)
    return formats.percent(pct, lang, signed=True)


def digest_text(session: Session, *, tz: ZoneInfo, today: date, lang: str) -> str:
    last, before = digest_weeks(today)
    figures = {}
    for name, period in (("last", last), ("before", before)):
        total = revenue_total(session, tz, period)
        p = pnl.compute_summary(session, tz, period)
        figures[name] = {
            "revenue": total.revenue_minor, "orders": total.orders, "check": total.average_check_minor,
            "profit": p.gross_profit_minor, "customers": summary.new_customers(session, tz, period),
        }
    cur, prev = figures["last"], figures["before"]

    def money(v: int) -> str:
        return format_money(v, lang=lang)

    def change(key: str) -> str:
        return _change(cur[key], prev[key], lang)

    return t("analytics.digest", lang, start=formats.day(last.date_from, lang), end=formats.day(last.date_to, lang),
             revenue=money(cur["revenue"]), revenue_prev=money(prev["revenue"]), revenue_change=change("revenue"),
             orders=cur["orders"], orders_prev=prev["orders"], orders_change=change("orders"),
             check=money(cur["check"]), check_prev=money(prev["check"]), check_change=change("check"),
             profit=money(cur["profit"]), profit_prev=money(prev["profit"]), profit_change=change("profit"),
             customers=cur["customers"], customers_prev=prev["customers"], customers_change=change("customers"))


def weekly_pnl_file(session: Session, *, tz: ZoneInfo, today: date, lang: str) -> tuple[str, bytes]:
    """Last week's P&L workbook: ``(filename, bytes)`` for the digest's attachment."""
    last, _ = digest_weeks(today)
    content = excel.pnl_file(pnl.compute_summary(session, tz, last), pnl.order_details(session, tz, last),
                             pnl.write_off_details(session, tz, last), pnl.return_details(session, tz, last), lang=lang)
    return f"pnl_{last.date_from.isoformat()}_{last.date_to.isoformat()}.xlsx", content


def weekly_digest(session: Session, *, today: date, tz: ZoneInfo) -> list[int]:
    """Queue the digest for every active owner with a linked Telegram account. Returns the ids of
    the owners queued now (an owner already queued for that week is skipped). Commits."""
    last, _ = digest_weeks(today)
    owners = session.exec(select(Staff).where(Staff.is_active, Staff.telegram_id.is_not(None),
                                              Staff.role == Role.owner.value).order_by(Staff.id)).all()
    texts: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    queued = []
    for owner in owners:
        lang = owner.language or "ru"
        if lang not in texts:
            texts[lang] = digest_text(session, tz=tz, today=today, lang=lang)
        key = f"weekly_digest:{last.date_from.isoformat()}:staff{owner.id}"
        row = outbox.enqueue_message(session, kind="weekly_digest", chat_id=owner.telegram_id, staff_id=owner.id,
                                     text=texts[lang], dedupe_key=key)
        if row is None:
            continue
        if lang not in files:
            files[lang] = weekly_pnl_file(session, tz=tz, today=today, lang=lang)
        filename, content = files[lang]
        outbox.enqueue_document(session, chat_id=owner.telegram_id, kind="weekly_pnl", staff_id=owner.id,
                                filename=filename, content=content, caption=t("analytics.digest_file", lang),
                                dedupe_key=f"{key}:pnl")
        queued.append(owner.id)
    session.commit()
    return queued
