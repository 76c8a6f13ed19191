"""The webhook inbox (stored once, applied once) and dead letters (listed, resolved once, audited)."""
from __future__ import annotations

import threading

import pytest
from sqlmodel import Session, func, select

from smo_app.db import make_engine
from smo_app.models.audit import AuditEntry
from smo_app.models.integrations import DeadLetter, WebhookEvent
from smo_app.models.staff import Role
from smo_app.services.core.errors import DomainError
from smo_app.services.integrations import dead_letters, webhooks
from tests.factories import make_staff

BODY = b'{"event":"payment.succeeded","object":{"id":"pay-1","amount":{"value":"100.00"}}}'


def _at_once(engine, n: int, work) -> list:
    """Run ``work(session, i)`` in ``n`` threads released together, each on its own connection;
    return what each returned (or the error code / exception name it raised)."""
    workers = make_engine(engine.url.render_as_string(hide_password=False), pool_size=n)
    barrier = threading.Barrier(n)
    results: list = []

    def run(i):
        barrier.wait()
        try:
            with Session(workers, expire_on_commit=False) as s:
                results.append(work(s, i))
        except DomainError as exc:
            results.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - the test reports what leaked
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    workers.dispose()
    return results


def _count(session, model) -> int:
    n = session.exec(select(func.count()).select_from(model)).one()
    session.rollback()
    return n


def test_a_replayed_webhook_is_stored_once_and_reported_as_duplicate(session):
    # given a provider event stored once
    first = webhooks.receive(session, provider="yookassa", event_id="evt-1", body=BODY,
                             headers={"Content-Type": "application/json", "Cookie": "secret", "Authorization": "x"})
    # when the provider sends it again
    again = webhooks.receive(session, provider="yookassa", event_id="evt-1", body=b"{}", headers={})
    # then one row keeps the first raw body, and only allow-listed headers were kept
    assert (first.outcome, again.outcome) == ("stored", "duplicate")
    assert again.event.id == first.event.id and again.event.body == BODY.decode()
    assert first.event.headers == {"content-type": "application/json"}
    assert _count(session, WebhookEvent) == 1
    # and the same event id from another provider is another event
    assert webhooks.receive(session, provider="stripe", event_id="evt-1", body=b"{}").outcome == "stored"


def test_an_event_without_an_id_is_refused(session):
    with pytest.raises(DomainError) as err:
        webhooks.receive(session, provider="yookassa", event_id=" ", body=b"{}")
    assert err.value.code == "webhook.bad_event"
    assert _count(session, WebhookEvent) == 0


def test_three_simultaneous_deliveries_of_one_event_store_it_once(engine, session):
    # given / when three workers receive the same event at the same moment (separate connections)
    outcomes = _at_once(engine, 3, lambda s, i: webhooks.receive(
        s, provider="yookassa", event_id="evt-race", body=BODY).outcome)
    # then one stored it, two were told "duplicate", nobody got an error
    assert sorted(outcomes) == ["duplicate", "duplicate", "stored"]
    assert _count(session, WebhookEvent) == 1


def test_a_stored_event_is_applied_once_even_if_processed_again(session):
    stored = webhooks.receive(session, provider="yookassa", event_id="evt-2", body=BODY)
    applied: list[str] = []

    def handler(s, event):
        applied.append(event.event_id)

    first = webhooks.process(session, webhook_event_id=stored.event.id, handler=handler)
    second = webhooks.process(session, webhook_event_id=stored.event.id, handler=handler)
    assert (first.outcome, second.outcome) == ("processed", "already")
    assert applied == ["evt-2"]
    row = session.get(WebhookEvent, stored.event.id, populate_existing=True)
    assert row.status == "processed" and row.attempts == 1 and row.processed_at is not None


def test_concurrent_processors_apply_an_event_once(engine, session):
    stored = webhooks.receive(session, provider="yookassa", event_id="evt-3", body=BODY)
    lock = threading.Lock()
    applied = []

    def handler(s, event):
        with lock:
            applied.append(event.id)

    outcomes = _at_once(engine, 3, lambda s, i: webhooks.process(
        s, webhook_event_id=stored.event.id, handler=handler).outcome)
    assert sorted(outcomes) == ["already", "already", "processed"]
    assert applied == [stored.event.id]


def test_an_event_the_shop_refuses_is_dead_lettered_with_the_reason_and_its_writes_undone(session):
    # given an event whose handler writes, then finds the amount does not match the order
    stored = webhooks.receive(session, provider="yookassa", event_id="evt-4", body=BODY)

    def handler(s, event):
        dead_letters.record_dead_letter(s, provider="x", kind="noise", reason="should.vanish")
        raise DomainError("payment.amount_mismatch", "amount differs")

    # when it is processed
    out = webhooks.process(session, webhook_event_id=stored.event.id, handler=handler)
    # then it is dead at once, one dead letter says why, and the handler's own write was rolled back
    assert out.outcome == "dead" and out.error == "payment.amount_mismatch"
    letters = session.exec(select(DeadLetter)).all()
    assert [(d.provider, d.kind, d.reference, d.reason) for d in letters] == [
        ("yookassa", "webhook", "evt-4", "payment.amount_mismatch")]
    assert letters[0].webhook_event_id == stored.event.id and letters[0].payload["body"] == BODY.decode()
    # and it is never applied later
    assert webhooks.process(session, webhook_event_id=stored.event.id, handler=lambda s, e: None).outcome == "already"


def test_a_crashing_handler_is_retried_then_dead_lettered_after_the_last_try(session):
    stored = webhooks.receive(session, provider="cdek", event_id="evt-5", body=b"{}")

    def handler(s, event):
        raise RuntimeError("database of the ERP is down")

    outcomes = [webhooks.process(session, webhook_event_id=stored.event.id, handler=handler, max_attempts=3).outcome
                for _ in range(3)]
    assert outcomes == ["failed", "failed", "dead"]
    assert [e.event_id for e in webhooks.pending(session)] == []
    [letter] = session.exec(select(DeadLetter)).all()
    assert letter.reason == "webhook.handler_failed" and "ERP is down" in letter.detail


def test_a_failed_event_succeeds_on_a_later_try(session):
    stored = webhooks.receive(session, provider="cdek", event_id="evt-6", body=b"{}")
    calls = []

    def flaky(s, event):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("blip")

    assert webhooks.process(session, webhook_event_id=stored.event.id, handler=flaky).outcome == "failed"
    assert [e.event_id for e in webhooks.pending(session)] == ["evt-6"]
    assert webhooks.process(session, webhook_event_id=stored.event.id, handler=flaky).outcome == "processed"
    assert _count(session, DeadLetter) == 0


def _letter(session, **kw) -> int:
    row = dead_letters.record_dead_letter(session, provider=kw.get("provider", "yookassa"), kind="webhook",
                                          reason=kw.get("reason", "payment.unknown_order"), reference="evt-9")
    session.commit()
    return row.id


def test_an_admin_dismisses_a_dead_letter_with_a_reason_once_and_it_is_audited(session):
    admin = make_staff(session, Role.admin)
    letter_id = _letter(session)
    # when an admin dismisses it with a reason
    out = dead_letters.resolve_dead_letter(session, actor=admin.actor(), dead_letter_id=letter_id,
                                           resolution="dismissed", note="test payment from the provider's sandbox")
    # then it is closed, gone from the open list, and the audit log says who and why
    assert out.resolution == "dismissed" and out.resolved_by == admin.id and out.resolved_at is not None
    assert dead_letters.list_dead_letters(session, actor=admin.actor()) == []
    assert [d.id for d in dead_letters.list_dead_letters(session, actor=admin.actor(), open_only=False)] == [letter_id]
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "dead_letter.resolve")).one()
    assert entry.actor_id == admin.id and entry.note == "test payment from the provider's sandbox"
    # and a second resolution is refused
    with pytest.raises(DomainError) as err:
        dead_letters.resolve_dead_letter(session, actor=admin.actor(), dead_letter_id=letter_id,
                                         resolution="applied", note="again")
    assert err.value.code == "dead_letter.already_resolved"


def test_a_manager_reads_dead_letters_but_cannot_resolve_them(session):
    manager = make_staff(session, Role.manager)
    letter_id = _letter(session)
    assert [d.id for d in dead_letters.list_dead_letters(session, actor=manager.actor())] == [letter_id]
    with pytest.raises(DomainError) as err:
        dead_letters.resolve_dead_letter(session, actor=manager.actor(), dead_letter_id=letter_id,
                                         resolution="dismissed", note="not mine")
    assert err.value.code == "common.forbidden"
    seller = make_staff(session, Role.seller)
    with pytest.raises(DomainError):
        dead_letters.list_dead_letters(session, actor=seller.actor())
    assert dead_letters.count_open(session) == 1


@pytest.mark.parametrize("resolution, note, code", [
    ("dismissed", "   ", "dead_letter.note_required"),
    ("forgotten", "why", "dead_letter.bad_resolution"),
    ("dismissed", "x" * 501, "dead_letter.note_too_long"),
])
def test_bad_resolution_input_changes_nothing_and_says_why(session, resolution, note, code):
    owner = make_staff(session, Role.owner)
    letter_id = _letter(session)
    with pytest.raises(DomainError) as err:
        dead_letters.resolve_dead_letter(session, actor=owner.actor(), dead_letter_id=letter_id,
                                         resolution=resolution, note=note)
    assert err.value.code == code
    assert session.get(DeadLetter, letter_id, populate_existing=True).resolved_at is None


def test_two_admins_dismissing_at_once_resolve_it_once(engine, session):
    admin = make_staff(session, Role.admin)
    letter_id = _letter(session)
    results = _at_once(engine, 3, lambda s, i: dead_letters.resolve_dead_letter(
        s, actor=admin.actor(), dead_letter_id=letter_id, resolution="dismissed", note=f"admin {i}") and "ok")
    assert sorted(results) == ["dead_letter.already_resolved", "dead_letter.already_resolved", "ok"]
    assert len(session.exec(select(AuditEntry).where(AuditEntry.action == "dead_letter.resolve")).all()) == 1


# --------------------------------------------------------------------------- stored and applied in one transaction

def _apply(session, event_id: str, handler, **kwargs):
    return webhooks.receive_and_apply(session, provider="stripe", event_id=event_id, body=BODY,
                                      headers={"Stripe-Signature": "t=1,v1=x", "Cookie": "no"}, handler=handler,
                                      **kwargs)


def test_a_verified_event_is_stored_and_applied_in_one_go_and_a_replay_changes_nothing(session):
    applied = []

    def handler(s, event):
        applied.append((event.event_id, event.status, event.headers))
        dead_letters.record_dead_letter(s, provider="stripe", kind="note", reason="applied.here")  # the handler's write

    # when the event arrives, then again
    first = _apply(session, "evt-10", handler)
    again = _apply(session, "evt-10", handler)
    # then it was stored processed with its write, applied once, and the replay is a duplicate
    assert (first.received, first.outcome, again.received, again.outcome) == ("stored", "processed", "duplicate", "already")
    assert applied == [("evt-10", "processed", {"stripe-signature": "t=1,v1=x"})]
    row = session.exec(select(WebhookEvent)).one()
    assert (row.id, row.status, row.attempts, row.body) == (first.event_id, "processed", 1, BODY.decode())
    assert session.exec(select(DeadLetter.reason)).all() == ["applied.here"]


def test_when_applying_crashes_the_raw_event_is_still_kept_and_the_next_delivery_applies_it(session):
    calls = []

    def flaky(s, event):
        calls.append(event.id)
        dead_letters.record_dead_letter(s, provider="stripe", kind="noise", reason="should.vanish")
        if len(calls) == 1:
            raise ConnectionError("blip")

    # when the handler fails on the first delivery
    first = _apply(session, "evt-11", flaky)
    # then its writes are gone but the raw event is stored, failed once, waiting for a retry
    assert (first.received, first.outcome) == ("stored", "failed")
    row = session.exec(select(WebhookEvent)).one()
    session.rollback()
    assert (row.status, row.attempts, row.body) == ("failed", 1, BODY.decode()) and "blip" in row.error
    assert _count(session, DeadLetter) == 0
    # and the provider's next delivery applies the stored event once
    again = _apply(session, "evt-11", flaky)
    assert (again.received, again.outcome, again.event_id) == ("duplicate", "processed", row.id)
    assert _apply(session, "evt-11", flaky).outcome == "already" and len(calls) == 2
    assert session.exec(select(DeadLetter.reason)).all() == ["should.vanish"]


def test_an_event_the_shop_refuses_in_one_go_is_kept_dead_with_its_dead_letter(session):
    def refuse(s, event):
        dead_letters.record_dead_letter(s, provider="x", kind="noise", reason="should.vanish")
        raise DomainError("payment.amount_mismatch", "amount differs")

    out = _apply(session, "evt-12", refuse)
    assert (out.received, out.outcome, out.error) == ("stored", "dead", "payment.amount_mismatch")
    row = session.exec(select(WebhookEvent)).one()
    [letter] = session.exec(select(DeadLetter)).all()
    assert row.status == "dead" and (letter.reason, letter.webhook_event_id) == ("payment.amount_mismatch", row.id)
    assert _apply(session, "evt-12", refuse).outcome == "already"


def test_concurrent_twins_of_a_verified_event_apply_it_once(engine, session):
    lock = threading.Lock()
    applied = []

    def handler(s, event):
        with lock:
            applied.append(event.id)

    outcomes = _at_once(engine, 4, lambda s, i: (lambda o: (o.received, o.outcome))(_apply(s, "evt-13", handler)))
    assert sorted(outcomes) == [("duplicate", "already")] * 3 + [("stored", "processed")]
    assert len(applied) == 1 and _count(session, WebhookEvent) == 1
