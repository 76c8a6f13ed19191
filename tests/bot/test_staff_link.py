"""Staff link their Telegram account: a one-time code from the profile, sent to the bot as /start staff_<code>."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import BigInteger
from sqlmodel import Session, select

from smo_app.db import make_engine
from smo_app.models.audit import AuditEntry
from smo_app.models.base import utcnow
from smo_app.models.presence import StaffLinkCode
from smo_app.models.staff import Role, Staff
from smo_app.services.core.errors import DomainError
from smo_app.services.staff import telegram_link
from tests.bot.conftest import feed, message_update
from tests.factories import actor_of, make_staff

# Telegram ids are 64-bit; staff.telegram_id becomes BIGINT in its own migration — until then stay below 2**31
BIG_TELEGRAM_ID = 7_000_000_123 if isinstance(Staff.__table__.c.telegram_id.type, BigInteger) else 2_000_000_123


def _telegram_id(session, staff_id):
    session.expire_all()
    value = session.get(Staff, staff_id).telegram_id
    session.rollback()
    return value


def test_code_links_once_is_stored_hashed_and_audited(session):
    # given a manager who asked for a link code
    manager = make_staff(session, Role.manager)
    code = telegram_link.create_link_code(session, actor=actor_of(manager), bot_username="smo_demo_bot")
    assert code.deep_link == f"https://t.me/smo_demo_bot?start=staff_{code.code}"
    assert code.code not in {r.code_hash for r in session.exec(select(StaffLinkCode)).all()}
    # when the bot hands it over with their (64-bit) Telegram id
    linked = telegram_link.bind_telegram(session, code=code.code, telegram_id=BIG_TELEGRAM_ID)
    # then the account is linked, and the link is audited
    assert linked.telegram_id == BIG_TELEGRAM_ID == _telegram_id(session, manager.id)
    actions = session.exec(select(AuditEntry.action).where(AuditEntry.entity_id == str(manager.id))).all()
    assert "staff.telegram_link" in actions
    # and the same code a second time is refused
    with pytest.raises(DomainError) as refused:
        telegram_link.bind_telegram(session, code=code.code, telegram_id=BIG_TELEGRAM_ID + 1)
    assert refused.value.code == "staff.link_code_invalid"
    assert _telegram_id(session, manager.id) == BIG_TELEGRAM_ID


def test_expired_or_replaced_code_is_refused(session):
    # given a seller's code, and a later one that replaced an earlier
    seller = actor_of(make_staff(session, Role.seller))
    now = utcnow()
    first = telegram_link.create_link_code(session, actor=seller, now=now)
    second = telegram_link.create_link_code(session, actor=seller, now=now)
    # when the replaced code is used, then it is refused
    with pytest.raises(DomainError, match="unknown, used or expired"):
        telegram_link.bind_telegram(session, code=first.code, telegram_id=42, now=now + timedelta(seconds=1))
    # when the new one is used after it expired, then it is refused too and nothing is linked
    with pytest.raises(DomainError) as refused:
        telegram_link.bind_telegram(session, code=second.code, telegram_id=42,
                                    now=now + telegram_link.CODE_TTL + timedelta(seconds=1))
    assert refused.value.code == "staff.link_code_invalid"
    assert _telegram_id(session, seller.id) is None


def test_unlink_forgets_the_account_and_is_audited(session):
    owner = make_staff(session, Role.owner)
    code = telegram_link.create_link_code(session, actor=actor_of(owner))
    telegram_link.bind_telegram(session, code=code.code, telegram_id=99)
    # when the owner unlinks
    telegram_link.unlink_telegram(session, actor=actor_of(owner))
    # then no Telegram account is linked, the unlink is in the audit log, and a second unlink says so
    assert _telegram_id(session, owner.id) is None
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "staff.telegram_unlink")).one()
    assert entry.before == {"telegram_id": 99}
    with pytest.raises(DomainError) as again:
        telegram_link.unlink_telegram(session, actor=actor_of(owner))
    assert again.value.code == "staff.telegram_not_linked"


def test_one_telegram_account_belongs_to_one_staff_member(session):
    a, b = make_staff(session, Role.manager), make_staff(session, Role.seller)
    telegram_link.bind_telegram(session, code=telegram_link.create_link_code(session, actor=actor_of(a)).code,
                                telegram_id=555)
    code_b = telegram_link.create_link_code(session, actor=actor_of(b))
    with pytest.raises(DomainError) as taken:
        telegram_link.bind_telegram(session, code=code_b.code, telegram_id=555)
    assert taken.value.code == "staff.telegram_taken"
    assert _telegram_id(session, b.id) is None


def test_a_code_works_once_when_two_messages_race(pg_engine):
    # given one link code on PostgreSQL
    with Session(pg_engine, expire_on_commit=False) as s:
        staff = make_staff(s, Role.manager)
        code = telegram_link.create_link_code(s, actor=actor_of(staff)).code
    workers = make_engine(pg_engine.url.render_as_string(hide_password=False), pool_size=8)
    barrier = threading.Barrier(6)
    outcomes: list[str] = []
    lock = threading.Lock()

    def use(telegram_id: int) -> None:
        barrier.wait()
        try:
            with Session(workers) as s:
                telegram_link.bind_telegram(s, code=code, telegram_id=telegram_id)
            outcome = f"ok:{telegram_id}"
        except DomainError as exc:
            outcome = exc.code
        with lock:
            outcomes.append(outcome)

    # when six Telegram accounts send it at the same moment
    threads = [threading.Thread(target=use, args=(BIG_TELEGRAM_ID + i,)) for i in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    workers.dispose()
    # then exactly one of them is linked and the others are refused
    winners = [o for o in outcomes if o.startswith("ok:")]
    assert len(winners) == 1 and outcomes.count("staff.link_code_invalid") == 5
    with Session(pg_engine) as s:
        assert s.get(Staff, staff.id).telegram_id == int(winners[0].split(":")[1])


def test_one_telegram_account_cannot_be_linked_to_two_staff_at_once(pg_engine):
    # given four staff members, each with a link code, on PostgreSQL
    with Session(pg_engine, expire_on_commit=False) as s:
        staff = [make_staff(s, Role.seller) for _ in range(4)]
        codes = [telegram_link.create_link_code(s, actor=actor_of(m)).code for m in staff]
    workers = make_engine(pg_engine.url.render_as_string(hide_password=False), pool_size=6)
    barrier = threading.Barrier(len(codes))
    outcomes: list[str] = []
    lock = threading.Lock()

    def use(code: str) -> None:
        barrier.wait()
        try:
            with Session(workers) as s:
                telegram_link.bind_telegram(s, code=code, telegram_id=BIG_TELEGRAM_ID)
            outcome = "ok"
        except DomainError as exc:
            outcome = exc.code
        with lock:
            outcomes.append(outcome)

    # when all four send their code from the same Telegram account at the same moment
    threads = [threading.Thread(target=use, args=(c,)) for c in codes]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    workers.dispose()
    # then exactly one staff member gets the account
    assert sorted(outcomes) == ["ok"] + ["staff.telegram_taken"] * 3
    with Session(pg_engine) as s:
        assert len(s.exec(select(Staff).where(Staff.telegram_id == BIG_TELEGRAM_ID)).all()) == 1


def test_bot_start_with_staff_link_binds_the_sender(settings, session_factory, session, fake_tg):
    # given a manager's link code
    manager = make_staff(session, Role.manager)
    code = telegram_link.create_link_code(session, actor=actor_of(manager), bot_username="smo_demo_bot")
    session.rollback()
    # when they open the deep link in Telegram (a raw /start update from a 64-bit id)
    feed(settings, session_factory, message_update(BIG_TELEGRAM_ID, f"/start {code.start_param}", lang="en"))
    # then their staff account is linked and the bot confirms in their language
    assert _telegram_id(session, manager.id) == BIG_TELEGRAM_ID
    [reply] = fake_tg.sent(BIG_TELEGRAM_ID)
    assert "Telegram is linked" in reply["params"]["text"] and manager.full_name in reply["params"]["text"]
    # and the staff commands now answer them (the broadcast draft and its controls)
    feed(settings, session_factory, message_update(BIG_TELEGRAM_ID, "/broadcast Hello", lang="en"))
    assert len(fake_tg.sent(BIG_TELEGRAM_ID)) == 3


def test_bot_refuses_a_used_code_with_a_translated_message(settings, session_factory, session, fake_tg):
    seller = make_staff(session, Role.seller)
    code = telegram_link.create_link_code(session, actor=actor_of(seller))
    session.rollback()
    feed(settings, session_factory, message_update(3101, f"/start {code.start_param}"))
    # when someone else sends the same code again
    feed(settings, session_factory, message_update(3102, f"/start {code.start_param}"))
    # then they are told (in Russian) that it was used or expired, and the first link stays
    [reply] = fake_tg.sent(3102)
    assert "Код привязки не подошёл" in reply["params"]["text"]
    assert _telegram_id(session, seller.id) == 3101
