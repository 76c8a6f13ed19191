"""X and Z shift reports (PO7) and the admins' sales analytics (PO8), with Excel exports.

X: at any time for the open shift. Z: written when the shift closes and sent to the admins'
Telegram as an Excel document with a short summary, through the outbox.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, select

from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.pos import CashMoveKind, PosCashMove, PosReturn, PosSale, PosShift, ShiftStatus
from smo_app.models.staff import Role, Staff
from smo_app.money import format_money
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.shop_locale import shop_tz
from smo_app.services.messaging import outbox
from smo_app.services.pos import excel
from smo_app.services.pos.drawer import ShiftOut, require_open_shift, shift_out


class ShiftReport(BaseModel):
    kind: str  # x | z
    shift: ShiftOut
    generated_at: datetime
    sales_count: int
    sales_total_minor: int
    cash_minor: int  # cash kept from sales
    card_minor: int
    credit_minor: int  # paid by exchanges' returns
    discounts_minor: int
    manual_discounts_minor: int
    bonus_minor: int
    returns_count: int
    returns_cash_minor: int
    returns_card_minor: int
    returns_credit_minor: int
    cash_in_minor: int
    cash_out_minor: int
    expected_cash_minor: int
    counted_cash_minor: int | None
    difference_minor: int | None
    cash_moves: list[dict]


def build_report(session: Session, shift: PosShift, *, kind: str, now: datetime | None = None) -> ShiftReport:
    now = now or utcnow()
    s = session.exec(select(func.count(PosSale.id), func.coalesce(func.sum(PosSale.total_minor), 0),
                            func.coalesce(func.sum(PosSale.cash_minor), 0), func.coalesce(func.sum(PosSale.card_minor), 0),
                            func.coalesce(func.sum(PosSale.credit_minor), 0),
                            func.coalesce(func.sum(PosSale.discount_minor), 0),
                            func.coalesce(func.sum(PosSale.manual_discount_minor), 0),
                            func.coalesce(func.sum(PosSale.bonus_minor), 0)).where(PosSale.shift_id == shift.id)).one()
    r = session.exec(select(func.count(PosReturn.id), func.coalesce(func.sum(PosReturn.cash_minor), 0),
                            func.coalesce(func.sum(PosReturn.card_minor), 0),
                            func.coalesce(func.sum(PosReturn.credit_minor), 0)).where(PosReturn.shift_id == shift.id)).one()
    moves = session.exec(select(PosCashMove).where(PosCashMove.shift_id == shift.id).order_by(PosCashMove.id)).all()
    out = shift_out(session, shift, now)
    return ShiftReport(
        kind=kind, shift=out, generated_at=now, sales_count=s[0], sales_total_minor=s[1], cash_minor=s[2],
        card_minor=s[3], credit_minor=s[4], discounts_minor=s[5], manual_discounts_minor=s[6], bonus_minor=s[7],
        returns_count=r[0], returns_cash_minor=r[1], returns_card_minor=r[2], returns_credit_minor=r[3],
        cash_in_minor=sum(m.amount_minor for m in moves if m.kind == CashMoveKind.cash_in.value),
        cash_out_minor=sum(m.amount_minor for m in moves if m.kind == CashMoveKind.cash_out.value),
        expected_cash_minor=out.expected_cash_minor, counted_cash_minor=out.counted_cash_minor,
        difference_minor=out.difference_minor,
        cash_moves=[{"kind": m.kind, "amount_minor": m.amount_minor, "reason": m.reason, "actor_name": m.actor_name,
                     "created_at": m.created_at} for m in moves],
    )


def x_report(session: Session, *, actor: Actor, register_id: int, now: datetime | None = None) -> ShiftReport:
    """The open shift so far."""
    require(actor, Perm.pos_sell)
    return build_report(session, require_open_shift(session, register_id), kind="x", now=now)


def shift_report(session: Session, *, actor: Actor, shift_id: int) -> ShiftReport:
    """Z for a closed shift (X for an open one): sellers of the shop, and admins."""
    if not actor.is_system:
        require(actor, Perm.pos_sell)
    shift = session.get(PosShift, shift_id)
    if shift is None:
        raise NotFound("shift", shift_id)
    return build_report(session, shift, kind="z" if shift.status == ShiftStatus.closed.value else "x")


def report_excel(session: Session, *, actor: Actor, shift_id: int, lang: str = "ru") -> bytes:
    return excel.shift_report_xlsx(shift_report(session, actor=actor, shift_id=shift_id), tz=shop_tz(session), lang=lang)


def summary_text(report: ShiftReport, lang: str) -> str:
    m = lambda v: format_money(v or 0, lang=lang)  # noqa: E731
    return t("pos.z.summary", lang, shift=report.shift.id, register=report.shift.register_name,
             seller=report.shift.closed_by_name or report.shift.opened_by_name, count=report.sales_count,
             total=m(report.sales_total_minor), cash=m(report.cash_minor), card=m(report.card_minor),
             returns=m(report.returns_cash_minor + report.returns_card_minor), expected=m(report.expected_cash_minor),
             counted=m(report.counted_cash_minor), diff=m(report.difference_minor))


def queue_z_report(session: Session, *, shift: PosShift, now: datetime) -> None:
    """Inside close_shift's transaction: the Z report as an Excel document to every admin and owner
    with a linked Telegram (the outbox sends it after commit, paced like messages)."""
    report = build_report(session, shift, kind="z", now=now)
    admins = session.exec(select(Staff).where(Staff.is_active, Staff.telegram_id.is_not(None),
                                              Staff.role.in_([Role.owner.value, Role.admin.value]))).all()
    tz = shop_tz(session)
    for admin in admins:
        lang = admin.language
        outbox.enqueue_document(session, chat_id=admin.telegram_id, kind="pos_z_report",
                                filename=f"z-report-{shift.id}.xlsx", content=excel.shift_report_xlsx(report, tz=tz, lang=lang),
                                caption=summary_text(report, lang), parse_mode="plain", staff_id=admin.id,
                                dedupe_key=f"pos_z:{shift.id}:staff{admin.id}")


# --------------------------------------------------------------------------- admins (PO8)

class SellerRow(BaseModel):
    seller_id: int
    seller_name: str
    sales_count: int
    total_minor: int
    discounts_minor: int
    manual_discounts_minor: int
    returns_minor: int


class ShiftRow(BaseModel):
    shift_id: int
    register_name: str
    opened_by_name: str
    opened_at: datetime
    closed_at: datetime | None
    status: str
    overnight: bool
    sales_count: int
    total_minor: int
    discounts_minor: int
    difference_minor: int | None


class SalesAnalytics(BaseModel):
    date_from: date
    date_to: date
    sellers: list[SellerRow]
    shifts: list[ShiftRow]
    total_minor: int
    sales_count: int


def sales_analytics(session: Session, *, actor: Actor, date_from: date, date_to: date, tz=None,
                    now: datetime | None = None) -> SalesAnalytics:
    """Sales per seller and per shift, discounts given by whom, over shop-local dates (inclusive)."""
    require(actor, Perm.analytics_view)
    if date_to < date_from or (date_to - date_from).days > 366:
        raise ValidationFailed("pos.period_invalid", "bad period")
    tz = tz or shop_tz(session)
    start = datetime.combine(date_from, time.min, tz)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tz)
    in_period = (PosSale.created_at >= start, PosSale.created_at < end)
    returns = dict(session.exec(select(PosSale.seller_id, func.sum(PosReturn.goods_minor))
                                .join(PosSale, PosSale.id == PosReturn.sale_id)
                                .where(PosReturn.created_at >= start, PosReturn.created_at < end)
                                .group_by(PosSale.seller_id)).all())
    sellers = [SellerRow(seller_id=row[0], seller_name=row[1], sales_count=row[2], total_minor=row[3],
                         discounts_minor=row[4], manual_discounts_minor=row[5], returns_minor=returns.get(row[0], 0) or 0)
               for row in session.exec(select(PosSale.seller_id, func.max(PosSale.seller_name), func.count(PosSale.id),
                                              func.sum(PosSale.total_minor), func.sum(PosSale.discount_minor),
                                              func.sum(PosSale.manual_discount_minor))
                                       .where(*in_period).group_by(PosSale.seller_id).order_by(PosSale.seller_id)).all()]
    per_shift = {row[0]: row[1:] for row in session.exec(
        select(PosSale.shift_id, func.count(PosSale.id), func.sum(PosSale.total_minor), func.sum(PosSale.discount_minor))
        .where(*in_period).group_by(PosSale.shift_id)).all()}
    shifts_q = select(PosShift).where(PosShift.opened_at < end, (PosShift.closed_at.is_(None)) | (PosShift.closed_at >= start))
    shifts = []
    for sh in session.exec(shifts_q.order_by(PosShift.id)).all():
        out = shift_out(session, sh, now)
        count, total, disc = per_shift.get(sh.id, (0, 0, 0))
        shifts.append(ShiftRow(shift_id=sh.id, register_name=out.register_name, opened_by_name=sh.opened_by_name,
                               opened_at=sh.opened_at, closed_at=sh.closed_at, status=sh.status, overnight=out.overnight,
                               sales_count=count, total_minor=total or 0, discounts_minor=disc or 0,
                               difference_minor=out.difference_minor))
    return SalesAnalytics(date_from=date_from, date_to=date_to, sellers=sellers, shifts=shifts,
                          total_minor=sum(s.total_minor for s in sellers), sales_count=sum(s.sales_count for s in sellers))


def analytics_excel(session: Session, *, actor: Actor, date_from: date, date_to: date, lang: str = "ru") -> bytes:
    return excel.analytics_xlsx(sales_analytics(session, actor=actor, date_from=date_from, date_to=date_to),
                                tz=shop_tz(session), lang=lang)


__all__ = ["ShiftReport", "SalesAnalytics", "analytics_excel", "build_report", "queue_z_report",
           "report_excel", "sales_analytics", "shift_report", "summary_text", "x_report"]
