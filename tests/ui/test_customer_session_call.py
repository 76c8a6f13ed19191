"""``CustomerSessionState.call``: the one way a Mini App screen calls a service as the customer.

Given a state tree as Reflex builds it, a service called through the helper runs off the event
loop (through the calling seam) as the customer behind the session cookie and its answer comes back
as a ``Result``; a dead session is refused before the service runs; resolving the session only
reads (a write now and then records that it was seen).
"""
from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from datetime import timedelta

import pytest
from sqlmodel import select

from smo_app.models.base import utcnow
from smo_app.models.customer_session import CustomerSession
from smo_app.services.core.errors import DomainError
from smo_app.services.customers import sessions as customer_sessions
from tests.factories import make_customer
from tests.ui.support import _call, _state

rx = pytest.importorskip("reflex")


def _signed_in(db, cls=None, *, seen_ago=timedelta(0)):
    from smo_app.state.customer_session import CustomerSessionState

    customer = make_customer(db)
    token = customer_sessions.start_customer_session(db, customer_id=customer.id, now=utcnow() - seen_ago)
    s = _state(cls or CustomerSessionState)
    s.customer_token, s.customer_lang = token, "en"
    return s, customer


async def _drain(state, name: str, *args):
    """Run an event handler that yields (an async generator) to its end."""
    async for _ in type(state).event_handlers[name].fn(state, *args):
        pass


def _last_seen(db):
    db.expire_all()
    seen = db.exec(select(CustomerSession)).one().last_seen_at
    db.rollback()
    return seen


def test_the_service_gets_the_customer_as_actor_and_runs_off_the_event_loop(db):
    s, customer = _signed_in(db)
    seen = {}

    def service(session, *, actor, x):
        seen.update(kind=actor.kind, id=actor.id, thread=threading.get_ident(), x=x)
        return x * 2

    async def run():
        seen["loop_thread"] = threading.get_ident()
        return await s.call(service, x=21, readonly=True)

    out = asyncio.run(run())
    assert out.ok and out.value == 42
    assert (seen["kind"], seen["id"], seen["x"]) == ("customer", customer.id, 21)
    assert seen["thread"] != seen["loop_thread"]


@pytest.mark.parametrize("how", ["expired", "revoked", "unknown", "none"])
def test_a_dead_session_is_refused_before_the_service_runs(db, how):
    from smo_app.services.customers.identity import whoami_customer

    s, _ = _signed_in(db)
    if how == "expired":
        row = db.exec(select(CustomerSession)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.add(row)
        db.commit()
    elif how == "revoked":
        customer_sessions.end_customer_session(db, token=s.customer_token)
    else:
        s.customer_token = "made-up" if how == "unknown" else ""
    ran = []
    refused = asyncio.run(s.call(lambda session, *, actor: ran.append(actor)))
    assert refused.signed_out and refused.code == "common.forbidden" and ran == []
    assert not asyncio.run(s.call(whoami_customer, readonly=True)).ok


def test_a_domain_error_comes_back_in_the_customers_language(db):
    s, _ = _signed_in(db)

    def service(session, *, actor):
        raise DomainError("cart.unavailable", name="Candle")

    out = asyncio.run(s.call(service))
    assert not out.ok and not out.signed_out and out.code == "cart.unavailable"
    assert out.error == "This product is not available for ordering right now."  # the cookie's language


def test_an_optional_customer_call_runs_for_a_visitor_without_a_session(db):
    s, customer = _signed_in(db)
    seen = []
    s.customer_token = "made-up"
    out = asyncio.run(s.call(lambda session, *, actor: seen.append(actor), optional=True, readonly=True))
    assert out.ok and seen == [None]


def test_a_live_session_is_read_not_written_on_every_event(db):
    # given a customer whose session was seen a minute ago
    s, _ = _signed_in(db, seen_ago=timedelta(minutes=1))
    before = _last_seen(db)
    # when the Mini App sends a few events
    for _ in range(3):
        assert asyncio.run(s.call(lambda session, *, actor: actor.id, readonly=True)).ok
    # then nothing was written
    assert _last_seen(db) == before


def test_a_stale_stamp_is_written_once_when_an_event_comes(db):
    # given a session last seen ten minutes ago
    s, _ = _signed_in(db, seen_ago=timedelta(minutes=10))
    before = _last_seen(db)
    # when an event comes, the stamp moves to now; the next event writes nothing
    asyncio.run(s.call(lambda session, *, actor: None, readonly=True))
    after = _last_seen(db)
    assert after - before >= timedelta(minutes=9)
    asyncio.run(s.call(lambda session, *, actor: None, readonly=True))
    assert _last_seen(db) == after


def test_a_screen_resolves_its_customer_while_another_writer_holds_the_sqlite_lock(db):
    # given a signed-in customer
    s, customer = _signed_in(db)
    db.rollback()
    url = db.get_bind().url.render_as_string(hide_password=False)
    # when another connection holds the write lock (a long checkout, an import)
    writer = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0)
    writer.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        who = asyncio.run(s.call(lambda session, *, actor: actor.id, readonly=True))
        took = time.monotonic() - started
    finally:
        writer.rollback()
        writer.close()
    # then the screen still knows who the customer is, without waiting for the writer
    assert who.value == customer.id and took < 1.0


def test_every_mini_app_screen_refuses_a_revoked_session_through_the_one_helper(db):
    from smo_app.state.storefront import StoreState
    from smo_app.state.storefront_payment import StorefrontPaymentState
    from smo_app.state.storefront_wheel import StorefrontWheelState

    # given a customer whose session was revoked (signed out on another device)
    store, _ = _signed_in(db, StoreState)
    wheel, _ = _signed_in(db, StorefrontWheelState)
    pay, _ = _signed_in(db, StorefrontPaymentState)
    for s in (store, wheel, pay):
        customer_sessions.end_customer_session(db, token=s.customer_token)
    # when each screen calls its service: the catalog sends the page back to sign-in,
    _call(store, "show_catalog")
    assert store.phase == "outside" and store.sign_in_error == "Your session has ended. Open the shop again from Telegram."
    # the wheel asks to sign in, and the payment step says it is not allowed
    wheel.can_spin = True
    asyncio.run(_drain(wheel, "spin"))
    assert wheel.wheel_message == "Open the wheel from our Telegram bot to spin it."
    _call(pay, "open_payment", 1)
    assert pay.pay_message == "You don't have permission to do this."

