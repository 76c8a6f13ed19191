"""The API tokens page's state: issue (secret shown once), refusals shown in the form, revoke; add
and remove a webhook subscriber — as Reflex runs the handlers, against a migrated SQLite file."""
from __future__ import annotations

import pytest

from smo_app.models.staff import Role
from smo_app.services.staff import auth
from tests.factories import PASSWORD, make_staff
from tests.ui.support import _call, _state

rx = pytest.importorskip("reflex")


def _signed_in(db):
    from smo_app.state.api_tokens import ApiTokensState

    make_staff(db, Role.owner, username="olga")
    s = _state(ApiTokensState)
    s.bo_token = auth.sign_in_password(db, username="olga", password=PASSWORD).token
    _call(s, "load")
    return s


def test_a_token_is_issued_shown_once_and_revoked(db):
    s = _signed_in(db)
    assert s.form_staff and "orders:read" in s.scope_names
    _call(s, "create", {"name": "Бухгалтерия", "days": "30"})
    assert s.form_error == "Отметьте хотя бы одно право доступа." and s.rows == []
    _call(s, "toggle_scope", "orders:read", True)
    _call(s, "create", {"name": "Бухгалтерия", "days": "30"})
    assert s.form_error == "" and s.secret.startswith("smo_")
    assert [(r.name, r.state, r.scopes) for r in s.rows] == [("Бухгалтерия", "active", "orders:read")]
    _call(s, "forget_secret")
    assert s.secret == ""
    _call(s, "revoke", s.rows[0].id)
    assert s.rows[0].state == "revoked"


def test_a_webhook_is_added_with_its_key_shown_once_and_removed(db):
    s = _signed_in(db)
    _call(s, "add_hook", {"url": "not a url"})
    assert s.hook_error.startswith("Адрес") and s.hooks == []
    _call(s, "toggle_event", "order.paid", True)
    _call(s, "add_hook", {"url": "https://example.test/hook"})
    assert s.hook_error == "" and s.secret.startswith("whsec_") and s.secret_is_hook
    assert [(h.url, h.events) for h in s.hooks] == [("https://example.test/hook", "order.paid")]
    _call(s, "remove_hook", s.hooks[0].id)
    assert s.hooks == []
