"""Outbox tasks: the handlers that run queued tasks after commit, with a retry policy per kind.

A provider integration (payment capture, refund, waybill, ERP push) or an after-commit event
subscriber registers one handler per task kind::

    register_task_handler("payment.capture", capture, RetryPolicy(max_attempts=8, backoff_seconds=(10, 60, 300)))

and queues work with ``outbox.enqueue_task(session, kind="payment.capture", payload={...})`` inside
its own transaction. The sidecar's task worker (``bot_sidecar.outbox.TaskWorker``) claims a due
task, calls ``handler(session, task)`` and marks the task done **in the same transaction** as the
handler's own writes (the handler does not commit). An exception rolls the handler's writes back
and the task is retried by its policy, then dead-lettered (visible in the backoffice, re-queued by
staff). A task may run more than once (a crash after the provider answered): handlers pass
``task.idempotency_key`` to the provider.

Registration is explicit and import-safe: importing this module registers nothing. The composition
root (``smo_app.composition.start()``) registers every handler of the process and then calls
:func:`mark_installed`; running a task before that raises :class:`HandlersNotInstalled`.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from smo_app.models.outbox import OutboxStatus
from smo_app.services.messaging import outbox_delivery
from smo_app.services.messaging.outbox_delivery import Claimed, RetryPolicy

log = logging.getLogger(__name__)

DEFAULT_TASK_POLICY = RetryPolicy(max_attempts=8, backoff_seconds=(5, 30, 120, 600, 1800, 3600))


@dataclass(frozen=True)
class Task:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int  # this run included

    @property
    def idempotency_key(self) -> str:
        """The same for every run of this task: send it to the provider."""
        return f"smo-outbox-{self.id}"


TaskHandler = Callable[[Session, Task], None]


@dataclass(frozen=True)
class _Registered:
    handler: TaskHandler
    policy: RetryPolicy


_HANDLERS: dict[str, _Registered] = {}
_installed = False


class HandlersNotInstalled(RuntimeError):
    """Work reached a handler registry (a task ran, an event was published) in a process whose
    composition root has not started: call ``smo_app.composition.start()`` first."""


def mark_installed() -> None:
    """The composition root has registered every task handler this process runs: tasks may run."""
    global _installed
    _installed = True


def register_task_handler(kind: str, handler: TaskHandler, retry_policy: RetryPolicy | None = None) -> None:
    """Run ``handler`` for tasks of ``kind``; re-registering a kind replaces its handler."""
    if not kind or len(kind) > 32:
        raise ValueError("a task kind is 1–32 characters")
    _HANDLERS[kind] = _Registered(handler, retry_policy or DEFAULT_TASK_POLICY)


def unregister_task_handler(kind: str) -> None:
    _HANDLERS.pop(kind, None)


def policy_for(kind: str) -> RetryPolicy:
    found = _HANDLERS.get(kind)
    return found.policy if found is not None else DEFAULT_TASK_POLICY


def handler_for(kind: str) -> TaskHandler | None:
    found = _HANDLERS.get(kind)
    return found.handler if found is not None else None


def run_claimed(session_factory: Callable[[], Session], claimed: Claimed) -> str:
    """Run one claimed task to its outcome (blocking: the worker calls it in a thread).
    Returns the row's new status."""
    if not _installed:
        raise HandlersNotInstalled(f"task {claimed.kind!r} claimed before smo_app.composition.start() installed "
                                   "the task handlers of this process")
    task = Task(id=claimed.id, kind=claimed.kind, payload=claimed.payload or {}, attempts=claimed.attempts)
    registered = _HANDLERS.get(task.kind)
    with session_factory() as session:
        if registered is None:
            return outbox_delivery.mark_failed(session, outbox_id=task.id, error=f"no handler for task kind {task.kind!r}",
                                               policy=DEFAULT_TASK_POLICY)
        try:
            registered.handler(session, task)
            outbox_delivery.mark_done_in(session, outbox_id=task.id)
            session.commit()
            return OutboxStatus.sent.value
        except Exception as exc:  # noqa: BLE001 - a failing task retries by its policy; logged
            session.rollback()
            status = outbox_delivery.mark_failed(session, outbox_id=task.id, error=f"{type(exc).__name__}: {exc}",
                                                 policy=registered.policy)
            log.warning("outbox task %s (%s) failed, now %s: %s", task.id, task.kind, status, exc)
            return status
