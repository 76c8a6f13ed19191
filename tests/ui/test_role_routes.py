"""Every backoffice route × every role (and signed out) gets the page, the forbidden view or the
sign-in page as the role matrix says. The routes come from the registered pages, so a new page
is covered without editing this test."""
from __future__ import annotations

import pytest
from sqlmodel import Session

from smo_app import routes
from smo_app.db import dispose_engines
from smo_app.models.staff import Role
from smo_app.services.core.actor import Actor
from smo_app.services.core.permissions import Perm, can
from smo_app.services.staff import auth
from smo_app.settings import reset_settings_cache
from tests.factories import PASSWORD, PIN, make_staff
from tests.ui.support import _call

rx = pytest.importorskip("reflex")

# What PRODUCT.md's role table says in words, checked against the pages' permissions below.
OWNER_ONLY = {"/admin/settings"}
NOT_FOR_MANAGER = {"/admin/settings", "/admin/staff", "/admin/audit", "/admin/analytics"}
FOR_MANAGER = {"/admin/orders", "/admin/customers", "/admin/warehouse", "/admin/catalog", "/admin/broadcasts",
               "/admin/support"}


def backoffice_pages() -> list[tuple[str, str]]:
    """(route, permission) of every registered backoffice page, read from its guard event."""
    import smo_app.smo_app  # noqa: F401  (records every page)
    from smo_app.components.registry import PAGES

    found = []
    for spec in PAGES:
        route = spec["route"]
        if not route.startswith(routes.ADMIN) or route == routes.ADMIN_LOGIN:
            continue
        events = spec["on_load"] or []
        guard = events[0] if events else None
        assert guard is not None and guard.handler.fn.__name__ == "guard_backoffice", f"{route} has no guard first"
        args = {str(name): value._var_value for name, value in guard.args}
        assert args["route"] == route, f"{route} guards another route"
        found.append((route, args["perm"]))
    return found


PAGES_UNDER_TEST = backoffice_pages()


@pytest.fixture(scope="module")
def signed_in(sqlite_template, tmp_path_factory):
    """One database with a member of every role; their session tokens by role."""
    import os

    from smo_app.db import make_engine
    from tests import db_support

    engine = make_engine(db_support.fresh_sqlite_url(sqlite_template, tmp_path_factory.mktemp("roles")))
    old = os.environ.get("SMO_DATABASE_URL")
    os.environ["SMO_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
    reset_settings_cache()
    tokens = {}
    with Session(engine, expire_on_commit=False) as s:
        for role in Role:
            make_staff(s, role, username=f"r_{role.value}")
            if role == Role.seller:
                tokens[role] = ("pos", auth.sign_in_pin(s, username=f"r_{role.value}", pin=PIN).token)
            else:
                tokens[role] = ("bo", auth.sign_in_password(s, username=f"r_{role.value}", password=PASSWORD).token)
    yield tokens
    if old is None:
        os.environ.pop("SMO_DATABASE_URL", None)
    else:
        os.environ["SMO_DATABASE_URL"] = old
    reset_settings_cache()
    dispose_engines()
    engine.dispose()


def _fresh_session_state():
    from smo_app.state.session import SessionState

    root = rx.State(_reflex_internal_init=True)
    return root.get_substate(SessionState.get_full_name().split(".")[1:])


def _guard(state, route: str, perm: str):
    return _call(state, "guard_backoffice", route, perm)


def test_the_matrix_in_words_matches_the_pages():
    perms = dict(PAGES_UNDER_TEST)
    assert {a.route for a in routes.AREAS} | {routes.ADMIN} <= set(perms)  # every listed area has its page
    for route in OWNER_ONLY & set(perms):
        assert [r for r in Role if can(Actor.staff(1, r), Perm(perms[route]))] == [Role.owner], route
    for route in NOT_FOR_MANAGER & set(perms):
        assert not can(Actor.staff(1, Role.manager), Perm(perms[route])), route
    for route in FOR_MANAGER & set(perms):
        assert can(Actor.staff(1, Role.manager), Perm(perms[route])), route


@pytest.mark.parametrize(("route", "perm"), PAGES_UNDER_TEST)
def test_signed_out_goes_to_the_sign_in_page(signed_in, route, perm):
    state = _fresh_session_state()
    out = _guard(state, route, perm)
    assert out is not None and f'"{routes.ADMIN_LOGIN}"' in str(out.args)
    assert state.granted == "" and state.denied == ""


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize(("route", "perm"), PAGES_UNDER_TEST)
def test_each_role_gets_the_page_or_the_forbidden_view(signed_in, role, route, perm):
    # given a member of the role signed in (a seller only on the POS)
    channel, token = signed_in[role]
    state = _fresh_session_state()
    if channel == "bo":
        state.bo_token = token
    else:
        state.pos_token = token
    # when the page's guard runs
    out = _guard(state, route, perm)
    # then the page opens exactly when the role holds backoffice access and the page's permission
    actor = Actor.staff(1, role)
    allowed = can(actor, Perm.backoffice_access) and can(actor, Perm(perm))
    assert out is None
    if allowed:
        assert (state.granted, state.denied) == (route, "")
    else:
        assert (state.granted, state.denied) == ("", route)
        assert state.back_route == (routes.POS if role == Role.seller else routes.ADMIN)
