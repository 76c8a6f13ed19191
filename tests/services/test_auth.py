"""Staff sign-in, sessions, lockout and the audit trail they leave."""
from datetime import timedelta

import pytest
from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.models.base import utcnow
from smo_app.models.staff import Role
from smo_app.services.staff import auth
from smo_app.services.staff import accounts as staff_service
from smo_app.services.core.errors import DomainError
from tests.factories import PASSWORD, PIN, make_staff


def _actions(session):
    return [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()]


def test_owner_signs_in_with_password_and_session_resolves(session):
    # given an owner
    owner = make_staff(session, Role.owner, username="olga")
    # when she signs in with the right password
    signed = auth.sign_in_password(session, username="  OLGA ", password=PASSWORD)
    # then the token resolves to her, and the sign-in is audited
    assert signed.staff.id == owner.id
    assert auth.resolve_session(session, token=signed.token).username == "olga"
    assert "auth.sign_in" in _actions(session)


def test_wrong_password_is_refused_and_audited(session):
    make_staff(session, Role.admin, username="anna")
    with pytest.raises(DomainError) as err:
        auth.sign_in_password(session, username="anna", password="nope-nope")
    assert err.value.code == "auth.invalid_credentials"
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "auth.sign_in_failed")).one()
    assert entry.after["username"] == "anna"


def test_unknown_user_gets_the_same_message(session):
    with pytest.raises(DomainError) as err:
        auth.sign_in_password(session, username="ghost", password="whatever1")
    assert err.value.code == "auth.invalid_credentials"


def test_five_failures_in_fifteen_minutes_lock_the_account_for_fifteen_minutes(session):
    # given a manager and a clock
    make_staff(session, Role.manager, username="max")
    t0 = utcnow()
    # when five wrong passwords arrive within the window
    for i in range(4):
        with pytest.raises(DomainError) as err:
            auth.sign_in_password(session, username="max", password="bad-pass", now=t0 + timedelta(minutes=i))
        assert err.value.code == "auth.invalid_credentials"
    with pytest.raises(DomainError) as err:
        auth.sign_in_password(session, username="max", password="bad-pass", now=t0 + timedelta(minutes=4))
    # then the fifth locks the account, and even the right password is refused
    assert err.value.code == "auth.locked"
    with pytest.raises(DomainError) as err:
        auth.sign_in_password(session, username="max", password=PASSWORD, now=t0 + timedelta(minutes=10))
    assert err.value.code == "auth.locked"
    assert err.value.params["minutes"] == 9
    assert "auth.locked" in _actions(session)
    # and after the lock runs out the right password works
    signed = auth.sign_in_password(session, username="max", password=PASSWORD, now=t0 + timedelta(minutes=20))
    assert signed.staff.username == "max"


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(session):
    make_staff(session, Role.manager, username="mila")
    t0 = utcnow()
    for i in range(6):
        with pytest.raises(DomainError) as err:
            auth.sign_in_password(session, username="mila", password="bad-pass", now=t0 + timedelta(minutes=4 * i))
        assert err.value.code == "auth.invalid_credentials"


def test_seller_signs_in_to_pos_by_pin_but_not_to_backoffice(session):
    seller = make_staff(session, Role.seller, username="sasha")
    signed = auth.sign_in_pin(session, username="sasha", pin=PIN)
    assert signed.staff.id == seller.id
    assert auth.session_channel(session, token=signed.token) == "pos"
    with pytest.raises(DomainError) as err:
        auth.sign_in_pin(session, username="sasha", pin="0000")
    assert err.value.code == "auth.invalid_credentials"


def test_manager_cannot_use_the_pos(session):
    make_staff(session, Role.manager, username="mark")
    with pytest.raises(DomainError) as err:
        auth.sign_in_pin(session, username="mark", pin=PIN)
    assert err.value.code == "auth.no_access_pos"


def test_session_expires_and_sign_out_revokes(session):
    make_staff(session, Role.owner, username="oleg")
    t0 = utcnow()
    signed = auth.sign_in_password(session, username="oleg", password=PASSWORD, now=t0)
    assert auth.resolve_session(session, token=signed.token, now=t0 + timedelta(hours=11)) is not None
    assert auth.resolve_session(session, token=signed.token, now=t0 + timedelta(hours=13)) is None
    auth.sign_out(session, token=signed.token)
    assert auth.resolve_session(session, token=signed.token) is None
    assert "auth.sign_out" in _actions(session)


def test_deactivated_staff_lose_their_sessions(session):
    owner = make_staff(session, Role.owner, username="boss")
    make_staff(session, Role.admin, username="adm")
    signed = auth.sign_in_password(session, username="adm", password=PASSWORD)
    staff_service.set_active(session, actor=owner.actor(), staff_id=signed.staff.id, active=False)
    assert auth.resolve_session(session, token=signed.token) is None
    with pytest.raises(DomainError):
        auth.sign_in_password(session, username="adm", password=PASSWORD)


def test_a_session_resolves_only_on_the_channel_it_was_opened_on(session):
    # given an admin signed in on the POS with a PIN and in the backoffice with a password
    make_staff(session, Role.admin, username="alex")
    pos = auth.sign_in_pin(session, username="alex", pin=PIN)
    office = auth.sign_in_password(session, username="alex", password=PASSWORD)
    # when each token is resolved for each channel
    # then a token opens only its own channel
    assert auth.resolve_channel_session(session, token=pos.token, channel="pos").username == "alex"
    assert auth.resolve_channel_session(session, token=pos.token, channel="backoffice") is None
    assert auth.resolve_channel_session(session, token=office.token, channel="backoffice").username == "alex"
    assert auth.resolve_channel_session(session, token=office.token, channel="pos") is None
    assert auth.resolve_channel_session(session, token="", channel="pos") is None
    assert auth.resolve_channel_session(session, token="nope", channel="pos") is None


def test_resolving_a_session_reads_only_and_stamps_last_seen_now_and_then(session):
    from smo_app.models.staff import StaffSession

    # given a signed-in manager whose session was last seen just now
    make_staff(session, Role.manager, username="mira")
    token = auth.sign_in_password(session, username="mira", password=PASSWORD).token
    row = session.exec(select(StaffSession)).one()
    seen = row.last_seen_at
    session.commit()
    # when a screen peeks at the session a minute later
    staff, stale = auth.peek_session(session, token=token, now=seen + timedelta(minutes=1))
    # then she is resolved and nothing needs writing
    assert staff.username == "mira" and stale is False
    # and ten minutes later the stamp is due; touching writes it once
    staff, stale = auth.peek_session(session, token=token, now=seen + timedelta(minutes=10))
    assert stale is True
    auth.touch_session(session, token=token, now=seen + timedelta(minutes=10))
    session.expire_all()
    assert session.exec(select(StaffSession)).one().last_seen_at == seen + timedelta(minutes=10)
    assert auth.peek_session(session, token=token, now=seen + timedelta(minutes=11))[1] is False


def test_a_screen_resolves_its_staff_while_another_writer_holds_the_sqlite_lock(sqlite_engine, monkeypatch):
    import sqlite3
    import time

    from sqlmodel import Session

    from smo_app.db import dispose_engines
    from smo_app.settings import reset_settings_cache
    from smo_app.calling import StaffCaller, call
    from smo_app.models.staff import Channel
    from smo_app.services.core.actor import whoami

    # given a signed-in manager and the app pointed at this database
    with Session(sqlite_engine) as s:
        make_staff(s, Role.manager, username="mira")
        token = auth.sign_in_password(s, username="mira", password=PASSWORD).token
    url = sqlite_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("SMO_DATABASE_URL", url)
    reset_settings_cache()
    # when another connection holds the write lock (a long sale, an import)
    writer = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0)
    writer.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        staff = call(whoami, caller=StaffCaller(Channel.backoffice, token), readonly=True).value
        took = time.monotonic() - started
    finally:
        writer.rollback()
        writer.close()
        dispose_engines()
        reset_settings_cache()
    # then the screen still knows who is signed in, without waiting for the writer
    assert staff is not None and staff.role == Role.manager
    assert took < 1.0
