"""Mini App sign-in (Telegram initData), customer sessions and the loyalty QR token."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode

import pytest
from sqlmodel import func, select

from smo_app.models.customer import Customer
from smo_app.models.customer_session import CustomerSession
from smo_app.services.core.errors import DomainError
from smo_app.services.customers import sessions
from smo_app.models.staff import Role
from smo_app.services.core.actor import Actor
from smo_app.services.customers.loyalty_qr import customer_for_loyalty_token, issue_loyalty_token, resolve_loyalty_token
from smo_app.services.customers.telegram_init_data import sign_init_data, verify_init_data
from tests.factories import make_customer, make_staff

BOT_TOKEN = "123456:AAtestTokenOfTheShopBot"
OTHER_BOT = "654321:BBanotherBotsToken"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
DAY = timedelta(hours=24)
SECRET = "test-secret-key-0123456789abcdef"


def _init_data(*, user_id=424242, auth_date=NOW - timedelta(minutes=1), token=BOT_TOKEN, **extra) -> str:
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": user_id, "first_name": "Anna", "last_name": "K", "username": "anna_k",
                            "language_code": "en"}, separators=(",", ":")),
        "auth_date": str(int(auth_date.timestamp())),
        **extra,
    }
    return sign_init_data(fields, bot_token=token)


def _tamper(init_data: str, key: str, value: str) -> str:
    fields = dict(parse_qsl(init_data))
    fields[key] = value
    return urlencode(fields)


def _counts(session) -> tuple[int, int]:
    out = (session.exec(select(func.count()).select_from(Customer)).one(),
           session.exec(select(func.count()).select_from(CustomerSession)).one())
    session.rollback()
    return out


def test_valid_init_data_is_verified():
    data = verify_init_data(_init_data(start_param="p5"), bot_token=BOT_TOKEN, max_age=DAY, now=NOW)
    assert data.user.id == 424242 and data.user.full_name == "Anna K" and data.start_param == "p5"


REFUSED = {
    "wrong hash": (lambda: _tamper(_init_data(), "hash", "0" * 64), "identity.init_data_invalid"),
    "one field tampered": (lambda: _tamper(_init_data(), "user", json.dumps({"id": 1, "first_name": "Boss"})),
                           "identity.init_data_invalid"),
    "expired": (lambda: _init_data(auth_date=NOW - DAY - timedelta(seconds=1)), "identity.init_data_expired"),
    "missing hash": (lambda: urlencode({k: v for k, v in parse_qsl(_init_data()) if k != "hash"}),
                     "identity.init_data_invalid"),
    "another bot's token": (lambda: _init_data(token=OTHER_BOT), "identity.init_data_invalid"),
    "nothing at all": (lambda: "", "identity.init_data_missing"),
    "auth date far in the future": (lambda: _init_data(auth_date=NOW + timedelta(hours=1)), "identity.init_data_invalid"),
    "a repeated field": (lambda: _init_data() + "&auth_date=1", "identity.init_data_invalid"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_forged_tampered_or_expired_init_data_is_refused(case):
    make, code = REFUSED[case]
    with pytest.raises(DomainError) as err:
        verify_init_data(make(), bot_token=BOT_TOKEN, max_age=DAY, now=NOW)
    assert err.value.code == code


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_refused_sign_in_writes_nothing(session, case):
    make, code = REFUSED[case]
    with pytest.raises(DomainError) as err:
        sessions.sign_in_with_init_data(session, init_data=make(), bot_token=BOT_TOKEN, max_age=DAY, now=NOW)
    assert err.value.code == code
    assert _counts(session) == (0, 0)


def test_sign_in_registers_the_customer_binds_a_session_and_follows_the_deep_link(session):
    # given an inviter and init data opened from their referral link
    inviter = make_customer(session)
    # when the Mini App signs in
    signed = sessions.sign_in_with_init_data(session, init_data=_init_data(start_param=f"ref{inviter.id}"),
                                             bot_token=BOT_TOKEN, max_age=DAY, now=NOW)
    # then the customer exists with the Telegram profile, bound to the inviter, and the token resolves
    assert signed.is_new and signed.start.inviter_bound
    assert signed.customer.telegram_id == 424242 and signed.customer.language == "en"
    assert sessions.resolve_customer_session(session, token=signed.token, now=NOW).id == signed.customer.id
    # and the database keeps only the token's hash
    row = session.exec(select(CustomerSession)).one()
    assert row.token_hash != signed.token and len(row.token_hash) == 64
    # and signing in again updates the same customer
    again = sessions.sign_in_with_init_data(session, init_data=_init_data(), bot_token=BOT_TOKEN, max_age=DAY, now=NOW)
    assert not again.is_new and again.customer.id == signed.customer.id
    assert _counts(session) == (2, 2)


def test_a_session_ends_on_sign_out_and_on_expiry(session):
    customer = make_customer(session)
    token = sessions.start_customer_session(session, customer_id=customer.id, ttl=timedelta(hours=1), now=NOW)
    assert sessions.resolve_customer_session(session, token=token, now=NOW + timedelta(minutes=59)).id == customer.id
    assert sessions.resolve_customer_session(session, token=token, now=NOW + timedelta(hours=1)) is None
    assert sessions.resolve_customer_session(session, token="made-up", now=NOW) is None
    other = sessions.start_customer_session(session, customer_id=customer.id, now=NOW)
    sessions.end_customer_session(session, token=other)
    assert sessions.resolve_customer_session(session, token=other, now=NOW) is None
    with pytest.raises(DomainError):
        sessions.start_customer_session(session, customer_id=999_999)


def test_peeking_at_a_session_reads_only_refuses_dead_ones_and_stamps_last_seen_now_and_then(session):
    # given a customer signed in a minute ago
    customer = make_customer(session)
    token = sessions.start_customer_session(session, customer_id=customer.id, ttl=timedelta(hours=1), now=NOW)
    # when the Mini App peeks at the session a minute later
    found, stale = sessions.peek_customer_session(session, token=token, now=NOW + timedelta(minutes=1))
    # then the customer is resolved, nothing needs writing, and nothing was written
    assert found.id == customer.id and stale is False
    assert not session.dirty and not session.new
    # and ten minutes later the stamp is due; touching writes it once, concurrent touches change nothing more
    assert sessions.peek_customer_session(session, token=token, now=NOW + timedelta(minutes=10))[1] is True
    sessions.touch_customer_session(session, token=token, now=NOW + timedelta(minutes=10))
    sessions.touch_customer_session(session, token=token, now=NOW + timedelta(minutes=10, seconds=5))
    session.expire_all()
    assert session.exec(select(CustomerSession)).one().last_seen_at == NOW + timedelta(minutes=10)
    assert sessions.peek_customer_session(session, token=token, now=NOW + timedelta(minutes=11))[1] is False
    # and an expired, a revoked or an unknown session is refused
    assert sessions.peek_customer_session(session, token=token, now=NOW + timedelta(hours=1)) == (None, False)
    sessions.end_customer_session(session, token=token)
    assert sessions.peek_customer_session(session, token=token, now=NOW + timedelta(minutes=12)) == (None, False)
    assert sessions.peek_customer_session(session, token="made-up", now=NOW) == (None, False)
    assert sessions.peek_customer_session(session, token="", now=NOW) == (None, False)


def test_a_loyalty_qr_names_the_customer_only_while_fresh_and_untouched():
    token = issue_loyalty_token(17, NOW, secret_key=SECRET)
    # the POS resolves it within the TTL
    assert resolve_loyalty_token(token, NOW + timedelta(minutes=4), secret_key=SECRET, ttl=timedelta(minutes=5)) == 17
    # an old one, another customer's id pasted in, another shop's key, or a bare id are refused
    cases = [
        (token, NOW + timedelta(minutes=6), SECRET, "loyalty.qr_expired"),
        (token.replace("v1.17.", "v1.18."), NOW, SECRET, "loyalty.qr_invalid"),
        (token, NOW, "another-shop-secret-key-0000", "loyalty.qr_invalid"),
        ("17", NOW, SECRET, "loyalty.qr_invalid"),
    ]
    for candidate, when, key, code in cases:
        with pytest.raises(DomainError) as err:
            resolve_loyalty_token(candidate, when, secret_key=key, ttl=timedelta(minutes=5))
        assert err.value.code == code


def test_the_loyalty_qr_uses_the_shops_secret_key_by_default():
    token = issue_loyalty_token(5, NOW)
    assert resolve_loyalty_token(token, NOW + timedelta(seconds=10)) == 5


def test_a_seller_scanning_the_qr_finds_the_customer_and_a_customer_cannot(session):
    customer = make_customer(session)
    seller = make_staff(session, Role.seller)
    token = issue_loyalty_token(customer.id, datetime.now(timezone.utc))
    assert customer_for_loyalty_token(session, actor=seller.actor(), token=token).id == customer.id
    with pytest.raises(DomainError) as err:
        customer_for_loyalty_token(session, actor=Actor.customer(customer.id), token=token)
    assert err.value.code == "common.forbidden"
    with pytest.raises(DomainError) as err:
        customer_for_loyalty_token(session, actor=seller.actor(), token=issue_loyalty_token(999_999, datetime.now(timezone.utc)))
    assert err.value.code == "loyalty.qr_invalid"
