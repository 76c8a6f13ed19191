"""The calling seam (smo_app.calling): who calls is resolved on the server, a refusal comes back in
the caller's words, a bug becomes a calm message and a report — on SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from smo_app.calling import (NOBODY, CustomerCaller, Seam, StaffCaller, SystemCaller, TelegramCaller,
                             opener_from_factory)
from smo_app.calling.result import Refusal
from smo_app.models.error_reports import ErrorReport
from smo_app.models.outbox import Outbox
from smo_app.models.staff import Channel, Role, Staff
from smo_app.services.core.actor import whoami
from smo_app.services.core.errors import DomainError, ValidationFailed
from smo_app.services.customers import sessions
from smo_app.services.staff import auth
from smo_app.settings import reset_settings_cache
from tests.factories import PASSWORD, make_customer, make_staff


@pytest.fixture
def seam(engine) -> Seam:
    return Seam(opener_from_factory(lambda: Session(engine, expire_on_commit=False)), origin="test")


def _owner_token(session, channel=Channel.backoffice) -> str:
    make_staff(session, Role.owner, username="olga")
    if channel == Channel.backoffice:
        return auth.sign_in_password(session, username="olga", password=PASSWORD).token
    return auth.sign_in_pin(session, username="olga", pin="2468").token


def test_a_staff_caller_is_resolved_from_the_token_of_its_own_channel(session, seam):
    # given an owner signed in on the backoffice
    token = _owner_token(session)
    # when a service is called with that token on the backoffice, then on the POS
    bo = seam.call(whoami, caller=StaffCaller(Channel.backoffice, token), readonly=True)
    pos = seam.call(whoami, caller=StaffCaller(Channel.pos, token), readonly=True)
    # then the backoffice knows the owner and the POS refuses the backoffice's token
    assert bo.ok and bo.value.role == Role.owner and bo.value.is_staff
    assert not pos.ok and pos.signed_out and pos.code == "common.forbidden"


def test_a_made_up_or_revoked_token_signs_nobody_in(session, seam):
    token = _owner_token(session)
    auth.sign_out(session, token=token)
    for caller in (StaffCaller(Channel.backoffice, token), StaffCaller(Channel.backoffice, "made-up"),
                   CustomerCaller("made-up"), CustomerCaller("")):
        out = seam.call(whoami, caller=caller)
        assert out.signed_out and not out.ok and out.value is None


def test_a_customer_caller_gets_the_customer_and_their_language(session, seam):
    # given an English-speaking customer with a Mini App session
    customer = make_customer(session, language="en")
    token = sessions.start_customer_session(session, customer_id=customer.id)

    def refuse(session, *, actor):
        raise DomainError("common.not_found", what="order", id=5)

    # when they call, then the actor is the customer and a refusal is in English without being asked
    me = seam.call(whoami, caller=CustomerCaller(token))
    assert me.value.is_customer and me.value.id == customer.id
    assert seam.call(refuse, caller=CustomerCaller(token)).error.startswith("Not found")


def test_an_optional_customer_is_the_customer_with_a_live_session_else_nobody(session, seam):
    # given a customer with a Mini App session, and a session revoked since
    customer = make_customer(session, language="en")
    token = sessions.start_customer_session(session, customer_id=customer.id)
    revoked = sessions.start_customer_session(session, customer_id=customer.id)
    sessions.end_customer_session(session, token=revoked)
    # when a page anyone may open calls with each cookie (or none)
    live = seam.call(whoami, caller=CustomerCaller(token, optional=True), readonly=True)
    dead = [seam.call(whoami, caller=CustomerCaller(t, optional=True), readonly=True) for t in (revoked, "made-up", "")]
    # then the live one is the customer; a dead cookie is nobody, not a refusal
    assert live.ok and live.value.id == customer.id
    assert all(out.ok and out.value is None and not out.signed_out for out in dead)


def test_nobody_gets_no_actor_and_the_system_is_named(session, seam):
    assert seam.call(lambda s, **kw: sorted(kw), caller=NOBODY, x=1).value == ["x"]
    assert seam.call(whoami, caller=SystemCaller("auto-cancel")).value.name == "auto-cancel"


def test_a_telegram_user_is_staff_when_linked_else_the_customer_else_nobody(session, seam):
    staff = make_staff(session, Role.manager, username="mira")
    from smo_app.models.staff import Staff

    row = session.get(Staff, staff.id)
    row.telegram_id = 8_100_000_001
    session.add(row)
    session.commit()
    customer_id = make_customer(session, telegram_id=8_100_000_002).id
    session.rollback()  # the seam's own sessions write next (SQLite: one writer at a time)
    assert seam.call(whoami, caller=TelegramCaller(8_100_000_001)).value.role == Role.manager
    assert seam.call(whoami, caller=TelegramCaller(8_100_000_002)).value.id == customer_id
    assert seam.call(whoami, caller=TelegramCaller(8_100_000_003)).value is None


def test_a_refused_batch_lists_each_bad_row_under_the_message(session, seam):
    def import_lines(session):
        raise ValidationFailed("stock.batch_invalid", errors=[
            {"row": 2, "code": "stock.line_qty", "params": {}},
            {"row": 5, "code": "stock.line_unknown_id", "params": {"id": 99}}])

    out = seam.call(import_lines, user_lang="en")
    lines = out.error.splitlines()
    assert out.code == "stock.batch_invalid" and len(lines) == 3
    assert lines[1].startswith("Row 2:") and "99" in lines[2]
    assert [r["row"] for r in out.rows] == [2, 5]
    with pytest.raises(Refusal) as raised:
        out.unwrap()
    assert raised.value.text == out.error


def test_a_bug_is_a_calm_message_for_the_user_and_one_report_for_the_owner(session, seam, caplog):
    def broken(session):
        raise KeyError("secret internals")

    first = seam.call(broken, user_lang="en")
    second = seam.call(broken, user_lang="en")
    assert first.unexpected and "secret" not in first.error and "Traceback" not in first.error
    assert second.unexpected
    session.expire_all()
    report = session.exec(select(ErrorReport)).one()
    assert report.summary.startswith("KeyError") and report.count == 2  # one report, two occurrences


def test_the_owners_report_names_the_screen_the_user_the_last_frames_and_the_repeats(session, seam):
    # given an owner, and a service that breaks two calls deep
    from datetime import timedelta

    from smo_app.models.base import utcnow
    from smo_app.models.outbox import Outbox

    from smo_app.models.staff import Staff

    owner = session.get(Staff, make_staff(session, Role.owner).id)
    owner.telegram_id = 9_200_000_001
    session.commit()

    def inner():
        raise ValueError("bad state")

    def broken(session):
        inner()

    # when it breaks on a screen, then again an hour later
    seam.call(broken, caller=NOBODY, screen="/admin/orders")
    session.expire_all()
    row = session.exec(select(ErrorReport)).one()
    row.last_reported_at = utcnow() - timedelta(hours=2)
    session.commit()
    seam.call(broken, caller=NOBODY, screen="/admin/orders")
    # then the owner got two reports, each with the error, the screen, the service, the user and the
    # traceback's last frames; the second says how often it happened
    session.expire_all()
    texts = [o.payload.get("text", "") for o in session.exec(select(Outbox).where(Outbox.kind == "error")
                                                             .order_by(Outbox.id)).all()]
    assert len(texts) == 2
    for text in texts:
        assert "ValueError: bad state" in text and "/admin/orders" in text and "broken" in text
        assert "in inner" in text and "in broken" in text
    assert "Повторялась 2" in texts[1] and "Повторялась" not in texts[0]


def test_async_calls_leave_the_event_loop_free(session, seam):
    both = threading.Barrier(2, timeout=5)

    def waits(session):
        both.wait()
        return threading.get_ident()

    async def run():
        loop_thread = threading.get_ident()
        a, b = await asyncio.gather(seam.acall(waits), seam.acall(waits))
        return loop_thread, a.value, b.value

    loop_thread, a, b = asyncio.run(run())
    assert loop_thread not in (a, b) and a != b


# -- the Mini App's sign-in -----------------------------------------------------------------------

def test_init_data_signed_with_the_public_demo_token_signs_nobody_in(session, seam, monkeypatch):
    import json
    import time

    from smo_app.services.customers.telegram_init_data import sign_init_data

    # given a demo shop without a bot, and an existing customer someone wants to impersonate
    monkeypatch.setenv("SMO_DEMO", "1")
    monkeypatch.delenv("SMO_BOT_TOKEN", raising=False)
    reset_settings_cache()
    try:
        victim = make_customer(session)
        victim_id, victim_tg = victim.id, victim.telegram_id
        session.rollback()
        forged = sign_init_data({"user": json.dumps({"id": victim_tg, "first_name": "Demo"}),
                                 "auth_date": str(int(time.time()))}, bot_token="000000:demo-mode-mini-app")
        # when the forged init data is sent to the sign-in
        out = seam.call(sessions.sign_in_telegram, init_data=forged)
        # then nobody is signed in; the demo sign-in picks its own demo customer, never the victim
        assert not out.ok
        demo = seam.call(sessions.sign_in_demo_customer)
        assert demo.ok and demo.value.customer.id != victim_id
    finally:
        reset_settings_cache()


def test_the_demo_sign_in_is_refused_outside_demo_mode(session, seam, monkeypatch):
    monkeypatch.setenv("SMO_DEMO", "0")
    reset_settings_cache()
    try:
        assert not seam.call(sessions.sign_in_demo_customer).ok
    finally:
        reset_settings_cache()


def test_the_owners_report_names_the_frames_the_staff_member_the_route_and_the_repeats(session, seam):
    token = _owner_token(session)
    owner = session.exec(select(Staff).where(Staff.username == "olga")).one()
    owner.telegram_id = 7_100_000_001  # the owner reads reports in Telegram
    session.add(owner)
    session.commit()

    def inner(session):
        raise ZeroDivisionError("the margin of nothing")

    def broken_margin(session, *, actor):
        inner(session)

    out = asyncio.run(seam.bind(StaffCaller(Channel.backoffice, token), "en", "/admin/analytics")(broken_margin))
    assert out.unexpected
    session.expire_all()
    [alert] = [r for r in session.exec(select(Outbox)).all() if r.kind == "error"]
    text = alert.payload["text"]
    assert "ZeroDivisionError: the margin of nothing" in text
    assert "/admin/analytics" in text and "Test Owner (owner)" in text  # the screen and who was on it
    assert "in broken_margin" in text and "in inner" in text  # the traceback's last frames
    # an hour later the same bug again: one more report, saying how often it happened
    row = session.exec(select(ErrorReport)).one()
    row.last_reported_at -= timedelta(hours=2)
    session.add(row)
    session.commit()
    seam.call(broken_margin, caller=StaffCaller(Channel.backoffice, token))
    session.expire_all()
    texts = [r.payload["text"] for r in session.exec(select(Outbox)).all() if r.kind == "error"]
    assert len(texts) == 2 and "2" in texts[1].rsplit("\n", 1)[-1]


def test_a_deactivated_staff_member_or_an_expired_session_signs_nobody_in(session, seam):
    # given a seller signed in on the POS, and an owner whose backoffice session has expired
    from smo_app.models.staff import StaffSession
    from smo_app.services.core.actor import Actor
    from smo_app.services.staff import accounts

    owner_token = _owner_token(session)
    seller = make_staff(session, Role.seller, username="sasha")
    pos_token = auth.sign_in_pin(session, username="sasha", pin="2468").token
    assert seam.call(whoami, caller=StaffCaller(Channel.pos, pos_token)).value.id == seller.id
    accounts.set_active(session, actor=Actor.system("test"), staff_id=seller.id, active=False)
    row = session.exec(select(StaffSession).where(StaffSession.token_hash == auth.hash_token(owner_token))).one()
    row.expires_at = row.created_at
    session.add(row)
    session.commit()
    session.rollback()
    # when each calls, reading and writing, then neither is anyone
    for caller in (StaffCaller(Channel.pos, pos_token), StaffCaller(Channel.backoffice, owner_token)):
        for readonly in (True, False):
            out = seam.call(whoami, caller=caller, readonly=readonly)
            assert out.signed_out and out.value is None


def test_a_session_seen_long_ago_is_stamped_after_the_call_even_a_refused_one(session, seam):
    # given a customer whose Mini App session was last seen an hour ago
    from smo_app.models.customer_session import CustomerSession

    customer = make_customer(session, language="en")
    token = sessions.start_customer_session(session, customer_id=customer.id)
    row = session.exec(select(CustomerSession).where(CustomerSession.customer_id == customer.id)).one()
    hour_ago = row.last_seen_at - timedelta(hours=1)
    row.last_seen_at = hour_ago
    session.add(row)
    session.commit()
    session.rollback()

    def refuse(session, *, actor):
        raise DomainError("common.not_found", what="order", id=5)

    # when they make a call the service refuses
    out = seam.call(refuse, caller=CustomerCaller(token))
    # then they got the refusal, and their session now shows as seen
    assert out.code == "common.not_found"
    session.expire_all()
    assert session.get(CustomerSession, row.id).last_seen_at > hour_ago + timedelta(minutes=59)


def test_a_call_is_one_transaction_except_a_write_on_sqlite_which_resolves_before_its_lock(session, seam, engine):
    # given a signed-in owner, a service that reads one row, and every transaction the database begins counted
    from sqlalchemy import event, text

    def read_one(session, *, actor):
        return session.execute(text("SELECT 1")).scalar()

    token = _owner_token(session)
    session.rollback()
    begun = []

    def count(conn):
        begun.append(1)

    event.listen(engine, "begin", count)
    try:
        # when a read and a write are called
        calls = {}
        for readonly in (True, False):
            begun.clear()
            assert seam.call(read_one, caller=StaffCaller(Channel.backoffice, token), readonly=readonly).value == 1
            calls[readonly] = len(begun)
    finally:
        event.remove(engine, "begin", count)
    # then each is one transaction, resolving the caller in it — but a write on SQLite, whose first
    # statement takes the database's one write lock, resolves in a read of its own before
    sqlite = engine.dialect.name == "sqlite"
    assert calls == {True: 1, False: 2 if sqlite else 1}
