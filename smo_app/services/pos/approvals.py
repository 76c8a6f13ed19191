"""Approvals above the discount policy (PO5, CO6).

The tablet asks; a manager answers once — with a PIN on the tablet or with Approve / Deny in
Telegram. The answer is a conditional UPDATE on ``status = 'pending' AND expires_at > now``: a
second press, a late press or a race between two managers changes nothing. Every request and
answer is audited with who decided.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, select

from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.pos import ApprovalStatus, PosApproval, PosRegister
from smo_app.models.staff import Role, Staff
from smo_app.money import format_money
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, can, require
from smo_app.services.core.shop_config import get_config
from smo_app.services.core.tx import atomic
from smo_app.services.messaging import outbox, presence
from smo_app.services.pos import cart as pos_cart
from smo_app.services.staff.dto import StaffOut
from smo_app.services.staff.passwords import verify_secret

CALLBACK_PREFIX = "pa"  # bot_sidecar.handlers.approvals.ApprovalCB packs the same "pa:<id>:<yes|no>"
APPROVER_ROLES = (Role.owner, Role.admin, Role.manager)


class ApprovalOut(BaseModel):
    id: int
    register_id: int
    requested_by_name: str
    discount_pct: int
    bonus_minor: int
    goods_minor: int
    status: str  # pending | approved | denied | expired (a pending request past its time reads as expired)
    created_at: datetime
    expires_at: datetime
    decided_by_name: str
    decided_via: str


def _out(a: PosApproval, now: datetime) -> ApprovalOut:
    data = a.model_dump()
    data["status"] = pos_cart.approval_status(a, now)
    return ApprovalOut.model_validate(data)


def callback_data(approval_id: int, answer: str) -> str:
    return f"{CALLBACK_PREFIX}:{approval_id}:{answer}"


@atomic
def request_approval(session: Session, *, actor: Actor, register_id: int, now: datetime | None = None,
                     device_id: int | None = None) -> ApprovalOut:
    """Ask for the cart as it is now (its largest manual discount and its bonuses); the managers
    with a linked Telegram get the request with Approve / Deny buttons."""
    require(actor, Perm.pos_sell)
    now = now or utcnow()
    cfg = get_config(session)
    cart = pos_cart.lock_cart(session, register_id, device_id)
    priced = pos_cart.price_cart(session, cart, actor=actor, cfg=cfg, now=now)
    if not priced.needs_approval:
        raise DomainError("pos.approval_not_needed", "the cart is within policy")
    approval = PosApproval(register_id=register_id, requested_by_id=actor.id, requested_by_name=actor.name[:128],
                           discount_pct=priced.max_manual_pct, bonus_minor=priced.bonus_minor,
                           goods_minor=priced.goods_minor, created_at=now,
                           expires_at=now + timedelta(minutes=cfg.pos_approval_minutes))
    session.add(approval)
    session.flush()
    cart.approval_id = approval.id
    session.add(cart)
    register = session.get(PosRegister, register_id)
    managers = session.exec(select(Staff).where(Staff.is_active, Staff.telegram_id.is_not(None),
                                                Staff.role.in_([r.value for r in APPROVER_ROLES]))).all()
    for m in managers:
        lang = m.language
        outbox.enqueue_message(
            session, kind="pos_approval", chat_id=m.telegram_id, staff_id=m.id,
            dedupe_key=f"pos_approval:{approval.id}:staff{m.id}",
            text=t("pos.approval.request", lang, seller=escape(actor.name), register=escape(register.name),
                   pct=approval.discount_pct, bonus=format_money(approval.bonus_minor, lang=lang),
                   goods=format_money(approval.goods_minor, lang=lang), total=format_money(priced.total_minor, lang=lang),
                   minutes=cfg.pos_approval_minutes),
            buttons=[[{"text": t("pos.approval.approve", lang), "callback_data": callback_data(approval.id, "yes")},
                      {"text": t("pos.approval.deny", lang), "callback_data": callback_data(approval.id, "no")}]],
        )
    audit.record(session, actor=actor, action="pos.approval_request", entity="pos_approval", entity_id=approval.id,
                 after={"register_id": register_id, "discount_pct": approval.discount_pct,
                        "bonus_minor": approval.bonus_minor, "notified": len(managers)})
    out = _out(approval, now)
    session.commit()
    return out


def get_approval(session: Session, *, actor: Actor, approval_id: int, now: datetime | None = None) -> ApprovalOut:
    require(actor, Perm.pos_access)
    a = session.get(PosApproval, approval_id)
    if a is None:
        raise NotFound("approval", approval_id)
    session.refresh(a)  # the tablet polls this: always the stored answer
    return _out(a, now or utcnow())


@atomic
def decide_approval(session: Session, *, actor: Actor, approval_id: int, approve: bool, via: str = "telegram",
                    now: datetime | None = None) -> ApprovalOut:
    """A manager answers. Only the first answer before expiry counts; otherwise
    ``pos.approval_already_decided`` / ``pos.approval_expired`` and nothing changes."""
    require(actor, Perm.pos_approve)
    now = now or utcnow()
    a = session.get(PosApproval, approval_id)
    if a is None:
        raise NotFound("approval", approval_id)
    status = (ApprovalStatus.approved if approve else ApprovalStatus.denied).value
    result = session.execute(
        update(PosApproval).where(PosApproval.id == approval_id, PosApproval.status == ApprovalStatus.pending.value,
                                  PosApproval.expires_at > now)
        .values(status=status, decided_at=now, decided_by_id=actor.id, decided_by_name=actor.name[:128],
                decided_via=via[:16]).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        session.rollback()
        session.refresh(a)
        if a.status == ApprovalStatus.pending.value:
            _expire(session, a, now)
            raise DomainError("pos.approval_expired", "too late", id=approval_id)
        raise DomainError("pos.approval_already_decided", "answered before", id=approval_id,
                          status=a.status, who=a.decided_by_name)
    audit.record(session, actor=actor, action=f"pos.approval_{status}", entity="pos_approval", entity_id=approval_id,
                 after={"via": via, "discount_pct": a.discount_pct, "bonus_minor": a.bonus_minor,
                        "requested_by": a.requested_by_name})
    session.commit()
    session.refresh(a)
    return _out(a, now)


def _expire(session: Session, a: PosApproval, now: datetime) -> None:
    """Write down that nobody answered in time (once; audited)."""
    result = session.execute(update(PosApproval).where(PosApproval.id == a.id,
                                                       PosApproval.status == ApprovalStatus.pending.value)
                             .values(status=ApprovalStatus.expired.value).execution_options(synchronize_session=False))
    if result.rowcount == 1:
        audit.record(session, actor=Actor.system("pos"), action="pos.approval_expired", entity="pos_approval",
                     entity_id=a.id)
    session.commit()
    session.refresh(a)


@atomic
def approve_with_pin(session: Session, *, actor: Actor, register_id: int, username: str, pin: str,
                     now: datetime | None = None, device_id: int | None = None) -> ApprovalOut:
    """A manager at the tablet types their PIN: the cart's request (made now if there is none
    pending) is approved in their name. A wrong PIN or a role without approval rights is refused."""
    require(actor, Perm.pos_sell)
    now = now or utcnow()
    name = (username or "").strip().lower()
    if not name or not pin:
        raise ValidationFailed("auth.fields_required", "username and PIN")
    staff = session.exec(select(Staff).where(Staff.username == name, Staff.is_active)).first()
    if not verify_secret(pin, staff.pin_hash if staff else None):
        audit.record(session, actor=actor, action="pos.approval_pin_failed", entity="staff",
                     entity_id=staff.id if staff else None, after={"username": name[:64]})
        session.commit()
        raise DomainError("pos.approval_pin_wrong", "wrong manager PIN")
    approver = StaffOut.of(staff).actor()
    if not can(approver, Perm.pos_approve):
        raise DomainError("pos.approval_not_manager", "no approval rights")
    cart = pos_cart.load_cart(session, register_id, device_id)
    current = session.get(PosApproval, cart.approval_id) if cart and cart.approval_id else None
    if current is None or pos_cart.approval_status(current, now) != ApprovalStatus.pending.value:
        current_id = request_approval(session, actor=actor, register_id=register_id, now=now, device_id=device_id).id
    else:
        current_id = current.id
    return decide_approval(session, actor=approver, approval_id=current_id, approve=True, via="pin", now=now)


class Approver(BaseModel):
    username: str
    full_name: str
    role: str
    has_telegram: bool


class ApprovalWays(BaseModel):
    approvers: list[Approver]  # who may approve with their PIN on this tablet
    telegram: bool  # asking in Telegram can work now: the bot is online and an approver has linked it
    bot_online: bool


def approval_ways(session: Session, *, actor: Actor, now: datetime | None = None) -> ApprovalWays:
    """How an above-policy sale can be approved right now: the managers who can type their PIN
    here (active, with a PIN, a role that approves), and whether a request in Telegram can reach one."""
    require(actor, Perm.pos_sell)
    rows = session.exec(select(Staff).where(Staff.is_active, Staff.role.in_([r.value for r in APPROVER_ROLES]))
                        .order_by(Staff.full_name)).all()
    approvers = [Approver(username=s.username, full_name=s.full_name, role=Role(s.role).value,
                          has_telegram=s.telegram_id is not None) for s in rows if s.pin_hash]
    linked = any(s.telegram_id is not None for s in rows)
    online = presence.sidecar_status(session, now=now).online
    return ApprovalWays(approvers=approvers, telegram=online and linked, bot_online=online)
