"""Our orders in MoySklad (IN3): each pushed once, as a customer order whose ``externalCode`` is our
order id, then its status followed as it changes here. Our state machine is the truth: MoySklad is
caught up to it, never the reverse.

Pushing is an after-commit subscriber of every order event (the outbox retries it, then a dead letter
and an alert), and a sweep (``python -m smo_app.cli moysklad push-orders --once``, the scheduler) for
orders that were born in their status without an event (B2B entry) or missed one.

Exactly once, whoever pushes and however often: the ``erp_order_push`` row of the order is created
first (unique per order) and locked (``SELECT … FOR UPDATE``) while MoySklad is asked — a second
pusher waits and then sees the order pushed; before creating, MoySklad is asked for an order with
that ``externalCode`` (a push that timed out after MoySklad acted is found, not created again).
"""
from __future__ import annotations

import logging
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from integrations.http import IntegrationError, ProviderRejected
from integrations.ports.erp import ErpOrderIn, ErpOrderLine
from html import escape

from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.staff import Role
from smo_app.models.erp import ErpItemLink, ErpOrderPush, ErpSyncRun, SyncKind, SyncRunStatus
from smo_app.models.orders import Order, OrderLine, OrderStatus
from smo_app.services.core.actor import Actor
from smo_app.services.core.permissions import Perm, require
from smo_app.services.erp.connection import PROVIDER, effective, port_for
from smo_app.services.erp.runs import epoch
from smo_app.services.integrations.dead_letters import record_dead_letter
from smo_app.services.messaging import outbox, outbox_tasks
from smo_app.services.messaging.outbox_delivery import RetryPolicy
from smo_app.services.sales import events

log = logging.getLogger(__name__)

# our status -> the name of MoySklad's customer order status (its default set)
STATE_NAMES = {
    OrderStatus.new: "Новый", OrderStatus.paid: "Подтвержден", OrderStatus.processing: "Собран",
    OrderStatus.shipped: "Отгружен", OrderStatus.delivered: "Доставлен", OrderStatus.completed: "Доставлен",
    OrderStatus.cancelled: "Отменен",
}
PUSH_POLICY = RetryPolicy(max_attempts=8, backoff_seconds=(10, 60, 300, 900, 1800, 3600))


class PushOut(BaseModel):
    order_id: int
    outcome: str  # created | found | state | unchanged | skipped
    external_id: str | None = None
    detail: str | None = None


def _claim(session: Session, order_id: int) -> None:
    """The order's push row, created once (a concurrent twin waits on the unique key, then does nothing)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = ErpOrderPush.__table__
    now = utcnow()
    session.execute(insert(table).values(provider=PROVIDER, order_id=order_id, external_name="", attempts=0,
                                         created_at=now, updated_at=now)
                    .on_conflict_do_nothing(index_elements=["provider", "order_id"]))
    session.commit()


def push_order(session: Session, *, actor: Actor, order_id: int) -> PushOut:
    """Push one order (create it in MoySklad once, or bring its status up to ours). Commits. Raises
    :class:`IntegrationError` on a provider failure (the caller's retry policy decides)."""
    require(actor, Perm.orders_manage)
    conn = effective(session)
    order = session.get(Order, order_id)
    if order is None or not conn.can_push:
        session.rollback()
        return PushOut(order_id=order_id, outcome="skipped", detail="not configured" if order else "no order")
    port = port_for(conn)
    if port is None:
        session.rollback()
        return PushOut(order_id=order_id, outcome="skipped", detail="no port")
    if order.status == OrderStatus.new or (order.status == OrderStatus.cancelled and order.paid_at is None):
        session.rollback()  # an unpaid order stays ours until it is paid (or is cancelled unpaid)
        return PushOut(order_id=order_id, outcome="skipped", detail="unpaid")
    _claim(session, order_id)
    row = session.execute(select(ErpOrderPush).where(ErpOrderPush.provider == PROVIDER, ErpOrderPush.order_id == order_id)
                          .with_for_update()).scalars().one()
    session.refresh(order)
    status = OrderStatus(order.status)
    state = STATE_NAMES.get(status)
    try:
        row.attempts += 1
        if row.external_id is None:
            found = port.find_order(str(order_id))
            if found is None:
                lines = _lines(session, order_id)
                if not lines:
                    row.last_error, row.updated_at = "no MoySklad items in the order", utcnow()
                    session.add(row)
                    session.commit()
                    return PushOut(order_id=order_id, outcome="skipped", detail="no linked items")
                created = port.create_order(ErpOrderIn(
                    external_code=str(order_id), organization_id=conn.organization_id, agent_id=conn.agent_id,
                    store_id=conn.store_id, lines=lines, state=state, shipment_address=order.address,
                    description=f"smo №{order_id}: {order.contact_name} {order.phone}".strip()))
                row.external_id, row.external_name, row.pushed_status = created.id, created.name, status.value
                outcome = "created"
            else:
                row.external_id, row.external_name = found.id, found.name
                outcome = "found"
                if state and found.state != state:
                    port.set_order_state(found.id, state)
                row.pushed_status = status.value
        elif row.pushed_status != status.value and state:
            port.set_order_state(row.external_id, state)
            row.pushed_status, outcome = status.value, "state"
        else:
            outcome = "unchanged"
        row.last_error, row.updated_at = None, utcnow()
        session.add(row)
        session.commit()
        return PushOut(order_id=order_id, outcome=outcome, external_id=row.external_id)
    except ProviderRejected as exc:
        if exc.code == "erp.state_unknown":  # the account has no such status: the order is there, keep going
            row.pushed_status, row.last_error, row.updated_at = status.value, exc.message[:500], utcnow()
            session.add(row)
            session.commit()
            return PushOut(order_id=order_id, outcome="state", external_id=row.external_id, detail=exc.message)
        return _failed(session, order_id, exc, permanent=True)
    except IntegrationError as exc:
        return _failed(session, order_id, exc, permanent=False)


def _failed(session: Session, order_id: int, exc: IntegrationError, *, permanent: bool) -> PushOut:
    """Remember the failure; raise to retry, or — refused, or out of tries — a dead letter and an
    alert (the order stays ours whatever MoySklad says)."""
    session.rollback()
    row = session.execute(select(ErpOrderPush).where(ErpOrderPush.provider == PROVIDER,
                                                     ErpOrderPush.order_id == order_id)).scalars().one()
    row.attempts += 1
    row.last_error, row.updated_at = f"{exc.code}: {exc.message}"[:500], utcnow()
    session.add(row)
    give_up = permanent or row.attempts >= PUSH_POLICY.max_attempts
    if give_up:
        record_dead_letter(session, provider=PROVIDER, kind="call", reason="erp.push_failed", reference=str(order_id),
                           detail=row.last_error, payload={"order_id": order_id, "attempts": row.attempts})
        outbox.enqueue_staff_alert(session, kind="erp_push_failed", roles=(Role.owner, Role.admin),
                                   dedupe_key=f"erp-push-failed:{order_id}",
                                   text=lambda lang: t("erp.alert.push_failed", lang, order=order_id,
                                                       error=escape(exc.message[:200])))
    session.commit()
    if not give_up:
        raise exc
    return PushOut(order_id=order_id, outcome="failed", detail=row.last_error)


def _lines(session: Session, order_id: int) -> list[ErpOrderLine]:
    ol, lk = OrderLine.__table__, ErpItemLink.__table__
    rows = session.execute(select(ol.c.qty, ol.c.unit_price_minor, ol.c.goods_minor, ol.c.discount_minor,
                                  lk.c.external_id, lk.c.external_type)
                           .join(lk, (lk.c.variant_id == ol.c.variant_id) & (lk.c.provider == PROVIDER))
                           .where(ol.c.order_id == order_id).order_by(ol.c.id)).all()
    return [ErpOrderLine(item_id=r.external_id, item_type=r.external_type, qty=r.qty, price_minor=r.unit_price_minor,
                         discount_pct=round(100.0 * r.discount_minor / r.goods_minor, 2) if r.goods_minor else 0.0)
            for r in rows]


def push_pending(session: Session, *, actor: Actor, limit: int = 200, now: datetime | None = None) -> list[PushOut]:
    """The sweep: every order since the first pull that MoySklad does not show as it is here
    (never pushed, or its status moved since). Records a ``push`` run. Provider failures stop the
    sweep (the next run tries again) and are recorded on the run."""
    require(actor, Perm.orders_manage)
    now = now or utcnow()
    conn = effective(session)
    since = epoch(session)
    if not conn.can_push or since is None:
        session.rollback()
        return []
    o, pu = Order.__table__, ErpOrderPush.__table__
    candidates = [r[0] for r in session.execute(
        select(o.c.id).outerjoin(pu, (pu.c.order_id == o.c.id) & (pu.c.provider == PROVIDER))
        .where(o.c.created_at >= since, o.c.status != OrderStatus.new.value,
               (pu.c.id.is_(None)) | (pu.c.external_id.is_(None)) | (pu.c.pushed_status != o.c.status))
        .order_by(o.c.id).limit(limit))]
    session.rollback()
    out, error = [], None
    port = port_for(conn)
    port.take_stats()
    for order_id in candidates:
        try:
            out.append(push_order(session, actor=actor, order_id=order_id))
        except IntegrationError as exc:
            error = exc
            break
    stats = port.take_stats()
    session.add(ErpSyncRun(provider=PROVIDER, kind=SyncKind.push, started_at=now, finished_at=utcnow(),
                           status=SyncRunStatus.failed if error else SyncRunStatus.ok,
                           items_seen=len(candidates), items_created=sum(p.outcome == "created" for p in out),
                           items_updated=sum(p.outcome in ("state", "found") for p in out),
                           requests=stats.requests, throttled=stats.throttled, server_errors=stats.server_errors,
                           max_window_units=stats.max_window_units, error_code=error.code if error else None,
                           error=error.message[:500] if error else None, actor_name=actor.name[:128]))
    session.commit()
    return out


# ---- the subscriber and its outbox task ---------------------------------------------------------

TASK = "erp.push"


def queue_push(session: Session, event) -> None:
    """Every order event, in its transaction: when the shop pushes orders to MoySklad, one outbox
    task for after the commit (nothing is queued while sync is off)."""
    if effective(session).can_push:
        outbox.enqueue_task(session, kind=TASK, payload={"order_id": event.order_id}, order_id=event.order_id,
                            dedupe_key=f"{TASK}:{event.event_id}" if event.event_id else None)


def run_task(session: Session, task) -> None:
    """The outbox's task worker: push the order in a session of its own (the push commits as it goes:
    the row claimed, then what MoySklad answered); a provider failure raises and the task is retried
    by its policy; refused or out of tries, a dead letter and an alert."""
    with Session(session.get_bind(), expire_on_commit=False) as own:
        push_order(own, actor=Actor.system("moysklad"), order_id=int(task.payload["order_id"]))


def install() -> None:
    """Called by the composition root."""
    events.subscribe("order.*", queue_push, key="erp.push", phase=events.Phase.in_transaction)
    outbox_tasks.register_task_handler(TASK, run_task, PUSH_POLICY)
