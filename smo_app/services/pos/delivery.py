"""What the POS tells the seller about its Telegram messages (the Z report, an approval request):
sent, waiting in the queue until the bot is online, or going to nobody. The screens say exactly
this instead of "sent to the admins" while the message sits in the outbox.
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from smo_app.models.outbox import Outbox, OutboxStatus
from smo_app.services.core.actor import Actor
from smo_app.services.core.permissions import Perm, require
from smo_app.services.messaging import presence

SENT = "sent"  # every message went out
SENDING = "sending"  # the bot is online; the queue is sending them
WAITING = "waiting"  # queued, the bot is not online: they go when it is
NOBODY = "nobody"  # no recipient has linked Telegram: nothing was queued


def delivery_status(session: Session, *, actor: Actor, dedupe_prefix: str, now: datetime | None = None) -> str:
    """The state of the messages queued under ``dedupe_prefix`` (e.g. ``pos_z:12:``), one of
    :data:`SENT`, :data:`SENDING`, :data:`WAITING`, :data:`NOBODY`."""
    require(actor, Perm.pos_access)
    statuses = session.exec(select(Outbox.status).where(Outbox.dedupe_key.startswith(dedupe_prefix))).all()
    if not statuses:
        return NOBODY
    if all(s == OutboxStatus.sent for s in statuses):
        return SENT
    return SENDING if presence.sidecar_status(session, now=now).online else WAITING


def z_report_delivery(session: Session, *, actor: Actor, shift_id: int, now: datetime | None = None) -> str:
    return delivery_status(session, actor=actor, dedupe_prefix=f"pos_z:{shift_id}:", now=now)


def approval_delivery(session: Session, *, actor: Actor, approval_id: int, now: datetime | None = None) -> str:
    return delivery_status(session, actor=actor, dedupe_prefix=f"pos_approval:{approval_id}:", now=now)
