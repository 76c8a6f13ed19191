"""The dead-letter page state and the storefront's customer root state, without a browser."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlmodel import select

from smo_app.models.customer import Customer
from smo_app.models.integrations import DeadLetter
from smo_app.models.staff import Role
from smo_app.services.customers.telegram_init_data import sign_init_data
from smo_app.services.integrations.dead_letters import record_dead_letter
from smo_app.services.staff import auth
from smo_app.settings import reset_settings_cache
from tests.factories import PASSWORD, make_staff
from tests.ui.support import _call, _state

rx = pytest.importorskip("reflex")
BOT_TOKEN = "123456:AAtestTokenOfTheShopBot"


@pytest.fixture(autouse=True)
def _bot_token(monkeypatch):
    monkeypatch.setenv("SMO_BOT_TOKEN", BOT_TOKEN)
    reset_settings_cache()


def _letter(db) -> int:
    row = record_dead_letter(db, provider="yookassa", kind="webhook", reason="payment.unknown_order", reference="evt-1")
    db.commit()
    return row.id


def _signed_in(db, role: Role, username: str):
    from smo_app.state.dead_letters import DeadLetterState

    make_staff(db, role, username=username)
    s = _state(DeadLetterState)
    s.bo_token = auth.sign_in_password(db, username=username, password=PASSWORD).token
    s.lang = "en"
    return s


def test_an_admin_dismisses_a_dead_letter_only_with_a_reason(db):
    letter_id = _letter(db)
    s = _signed_in(db, Role.admin, "ada")
    _call(s, "load")
    assert [line["id"] for line in s.lines] == [letter_id] and s.can_resolve
    assert s.lines[0]["provider"] == "YooKassa"  # the provider's name, not its code
    # an empty reason is refused in words and changes nothing
    out = _call(s, "dismiss", {"id": str(letter_id), "note": "  "})
    assert "Give a reason" in str(out)
    assert db.get(DeadLetter, letter_id, populate_existing=True).resolved_at is None
    db.rollback()  # SQLite: let the page's own transaction write
    # with a reason it is closed and leaves the open list
    _call(s, "dismiss", {"id": str(letter_id), "note": "sandbox test payment"})
    assert s.lines == []
    _call(s, "set_show_resolved", True)
    assert s.lines[0]["resolution"] == "Dismissed" and s.lines[0]["note"] == "sandbox test payment"


def test_a_manager_reads_dead_letters_without_a_dismiss_button(db):
    _letter(db)
    s = _signed_in(db, Role.manager, "max")
    _call(s, "load")
    assert len(s.lines) == 1 and not s.can_resolve


def test_the_customer_root_state_is_not_under_the_staff_session_state():
    from smo_app.state.customer_session import CustomerSessionState
    from smo_app.state.session import SessionState

    assert CustomerSessionState.get_parent_state() is rx.State
    assert not issubclass(CustomerSessionState, SessionState)
    assert not {"bo_token", "pos_token", "staff_role", "allowed"} & set(CustomerSessionState.vars)


def _customer_of(state):
    """Who the server resolves the state's session cookie to (None: nobody)."""
    import asyncio

    from smo_app.services.customers.identity import whoami_customer

    out = asyncio.run(state.call(whoami_customer, readonly=True))
    return out.value if out.ok else None


def _init_data(user_id: int) -> str:
    return sign_init_data({"user": json.dumps({"id": user_id, "first_name": "Olga", "language_code": "ru"}),
                           "auth_date": str(int(datetime.now(timezone.utc).timestamp()))}, bot_token=BOT_TOKEN)


def test_the_mini_app_signs_in_with_init_data_and_the_server_resolves_the_customer(db):
    from smo_app.state.customer_session import CustomerSessionState

    s = _state(CustomerSessionState)
    _call(s, "sign_in_with_telegram", _init_data(777))
    token = s.customer_token
    assert s.signed_in and token and _customer_of(s).telegram_id == 777
    _call(s, "sign_out_customer")
    s.customer_token = token  # the revoked session is nobody's now
    assert _customer_of(s) is None and not s.signed_in


def test_forged_init_data_shows_a_translated_screen_and_creates_nobody(db):
    from smo_app.state.customer_session import CustomerSessionState

    s = _state(CustomerSessionState)
    forged = _init_data(778).replace("Olga", "Boss")
    _call(s, "sign_in_with_telegram", forged)
    assert not s.signed_in and s.customer_token == ""
    assert "Telegram" in s.sign_in_error
    assert db.exec(select(Customer)).all() == []


def test_demo_sign_in_works_only_in_demo_mode(db, monkeypatch):
    from smo_app.state.customer_session import CustomerSessionState

    s = _state(CustomerSessionState)
    _call(s, "sign_in_demo")
    assert not s.signed_in and s.sign_in_error and db.exec(select(Customer)).all() == []
    db.rollback()
    monkeypatch.setenv("SMO_DEMO", "1")
    monkeypatch.delenv("SMO_BOT_TOKEN")
    reset_settings_cache()
    _call(s, "sign_in_demo")
    assert s.signed_in and _customer_of(s).full_name == "Demo"


def test_the_erp_page_dismisses_a_sync_conflict_and_its_list_drops_it(db):
    from smo_app.state.erp import ErpState

    row = record_dead_letter(db, provider="moysklad", kind="stock", reason="erp.stock_conflict", reference="v-1")
    db.commit()
    make_staff(db, Role.owner, username="olga")
    s = _state(ErpState)
    s.bo_token = auth.sign_in_password(db, username="olga", password=PASSWORD).token
    s.lang = "en"
    _call(s, "load")
    assert [c["id"] for c in s.conflicts] == [row.id]
    assert _call(s, "dismiss", {"id": "not a number", "note": "x"}) is None  # a form naming no letter: nothing
    db.rollback()
    out = _call(s, "dismiss", {"id": str(row.id), "note": "counted by hand"})
    assert s.conflicts == [] and "dismissed" in str(out).lower()
    assert db.get(DeadLetter, row.id, populate_existing=True).resolution == "dismissed"
