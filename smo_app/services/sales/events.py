"""Domain events of orders, and the bus that hands them to subscribers.

Every status change made by ``orders.transition`` publishes one :class:`DomainEvent`, named
``order.<new status>`` for forward moves and cancellation (``order.paid``, ``order.processing``,
``order.shipped``, ``order.delivered``, ``order.completed``, ``order.cancelled``) and
``order.moved_back`` for a staff back move. Subscribers choose a phase:

* ``Phase.in_transaction`` — called synchronously inside the transition's transaction, in
  registration order: the ledgers (stock return or write-off, loyalty, certificate, promo use,
  the customer's notification row). One that raises rolls the whole transition back.
* ``Phase.after_commit`` — for the outside world (provider calls, shipments, ERP pushes): the
  transition writes one outbox task per such subscriber in the same transaction; after commit the
  sidecar's task worker calls the subscriber with the event (retries, backoff, dead letters by the
  subscriber's ``retry_policy``). A failing after-commit subscriber never undoes the transition.

Both kinds are ``handler(session, event) -> None`` and never commit (the transition, or the task
worker together with marking the task done, commits). A new integration adds a subscriber in its
own module — ``events.subscribe("order.paid", capture_payment, key="payments.capture",
phase=Phase.after_commit)`` from its ``register()`` — and does not edit ``transition()``.

Registration is explicit and import-safe: importing a module registers nothing. Every subscriber
of a process — the shop's own ledgers (``order_subscribers.register``) and each integration's — is
installed by the composition root (``smo_app.composition.start()``), which then marks the bus
installed; publishing before that raises :class:`HandlersNotInstalled`, so no process can move an
order without its ledgers.
"""
from __future__ import annotations

import fnmatch
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from smo_app.models.customer import Customer
from smo_app.models.orders import Order
from smo_app.models.staff import Role
from smo_app.services.core.actor import Actor
from smo_app.services.core.shop_config import get_config
from smo_app.services.messaging import outbox, outbox_tasks
from smo_app.services.messaging.outbox_delivery import RetryPolicy
from smo_app.services.messaging.outbox_tasks import HandlersNotInstalled

MOVED_BACK = "order.moved_back"
TASK_PREFIX = "ev:"  # outbox task kind of an after-commit subscriber: "ev:" + its key


class Phase(StrEnum):
    in_transaction = "in_transaction"
    after_commit = "after_commit"


@dataclass(frozen=True)
class DomainEvent:
    """What happened to an order: ``name`` (``order.paid`` …), from/to status, who, why, when.

    ``event_id`` is the ``order_event`` row written by the transition; ``data`` carries extras
    (``restock`` on cancel, ``notify_kind``). Serialisable with :meth:`to_payload` for the outbox.
    """

    name: str
    order_id: int
    from_status: str | None
    to_status: str
    actor: Actor
    reason: str | None
    occurred_at: datetime
    event_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def config(self, session: Session):
        """The shop settings, read once per event for all its in-transaction subscribers."""
        if "config" not in self._cache:
            self._cache["config"] = get_config(session)
        return self._cache["config"]

    def customer(self, session: Session):
        """The order's customer (None for an offline buyer), read once per event and held, so the
        subscribers that need it do not read it again."""
        if "customer" not in self._cache:
            order = session.get(Order, self.order_id)
            customer_id = order.customer_id if order is not None else None
            self._cache["customer"] = session.get(Customer, customer_id) if customer_id is not None else None
        return self._cache["customer"]

    def to_payload(self) -> dict[str, Any]:
        a = self.actor
        return {"name": self.name, "order_id": self.order_id, "from_status": self.from_status,
                "to_status": self.to_status, "reason": self.reason, "occurred_at": self.occurred_at.isoformat(),
                "event_id": self.event_id, "data": dict(self.data),
                "actor": {"kind": a.kind, "id": a.id, "role": a.role.value if a.role else None, "name": a.name}}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> "DomainEvent":
        a = payload.get("actor") or {}
        actor = Actor(kind=a.get("kind", "system"), id=a.get("id"), name=a.get("name", ""),
                      role=Role(a["role"]) if a.get("role") else None)
        return cls(name=payload["name"], order_id=payload["order_id"], from_status=payload.get("from_status"),
                   to_status=payload["to_status"], actor=actor, reason=payload.get("reason"),
                   occurred_at=datetime.fromisoformat(payload["occurred_at"]), event_id=payload.get("event_id"),
                   data=dict(payload.get("data") or {}))


Handler = Callable[[Session, DomainEvent], None]


@dataclass(frozen=True)
class Subscription:
    key: str  # unique name, e.g. "stock.return_on_cancel", "payments.capture"
    pattern: str  # an event name, or a glob such as "order.*"
    handler: Handler
    phase: Phase
    retry_policy: RetryPolicy | None = None

    def matches(self, name: str) -> bool:
        return self.pattern == name or fnmatch.fnmatchcase(name, self.pattern)


class EventBus:
    def __init__(self) -> None:
        self._subs: list[Subscription] = []
        self._installed = False
        self._lock = threading.RLock()

    def subscribe(self, pattern: str, handler: Handler, *, key: str, phase: Phase | str = Phase.in_transaction,
                  retry_policy: RetryPolicy | None = None) -> Subscription:
        """Add (or replace, by ``key``) a subscriber. After-commit subscribers also register the
        outbox task kind ``"ev:" + key`` (at most 32 characters) with ``retry_policy``."""
        phase = Phase(phase)
        if not key or len(TASK_PREFIX + key) > 32:
            raise ValueError("a subscriber key is 1–29 characters")
        sub = Subscription(key=key, pattern=pattern, handler=handler, phase=phase, retry_policy=retry_policy)
        with self._lock:
            self._subs = [s for s in self._subs if s.key != key] + [sub]
        if phase == Phase.after_commit:
            outbox_tasks.register_task_handler(TASK_PREFIX + key, self._task_handler(key), retry_policy)
        return sub

    def unsubscribe(self, key: str) -> None:
        with self._lock:
            self._subs = [s for s in self._subs if s.key != key]
        outbox_tasks.unregister_task_handler(TASK_PREFIX + key)

    def subscribers(self, name: str, phase: Phase | str | None = None) -> list[Subscription]:
        return [s for s in self._subs if s.matches(name) and (phase is None or s.phase == Phase(phase))]

    def publish(self, session: Session, event: DomainEvent) -> None:
        """Run the in-transaction subscribers (an exception propagates: the caller rolls back) and
        queue one outbox task per after-commit subscriber, in the caller's transaction."""
        if not self._installed:
            raise HandlersNotInstalled(f"{event.name} published before smo_app.composition.start() installed the "
                                       "subscribers of this process")
        for sub in self.subscribers(event.name):
            if sub.phase == Phase.in_transaction:
                sub.handler(session, event)
            else:
                outbox.enqueue_task(session, kind=TASK_PREFIX + sub.key, payload=event.to_payload(),
                                    order_id=event.order_id,
                                    dedupe_key=f"ev:{event.event_id}:{sub.key}" if event.event_id else None)

    def _task_handler(self, key: str) -> Callable[[Session, outbox_tasks.Task], None]:
        def run(session: Session, task: outbox_tasks.Task) -> None:
            found = [s for s in self._subs if s.key == key]
            if not found:
                raise LookupError(f"no after-commit subscriber {key!r}")
            found[0].handler(session, DomainEvent.from_payload(task.payload))

        return run

    def mark_installed(self) -> None:
        """The composition root has subscribed everything this process runs: events may flow."""
        self._installed = True


bus = EventBus()
subscribe = bus.subscribe
unsubscribe = bus.unsubscribe
publish = bus.publish


def event_name(from_status: str | None, to_status: str, *, back_move: bool = False) -> str:
    return MOVED_BACK if back_move else f"order.{to_status}"


__all__ = [
    "DomainEvent", "EventBus", "Handler", "HandlersNotInstalled", "MOVED_BACK", "Phase", "Subscription", "bus",
    "event_name", "publish", "subscribe", "unsubscribe",
]
