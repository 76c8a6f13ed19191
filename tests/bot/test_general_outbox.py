"""The general outbox: uploads delivered to the fake Bot API as multipart, tasks run after commit
with their own retry policy and dead letters, expired rows never sent, after-commit subscribers."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.orders import Order
from smo_app.models.outbox import Outbox, OutboxBlob, OutboxLane
from smo_app.services.messaging import outbox, outbox_tasks
from smo_app.services.messaging.outbox_delivery import RetryPolicy
from smo_app.services.sales import events, orders
from tests.bot.sender_support import count, nothing_waiting, run_senders, run_task_worker
from tests.commerce_factories import SYSTEM, make_product, place, variant_id
from tests.factories import make_customer

QUICK = RetryPolicy(max_attempts=3, backoff_seconds=(0.05,))


@pytest.fixture
def handlers():
    """Task kinds and subscribers registered by a test are removed after it."""
    kinds: list[str] = []
    keys: list[str] = []
    yield kinds, keys
    for kind in kinds:
        outbox_tasks.unregister_task_handler(kind)
    for key in keys:
        events.unsubscribe(key)


def test_a_document_is_uploaded_to_telegram_as_multipart_and_its_bytes_are_dropped_once_sent(
        settings, session_factory, engine, fake_tg):
    # given a Z-report file and a chart picture queued for a staff chat (a supergroup id beyond 32 bits)
    content = b"Z-report\n" + bytes(range(256)) * 40
    with Session(engine) as s:
        doc = outbox.enqueue_document(s, chat_id=-1001234567890, kind="z_report", filename="z-2026-11-22.csv",
                                      content=content, caption="<b>Z-report</b> for today")
        pic = outbox.enqueue_photo(s, chat_id=7123456789, kind="chart", content=b"\x89PNG fake", filename="pnl.png")
        s.commit()
        doc_id, pic_id = doc.id, pic.id
    # when the sender runs
    run_senders(settings, session_factory, until=nothing_waiting(engine))
    # then Telegram got sendDocument and sendPhoto with the files, name and caption
    [call] = fake_tg.calls_of("sendDocument")
    assert call["status"] == 200 and call["chat_id"] == -1001234567890
    assert call["files"]["document"]["filename"] == "z-2026-11-22.csv"
    assert call["files"]["document"]["content"] == content
    assert call["params"]["caption"] == "<b>Z-report</b> for today" and call["params"]["parse_mode"] == "HTML"
    [photo] = fake_tg.calls_of("sendPhoto")
    assert photo["files"]["photo"]["content"] == b"\x89PNG fake" and photo["chat_id"] == 7123456789
    # and both rows are sent, with their bytes no longer stored
    with Session(engine) as s:
        assert [s.get(Outbox, i).status for i in (doc_id, pic_id)] == ["sent", "sent"]
        assert s.get(Outbox, doc_id).telegram_message_id is not None
        assert s.exec(select(OutboxBlob)).all() == []


def test_an_upload_without_bytes_is_refused_when_queued(session):
    with pytest.raises(ValueError):
        outbox.enqueue_document(session, chat_id=1, kind="z_report", filename="x.csv", content=b"")
    assert session.exec(select(Outbox)).all() == []


def test_an_expired_message_is_marked_expired_and_never_sent(settings, session_factory, engine, fake_tg):
    # given a message that had to go out by a minute ago, and a fresh one
    with Session(engine) as s:
        late = outbox.enqueue_message(s, kind="abandoned_cart", chat_id=501, text="come back",
                                      expires_at=utcnow() - timedelta(minutes=1))
        fresh = outbox.enqueue_message(s, kind="abandoned_cart", chat_id=502, text="come back")
        s.commit()
        late_id, fresh_id = late.id, fresh.id
        # (kinds have a default time to live)
        assert fresh.expires_at is not None and fresh.expires_at > utcnow() + timedelta(hours=11)
    # when the sender runs
    run_senders(settings, session_factory, until=nothing_waiting(engine))
    # then only the fresh one reached Telegram; the late one is marked expired
    assert [c["chat_id"] for c in fake_tg.sent()] == [502]
    with Session(engine) as s:
        assert s.get(Outbox, late_id).status == "expired"
        assert s.get(Outbox, fresh_id).status == "sent"


def test_a_pay_within_message_expires_when_its_order_is_paid(session):
    # given a new order and its "pay within 15 minutes" message still waiting (the bot was offline)
    vid = variant_id(make_product(session, qty=5))
    customer = make_customer(session)
    order = place(session, customer.id, {vid: 1})
    row = outbox.enqueue_to_customer(session, customer=customer, kind="order_placed", text="pay within 15 min",
                                     order_id=order.id)
    session.commit()
    row_id = row.id
    # when the order is paid
    orders.mark_paid(session, actor=SYSTEM, order_id=order.id)
    # then the message will not be sent, while the "paid" status message will
    session.expire_all()
    assert session.get(Outbox, row_id).status == "expired"
    assert session.exec(select(Outbox.status).where(Outbox.customer_id == customer.id,
                                                    Outbox.kind == "order_status")).all() == ["pending"]
    # and so does the checkout's own "pay within" message
    assert set(session.exec(select(Outbox.status).where(Outbox.customer_id == customer.id,
                                                        Outbox.kind == "order_placed")).all()) == {"expired"}


def test_a_task_runs_after_commit_and_its_writes_commit_with_it(session_factory, engine, handlers):
    # given a handler that records the provider's idempotency key on the order's comment
    kinds, _ = handlers
    seen = []

    def capture(s: Session, task: outbox_tasks.Task) -> None:
        seen.append((task.payload["order"], task.idempotency_key))

    outbox_tasks.register_task_handler("test.capture", capture, QUICK)
    kinds.append("test.capture")
    with Session(engine) as s:
        row = outbox.enqueue_task(s, kind="test.capture", payload={"order": 42}, dedupe_key="cap:42")
        assert outbox.enqueue_task(s, kind="test.capture", payload={"order": 42}, dedupe_key="cap:42") is None
        s.commit()
        row_id = row.id
    # when the task worker runs
    run_task_worker(session_factory, until=nothing_waiting(engine, OutboxLane.task))
    # then the handler ran once with a stable idempotency key and the task is done
    assert seen == [(42, f"smo-outbox-{row_id}")]
    with Session(engine) as s:
        assert (s.get(Outbox, row_id).status, s.get(Outbox, row_id).attempts) == ("sent", 1)


def test_a_failing_task_retries_by_its_policy_then_dead_letters(session_factory, engine, handlers):
    # given a provider call that always fails, with three attempts allowed
    kinds, _ = handlers
    attempts = []

    def refund(s: Session, task: outbox_tasks.Task) -> None:
        attempts.append(task.attempts)
        raise ConnectionError("provider down")

    outbox_tasks.register_task_handler("test.refund", refund, QUICK)
    kinds.append("test.refund")
    with Session(engine) as s:
        row = outbox.enqueue_task(s, kind="test.refund", payload={"order": 7})
        s.commit()
        row_id = row.id
    # when the worker runs until nothing is waiting
    run_task_worker(session_factory, until=nothing_waiting(engine, OutboxLane.task))
    # then it was tried three times and is now a dead letter with the reason
    assert attempts == [1, 2, 3]
    with Session(engine) as s:
        dead = s.get(Outbox, row_id)
        assert (dead.status, dead.attempts) == ("dead", 3)
        assert "provider down" in dead.last_error


def test_a_failing_after_commit_subscriber_is_retried_through_the_outbox_and_the_payment_stays(
        session_factory, engine, handlers):
    # given an after-commit subscriber to "order.paid" that fails once (an ERP push, say)
    _, keys = handlers
    calls = []

    def push_to_erp(s: Session, event: events.DomainEvent) -> None:
        calls.append((event.name, event.order_id, event.from_status, event.to_status, event.actor.name))
        if len(calls) == 1:
            raise TimeoutError("ERP timeout")

    events.subscribe("order.paid", push_to_erp, key="test.erp_push", phase=events.Phase.after_commit,
                     retry_policy=QUICK)
    keys.append("test.erp_push")
    with Session(engine, expire_on_commit=False) as s:
        vid = variant_id(make_product(s, qty=5))
        order = place(s, make_customer(s).id, {vid: 1})
        # when the order is paid
        orders.mark_paid(s, actor=SYSTEM, order_id=order.id)
    # then nothing outside ran yet: one task waits in the outbox
    assert calls == [] and count(engine, Outbox.kind == "ev:test.erp_push") == 1
    # and when the worker runs, the subscriber fails once, is retried and succeeds
    run_task_worker(session_factory, until=nothing_waiting(engine, OutboxLane.task))
    assert calls == [("order.paid", order.id, "new", "paid", SYSTEM.name)] * 2
    with Session(engine) as s:
        task = s.exec(select(Outbox).where(Outbox.kind == "ev:test.erp_push")).one()
        assert (task.status, task.attempts) == ("sent", 2)
        assert s.get(Order, order.id).status == "paid"  # the failure never undid the payment


def test_an_after_commit_subscriber_that_keeps_failing_dead_letters_and_the_cancel_stays(
        session_factory, engine, handlers):
    # given an after-commit subscriber to "order.cancelled" whose provider is down (a refund, say)
    _, keys = handlers
    tries = []

    def refund(s: Session, event: events.DomainEvent) -> None:
        tries.append(event.order_id)
        raise ConnectionError("refund provider down")

    events.subscribe("order.cancelled", refund, key="test.refund", phase=events.Phase.after_commit,
                     retry_policy=QUICK)
    keys.append("test.refund")
    with Session(engine, expire_on_commit=False) as s:
        vid = variant_id(make_product(s, qty=5))
        order = place(s, make_customer(s).id, {vid: 2})
        # when the order is cancelled and the worker runs
        orders.cancel_order(s, actor=SYSTEM, order_id=order.id, reason="customer asked")
    run_task_worker(session_factory, until=nothing_waiting(engine, OutboxLane.task))
    # then the refund was tried three times and is a dead letter; the cancel and the restock stay
    assert tries == [order.id] * 3
    with Session(engine) as s:
        task = s.exec(select(Outbox).where(Outbox.kind == "ev:test.refund")).one()
        assert (task.status, task.attempts) == ("dead", 3) and "refund provider down" in task.last_error
        assert s.get(Order, order.id).status == "cancelled"
    from tests.commerce_factories import qty_of
    with Session(engine) as s:
        assert qty_of(s, vid) == 5
