"""Page guards and thin states, run without a browser against a migrated SQLite file.

Each event handler is called as Reflex would call it, on a fresh state tree.
"""
from __future__ import annotations

import pytest
from sqlmodel import Session, select

from smo_app import routes
from smo_app.models.audit import AuditEntry
from smo_app.models.staff import Role, Staff
from smo_app.services.staff import auth
from tests.factories import PASSWORD, PIN, make_staff
from tests.ui.support import _call, _state

rx = pytest.importorskip("reflex")


def _is_redirect_to(spec, path: str) -> bool:
    return spec is not None and f'"{path}"' in str(spec.args)


def test_not_signed_in_is_sent_to_the_sign_in_page(db):
    from smo_app.state.session import SessionState

    s = _state(SessionState)
    out = _call(s, "guard_backoffice", routes.STAFF, "staff.manage")
    assert _is_redirect_to(out, routes.ADMIN_LOGIN)
    assert s.granted == "" and s.denied == ""


def test_a_seller_from_the_pos_is_forbidden_the_backoffice(db):
    from smo_app.state.session import SessionState

    make_staff(db, Role.seller, username="sam")
    s = _state(SessionState)
    s.pos_token = auth.sign_in_pin(db, username="sam", pin=PIN).token
    for route, perm in ((routes.ADMIN, "backoffice.access"), (routes.STAFF, "staff.manage")):
        assert _call(s, "guard_backoffice", route, perm) is None
        assert (s.granted, s.denied, s.back_route) == ("", route, routes.POS)
        assert s.allowed == []


def test_an_admin_gets_staff_but_not_settings_and_the_nav_follows_the_role(db):
    from smo_app.state.session import SessionState

    make_staff(db, Role.admin, username="ada")
    s = _state(SessionState)
    s.bo_token = auth.sign_in_password(db, username="ada", password=PASSWORD).token
    _call(s, "guard_backoffice", routes.STAFF, "staff.manage")
    assert s.granted == routes.STAFF and s.denied == ""
    assert routes.AUDIT in s.allowed and "/admin/settings" not in s.allowed
    _call(s, "guard_backoffice", "/admin/settings", "settings.manage")
    assert s.granted == "" and s.denied == "/admin/settings" and s.back_route == routes.ADMIN


def test_a_pos_token_put_into_the_backoffice_cookie_opens_nothing(db):
    from smo_app.state.session import SessionState

    make_staff(db, Role.owner, username="olga")
    s = _state(SessionState)
    s.bo_token = auth.sign_in_pin(db, username="olga", pin=PIN).token  # PIN session, wrong cookie
    assert _is_redirect_to(_call(s, "guard_backoffice", routes.ADMIN, "backoffice.access"), routes.ADMIN_LOGIN)
    assert s.granted == ""


def test_a_revoked_session_is_sent_back_to_sign_in(db):
    from smo_app.state.session import SessionState

    make_staff(db, Role.owner, username="olga")
    s = _state(SessionState)
    s.bo_token = auth.sign_in_password(db, username="olga", password=PASSWORD).token
    _call(s, "guard_backoffice", routes.ADMIN, "backoffice.access")
    assert s.granted == routes.ADMIN
    _call(s, "sign_out_backoffice")
    assert s.bo_token == ""
    s.bo_token = "stale-token"
    assert _is_redirect_to(_call(s, "guard_backoffice", routes.ADMIN, "backoffice.access"), routes.ADMIN_LOGIN)


def test_wrong_password_shows_translated_text_and_is_audited(db):
    from smo_app.state.login import LoginState

    make_staff(db, Role.admin, username="ada")
    s = _state(LoginState)
    s.lang = "en"
    assert _call(s, "submit", {"username": "ada", "password": "wrong-one"}) is None
    assert s.message == "Wrong username or password."
    assert s.bo_token == ""
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "auth.sign_in_failed")).first() is not None


def test_bad_staff_input_changes_nothing_and_says_why(db):
    from smo_app.state.staff import StaffState

    make_staff(db, Role.owner, username="olga")
    s = _state(StaffState)
    s.bo_token = auth.sign_in_password(db, username="olga", password=PASSWORD).token
    _call(s, "load")
    before = len(s.rows)
    s.form_role = "manager"
    _call(s, "create", {"username": "mx", "full_name": "Max", "password": "short"})
    assert s.form_error.startswith("Логин")  # "mx" is too short: the first problem is reported
    _call(s, "create", {"username": "maxim", "full_name": "Max", "password": "short"})
    assert s.form_error == "Пароль должен быть не короче 8 символов."
    assert len(s.rows) == before
    assert db.exec(select(Staff).where(Staff.username == "maxim")).first() is None


def test_the_pin_pad_keeps_digits_on_the_server_only(db):
    from smo_app.state.pos import PosLoginState

    make_staff(db, Role.seller, username="sam")
    s = _state(PosLoginState)
    _call(s, "open")
    assert [t["username"] for t in s.sellers] == ["sam"]
    _call(s, "choose", "sam", "Test Seller")
    for d in PIN:
        _call(s, "press", d)
    assert s.pin_len == len(PIN)
    assert PIN not in str(s.dict())  # the typed PIN never reaches a client var
    out = _call(s, "submit")
    assert _is_redirect_to(out, routes.POS)
    assert auth.resolve_channel_session(db, token=s.pos_token, channel="pos").username == "sam"


def test_a_seller_already_signed_in_on_the_tablet_skips_the_pin_pad(db):
    from smo_app.state.pos import PosLoginState

    make_staff(db, Role.seller, username="sid")
    s = _state(PosLoginState)
    assert _call(s, "open") is None  # nobody signed in: tiles and PIN pad
    s.pos_token = auth.sign_in_pin(db, username="sid", pin=PIN).token
    assert _is_redirect_to(_call(s, "open"), routes.POS)


def test_the_storefront_shows_the_shop_name_from_the_owners_settings(db):
    from smo_app.services.core import shop_config
    from smo_app.state.storefront import StoreState

    owner = make_staff(db, Role.owner)
    shop_config.update_config(db, actor=owner.actor(), changes={"shop_name": "Лавка ароматов"})
    s = _state(StoreState)
    _call(s, "open")
    assert s.shop_name == "Лавка ароматов"
    assert s.bot_url == "https://t.me/smo_demo_bot"  # where the front page sends a customer


def test_broadcast_days_must_be_a_number_and_preview_needs_a_linked_telegram(db):
    from smo_app.models.outbox import Outbox
    from smo_app.services.staff import accounts as staff_service
    from smo_app.state.broadcasts import BroadcastsState

    owner = make_staff(db, Role.owner, username="own")
    s = _state(BroadcastsState)
    s.bo_token = auth.sign_in_password(db, username="own", password=PASSWORD).token
    # a non-number in "days" is refused with a message and creates nothing
    s.segment = "new"
    _call(s, "create", {"text": "Hello", "days": "ten"})
    assert "1 до 3650" in s.message and s.lines == []
    # a proper draft is created
    s.segment = "all"
    _call(s, "create", {"text": "Hello", "days": ""})
    assert s.message == "" and len(s.lines) == 1 and s.lines[0]["status_key"] == "ui.bcast.status.draft"
    # times are shown in the shop's time zone (Moscow, UTC+3), not UTC
    from datetime import datetime, timedelta, timezone

    created = datetime.strptime(s.lines[0]["created"], "%d.%m.%Y %H:%M")  # as Russian writes it
    moscow_now = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(hours=3)
    assert abs((moscow_now - created).total_seconds()) < 120
    bid = s.lines[0]["id"]
    # preview without a linked Telegram says what to do
    _call(s, "preview", bid)
    assert "Telegram" in s.message
    # with a linked Telegram the preview is queued to that chat
    staff_service.set_telegram_id(db, actor=owner.actor(), staff_id=owner.id, telegram_id=777)
    _call(s, "preview", bid)
    assert s.message == "" and s.notice
    db.expire_all()
    assert [o.chat_id for o in db.exec(select(Outbox).where(Outbox.kind == "broadcast_preview")).all()] == [777]
