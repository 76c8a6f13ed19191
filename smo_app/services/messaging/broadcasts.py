"""Broadcasts (CO4): create, preview, start, pause, resume, cancel, progress.

Starting a broadcast materialises one outbox row per recipient (dedupe key
``bcast:{id}:{customer_id}``) in the same transaction, so a restart never sends twice and never
forgets anyone; the sidecar's paced sender delivers them and skips rows of paused broadcasts.

A *paid* broadcast (Bot API ``allow_paid_broadcast``) goes at up to :data:`PAID_RATE` messages a
second instead of the free ~30, each message costing 0.1 Star from the bot's balance: the page shows
its cost (:func:`paid_quote`) and the bot's balance (``ports.telegram_stars``), and starting it is
refused while the balance is below the cost.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, func, select

from smo_app.models.base import utcnow
from smo_app.models.broadcast import Broadcast, BroadcastStatus, Segment
from smo_app.models.customer import Customer, CustomerKind
from smo_app.models.outbox import Outbox, OutboxStatus
from smo_app.models.staff import Staff
from integrations.ports.telegram_stars import NANOSTARS_PER_STAR, StarBalance
from smo_app.services.core import audit, ports
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.messaging import outbox
from smo_app.services.messaging.outbox import BROADCAST_KIND, enqueue_message
from smo_app.services.messaging.presence import sidecar_status
from smo_app.services.messaging.telegram_html import html_problem
from smo_app.settings import get_settings
from smo_app.models.orders import Order

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_SEGMENT_DAYS = 3650
PAID_RATE = 1000.0  # messages per second Telegram allows a paid broadcast
NANOSTARS_PER_MESSAGE = NANOSTARS_PER_STAR // 10  # 0.1 Star per paid message
CANCELLED_NOTE = "broadcast cancelled"  # an unsent recipient's row: expired (not sent), never "blocked"

# What staff may do with a broadcast in each status (the page's buttons and the bot's keyboard read this).
_ACTIONS: dict[str, tuple[str, ...]] = {
    BroadcastStatus.draft: ("start", "cancel"),
    BroadcastStatus.running: ("pause", "cancel"),
    BroadcastStatus.paused: ("resume", "cancel"),
}


def allowed_broadcast_actions(status: str) -> tuple[str, ...]:
    """The actions a broadcast in ``status`` allows: a subset of start, pause, resume, cancel."""
    return _ACTIONS.get(status, ())


def parse_segment_days(value: object) -> int | None:
    """The "new in N days" segment's N from form or command text: blank → None, else 1..3650."""
    raw = str(value if value is not None else "").strip()
    if not raw:
        return None
    if not (raw.isdigit() and 1 <= int(raw) <= MAX_SEGMENT_DAYS):
        raise ValidationFailed("broadcast.days_invalid", f"days {raw!r}", max=MAX_SEGMENT_DAYS)
    return int(raw)


class BroadcastOut(BaseModel):
    id: int
    status: str
    segment: str
    segment_days: int | None
    text: str | None
    photo: str | None
    button_text: str | None
    button_url: str | None
    total: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    paid: bool = False
    stars_cost: int | None = None


def stars_for(recipients: int) -> int:
    """What a paid broadcast to ``recipients`` costs, in whole Stars rounded up (0.1 Star each)."""
    return -(-recipients * NANOSTARS_PER_MESSAGE // NANOSTARS_PER_STAR)


class PaidQuote(BaseModel):
    """A paid broadcast's cost against the bot's balance (``balance_nanostars`` None: unavailable —
    no bot connected, or Telegram did not answer)."""

    recipients: int
    stars: int
    balance_nanostars: int | None = None

    @property
    def enough(self) -> bool:
        """The balance covers the cost as shown (whole Stars, rounded up)."""
        return self.balance_nanostars is not None and self.balance_nanostars >= self.stars * NANOSTARS_PER_STAR


class BroadcastProgress(BaseModel):
    broadcast_id: int
    status: str
    total: int
    sent: int
    failed: int  # dead letters (gave up after retries)
    blocked: int  # recipient blocked the bot / deactivated
    cancelled: int = 0  # not sent: the broadcast was cancelled before their turn
    left: int  # still to send (pending, retrying, in flight)
    eta_seconds: int | None  # None when not running, or when no online bot sidecar would send it
    waiting_for_bot: bool = False  # running with messages left, but the sidecar is offline or not running


def payload_of(b: Broadcast | BroadcastOut) -> dict:
    """The broadcast as one outbox-shaped message (what every recipient gets; the bot's preview)."""
    buttons = [[{"text": b.button_text, "url": b.button_url}]] if b.button_text and b.button_url else None
    return {"text": b.text, "photo": b.photo, "buttons": buttons}


def create_broadcast(
    session: Session,
    *,
    actor: Actor,
    text: str | None = None,
    photo: str | None = None,
    button_text: str | None = None,
    button_url: str | None = None,
    segment: str | Segment = Segment.all,
    segment_days: int | str | None = None,
    paid: bool = False,
) -> BroadcastOut:
    """``segment_days``: the "new in N days" segment's N, a number or as typed (see :func:`parse_segment_days`);
    ``paid``: send it as a paid broadcast (faster, costs Stars)."""
    require(actor, Perm.broadcasts_manage)
    if isinstance(segment_days, str):
        segment_days = parse_segment_days(segment_days)
    text = (text or "").strip() or None
    photo = (photo or "").strip() or None
    if not text and not photo:
        raise ValidationFailed("broadcast.empty", "a broadcast needs text or a photo")
    if text and len(text) > (MAX_CAPTION if photo else MAX_TEXT):
        raise ValidationFailed("broadcast.too_long", "text too long", max=MAX_CAPTION if photo else MAX_TEXT)
    problem = html_problem(text) if text else None
    if problem:
        raise ValidationFailed("broadcast.html_invalid", f"not Telegram HTML near {problem!r}", near=problem)
    if bool(button_text) != bool(button_url):
        raise ValidationFailed("broadcast.button_incomplete", "button needs both text and url")
    if button_url and not button_url.startswith(("https://", "http://", "tg://")):
        raise ValidationFailed("broadcast.button_url_invalid", "bad button url")
    try:
        segment = Segment(segment)
    except ValueError as exc:
        raise ValidationFailed("broadcast.segment_invalid", f"unknown segment {segment!r}") from exc
    if segment_days is not None and not 1 <= segment_days <= MAX_SEGMENT_DAYS:
        raise ValidationFailed("broadcast.days_invalid", f"days {segment_days}", max=MAX_SEGMENT_DAYS)
    if segment == Segment.new and not segment_days:
        raise ValidationFailed("broadcast.days_required", "segment 'new' needs days > 0")
    b = Broadcast(
        created_by_kind=actor.kind, created_by_id=actor.id, text=text, photo=photo,
        button_text=button_text or None, button_url=button_url or None, segment=segment,
        segment_days=segment_days if segment == Segment.new else None, paid=bool(paid),
    )
    session.add(b)
    session.flush()
    audit.record(session, actor=actor, action="broadcast.create", entity="broadcast", entity_id=b.id,
                 after={"segment": segment, "days": b.segment_days, "photo": bool(photo), "paid": b.paid})
    session.commit()
    return _out(b)


def audience_query(segment: str, segment_days: int | None, now: datetime):
    """Customer ids of a segment: reachable customers with a Telegram chat."""
    q = select(Customer.id, Customer.telegram_id).where(Customer.telegram_id.is_not(None),
                                                        Customer.unreachable.is_(False))
    if segment == Segment.new:
        q = q.where(Customer.first_seen_at >= now - timedelta(days=segment_days or 0))
    elif segment == Segment.wholesale:
        q = q.where(Customer.kind == CustomerKind.wholesale)
    elif segment == Segment.with_orders:
        q = q.where(Customer.id.in_(select(Order.customer_id).where(Order.customer_id.is_not(None))))
    return q.order_by(Customer.id)


def set_broadcast_paid(session: Session, *, actor: Actor, broadcast_id: int, paid: bool) -> BroadcastOut:
    """Choose a draft's way of sending: paid (faster, costs Stars) or free. Audited."""
    require(actor, Perm.broadcasts_manage)
    b = _get(session, broadcast_id)
    if "start" not in allowed_broadcast_actions(b.status):
        session.rollback()
        raise DomainError("broadcast.not_draft", f"broadcast {b.id} is {b.status}", status=b.status)
    paid = bool(paid)
    if b.paid != paid:
        # conditional: a start meanwhile wins (a running broadcast keeps the way it started with)
        result = session.execute(
            update(Broadcast).where(Broadcast.id == b.id, Broadcast.status == BroadcastStatus.draft).values(paid=paid)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            session.rollback()
            raise DomainError("broadcast.not_draft", "started meanwhile", status=BroadcastStatus.running)
        audit.record(session, actor=actor, action="broadcast.paid", entity="broadcast", entity_id=b.id,
                     before={"paid": b.paid}, after={"paid": paid})
    session.commit()
    return _out(_get(session, broadcast_id))


def star_balance() -> StarBalance | None:
    """The bot's Stars balance now (None: no bot connected, or Telegram did not answer). Call it
    with no transaction open: it asks Telegram."""
    port = ports.telegram_stars()
    return port.star_balance() if port is not None else None


def paid_quote(session: Session, *, actor: Actor, broadcast_id: int, now: datetime | None = None,
               with_balance: bool = True) -> PaidQuote:
    """What the broadcast would cost as a paid one, sent now, and (``with_balance``) the bot's balance."""
    require(actor, Perm.broadcasts_manage)
    b = _get(session, broadcast_id)
    recipients = b.total if b.status != BroadcastStatus.draft else _audience_size(session, b, now or utcnow())
    session.rollback()  # nothing held while Telegram answers
    balance = star_balance() if with_balance else None
    return PaidQuote(recipients=recipients, stars=stars_for(recipients),
                     balance_nanostars=balance.nanostars if balance is not None else None)


def _audience_size(session: Session, b: Broadcast, now: datetime) -> int:
    return session.exec(select(func.count()).select_from(audience_query(b.segment, b.segment_days, now).subquery())).one()


def start_broadcast(session: Session, *, actor: Actor, broadcast_id: int, now: datetime | None = None) -> BroadcastProgress:
    """Materialise the recipients and let the sender go. A paid broadcast first asks Telegram for the
    bot's balance (before any lock) and is refused — nothing changes — when it is below the cost
    (``broadcast.stars_short``) or unknown (``broadcast.stars_unavailable``)."""
    require(actor, Perm.broadcasts_manage)
    now = now or utcnow()
    balance = None
    if _get(session, broadcast_id).paid:
        session.rollback()  # nothing held while Telegram answers
        balance = star_balance()
        if balance is None:
            raise DomainError("broadcast.stars_unavailable", "the bot's Stars balance is unavailable")
    b = _get(session, broadcast_id, lock=True)  # two starts at once: the second waits, then sees it running
    if "start" not in allowed_broadcast_actions(b.status):
        session.rollback()
        raise DomainError("broadcast.not_draft", f"broadcast {b.id} is {b.status}", status=b.status)
    if b.paid and balance is None:  # made paid after the read above
        session.rollback()
        raise DomainError("broadcast.not_draft", "changed meanwhile", status=b.status)
    payload = payload_of(b)
    recipients = session.exec(audience_query(b.segment, b.segment_days, now)).all()
    if b.paid:
        quote = PaidQuote(recipients=len(recipients), stars=stars_for(len(recipients)),
                          balance_nanostars=balance.nanostars)
        if not quote.enough:
            session.rollback()
            raise DomainError("broadcast.stars_short", f"needs {quote.stars} Stars, the bot has {balance.amount}",
                              cost=quote.stars, balance=format_stars(balance.nanostars), recipients=quote.recipients)
        b.stars_cost = quote.stars
    base = {"parse_mode": "HTML", **{k: v for k, v in payload.items() if v}}
    if b.paid:
        base["allow_paid_broadcast"] = True
    session.add_all([
        Outbox(kind=BROADCAST_KIND, chat_id=chat_id, customer_id=cid, payload=base,
               dedupe_key=f"bcast:{b.id}:{cid}", broadcast_id=b.id, next_attempt_at=now)
        for cid, chat_id in recipients
    ])
    b.status = BroadcastStatus.running if recipients else BroadcastStatus.finished
    b.total = len(recipients)
    b.started_at = now
    if not recipients:
        b.finished_at = now
    session.add(b)
    audit.record(session, actor=actor, action="broadcast.start", entity="broadcast", entity_id=b.id,
                 after={"recipients": b.total, "paid": b.paid, "stars_cost": b.stars_cost,
                        "stars_balance": format_stars(balance.nanostars) if balance is not None else None})
    session.commit()
    return _progress(session, b)


def pause_broadcast(session: Session, *, actor: Actor, broadcast_id: int) -> BroadcastProgress:
    return _move(session, actor, broadcast_id, BroadcastStatus.paused, "pause")


def resume_broadcast(session: Session, *, actor: Actor, broadcast_id: int) -> BroadcastProgress:
    return _move(session, actor, broadcast_id, BroadcastStatus.running, "resume")


def cancel_broadcast(session: Session, *, actor: Actor, broadcast_id: int) -> BroadcastProgress:
    return _move(session, actor, broadcast_id, BroadcastStatus.cancelled, "cancel")


def _move(session, actor, broadcast_id, target, verb) -> BroadcastProgress:
    require(actor, Perm.broadcasts_manage)
    b = _get(session, broadcast_id)
    if verb not in allowed_broadcast_actions(b.status):
        raise DomainError("broadcast.bad_transition", f"cannot {verb} a {b.status} broadcast", status=b.status)
    # conditional update: a concurrent change (or the sender finishing it) wins cleanly
    result = session.execute(
        update(Broadcast).where(Broadcast.id == b.id, Broadcast.status == b.status).values(status=target)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        raise DomainError("broadcast.bad_transition", "changed meanwhile", status=b.status)
    if target == BroadcastStatus.cancelled:
        session.execute(
            update(Outbox)
            .where(Outbox.broadcast_id == b.id, Outbox.status.in_([OutboxStatus.pending, OutboxStatus.failed]))
            .values(status=OutboxStatus.expired, last_error=CANCELLED_NOTE)
            .execution_options(synchronize_session=False)
        )
        session.execute(update(Broadcast).where(Broadcast.id == b.id).values(finished_at=utcnow())
                        .execution_options(synchronize_session=False))
    audit.record(session, actor=actor, action=f"broadcast.{verb}", entity="broadcast", entity_id=b.id,
                 before={"status": b.status}, after={"status": target})
    session.commit()
    return _progress(session, _get(session, broadcast_id))


def send_preview(session: Session, *, actor: Actor, broadcast_id: int, chat_id: int | None = None) -> None:
    """Queue the broadcast to ``chat_id`` only — by default the staff member's own linked Telegram
    (``broadcast.preview_needs_telegram`` when they have not linked one)."""
    require(actor, Perm.broadcasts_manage)
    if chat_id is None:
        staff = session.get(Staff, actor.id) if actor.is_staff else None
        if staff is None or not staff.telegram_id:
            raise DomainError("broadcast.preview_needs_telegram", "link Telegram in the profile first")
        chat_id = staff.telegram_id
    b = _get(session, broadcast_id)
    p = payload_of(b)
    enqueue_message(session, kind="broadcast_preview", chat_id=chat_id, text=p["text"], photo=p["photo"],
                    buttons=p["buttons"], staff_id=actor.id if actor.is_staff else None)
    session.commit()


def list_broadcasts(session: Session, *, actor: Actor, limit: int = 50) -> list[BroadcastOut]:
    require(actor, Perm.broadcasts_manage)
    rows = session.exec(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)).all()
    out = [_out(b) for b in rows]
    session.rollback()
    return out


def get_broadcast(session: Session, *, actor: Actor, broadcast_id: int) -> BroadcastOut:
    require(actor, Perm.broadcasts_manage)
    return _out(_get(session, broadcast_id))


def broadcast_progress(session: Session, *, actor: Actor, broadcast_id: int,
                       rate: float | None = None) -> BroadcastProgress:
    require(actor, Perm.broadcasts_manage)
    return _progress(session, _get(session, broadcast_id), rate)


def finish_completed(session: Session, *, now: datetime | None = None) -> list[int]:
    """Mark running broadcasts with nothing left to send as finished (called by the sender). Commits."""
    now = now or utcnow()
    waiting = select(Outbox.broadcast_id).where(
        Outbox.broadcast_id.is_not(None),
        Outbox.status.in_([OutboxStatus.pending, OutboxStatus.sending, OutboxStatus.failed]),
    )
    ids = list(session.exec(
        select(Broadcast.id).where(Broadcast.status == BroadcastStatus.running, Broadcast.id.not_in(waiting))
    ).all())
    if ids:
        session.execute(update(Broadcast).where(Broadcast.id.in_(ids), Broadcast.status == BroadcastStatus.running)
                        .values(status=BroadcastStatus.finished, finished_at=now)
                        .execution_options(synchronize_session=False))
    session.commit()
    return ids


def _progress(session: Session, b: Broadcast, rate: float | None = None) -> BroadcastProgress:
    counts = dict(session.exec(
        select(Outbox.status, func.count()).where(Outbox.broadcast_id == b.id).group_by(Outbox.status)
    ).all())
    left = sum(counts.get(s, 0) for s in (OutboxStatus.pending, OutboxStatus.sending, OutboxStatus.failed))
    if rate is None:
        rate = PAID_RATE if b.paid else get_settings().broadcast_rate
    waiting_for_bot = False
    if b.status == BroadcastStatus.running and left:
        waiting_for_bot = not sidecar_status(session).online
    eta = math.ceil(left / rate) if b.status == BroadcastStatus.running and not waiting_for_bot else None
    out = BroadcastProgress(
        broadcast_id=b.id, status=b.status, total=b.total, sent=counts.get(OutboxStatus.sent, 0),
        failed=counts.get(OutboxStatus.dead, 0), blocked=counts.get(OutboxStatus.skipped, 0),
        cancelled=counts.get(OutboxStatus.expired, 0), left=left,
        eta_seconds=eta, waiting_for_bot=waiting_for_bot,
    )
    session.rollback()  # end the read (SQLite: every transaction holds the write lock)
    return out


def format_stars(nanostars: int) -> str:
    """A Stars amount as a number (``12``, ``12.5``; fractions of a Star to 0.1, rounded down)."""
    tenths = nanostars * 10 // NANOSTARS_PER_STAR
    return str(tenths // 10) if tenths % 10 == 0 else f"{tenths // 10}.{tenths % 10}"


def _get(session: Session, broadcast_id: int, *, lock: bool = False) -> Broadcast:
    b = session.get(Broadcast, broadcast_id, populate_existing=True, with_for_update=lock or None)
    if b is None:
        raise NotFound("broadcast", broadcast_id)
    return b


def _out(b: Broadcast) -> BroadcastOut:
    return BroadcastOut.model_validate(b, from_attributes=True)


# --------------------------------------------------------------------------- the broadcasts page

class BroadcastLine(BaseModel):
    broadcast: BroadcastOut
    progress: BroadcastProgress
    actions: tuple[str, ...]  # what the page's buttons may do (see allowed_broadcast_actions)
    quote: PaidQuote | None = None  # a paid draft's cost (recipients now × 0.1 Star; the balance is the page's)


class BroadcastsPage(BaseModel):
    """The broadcasts page in one read-only transaction: the broadcasts with their progress, the
    outbox's waiting messages and backlog, and whether a bot sidecar is running and online."""

    lines: list[BroadcastLine]
    waiting: list[outbox.WaitingRow]
    backlog: dict[str, int]
    bot_online: bool
    bot_running: bool
    stars_asked: bool = False  # the bot's Stars balance was asked (a paid draft is shown)
    stars_balance_nanostars: int | None = None  # None when asked: unavailable


def broadcasts_page(session: Session, *, actor: Actor, with_balance: bool = True) -> BroadcastsPage:
    """``with_balance``: ask Telegram for the bot's Stars balance when a paid draft is listed (the
    page's live refresh passes False and keeps the balance it showed)."""
    rows = list_broadcasts(session, actor=actor)
    bot = sidecar_status(session)
    now = utcnow()
    lines = [BroadcastLine(broadcast=b, progress=broadcast_progress(session, actor=actor, broadcast_id=b.id),
                           actions=allowed_broadcast_actions(b.status),
                           quote=paid_quote(session, actor=actor, broadcast_id=b.id, now=now, with_balance=False)
                           if b.paid and b.status == BroadcastStatus.draft else None)
             for b in rows]
    page = BroadcastsPage(
        lines=lines, waiting=outbox.list_waiting(session, actor=actor, limit=200), backlog=outbox.backlog(session),
        bot_online=bot.online, bot_running=bot.running,
    )
    session.rollback()  # nothing held while Telegram answers
    if with_balance and any(line.quote is not None for line in lines):
        balance = star_balance()
        page.stars_asked = True
        page.stars_balance_nanostars = balance.nanostars if balance is not None else None
    return page
