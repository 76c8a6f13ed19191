"""Staff API tokens: issued by whoever manages the staff member, shown once, stored hashed, scoped by
both the token and the role, revocable, expiring; every call through the seam as the staff member."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from smo_app.calling import ApiTokenCaller, Seam, opener_from_factory
from smo_app.models.api_tokens import ApiToken
from smo_app.models.audit import AuditEntry
from smo_app.models.base import utcnow
from smo_app.models.staff import Role
from smo_app.services.core.errors import NotFound, PermissionDenied, ValidationFailed
from smo_app.services.core.permissions import Perm, can
from smo_app.services.sales import order_admin
from smo_app.services.staff import accounts as staff_accounts
from smo_app.services.staff import api_tokens
from tests.factories import make_staff


def _issue(session, actor, staff_id, scopes=("orders:read",), name="Accounting", days=30):
    return api_tokens.create_token(session, actor=actor, name=name, staff_id=staff_id, scopes=list(scopes), days=days)


def test_a_token_is_shown_once_and_stored_hashed(session):
    owner = make_staff(session, Role.owner)
    issued = _issue(session, owner.actor(), owner.id)
    row = session.exec(select(ApiToken)).one()
    assert issued.secret.startswith("smo_") and len(issued.secret) > 40
    assert issued.secret not in (row.token_hash, row.prefix) and row.token_hash == api_tokens.hash_secret(issued.secret)
    listed = api_tokens.list_tokens(session, actor=owner.actor())
    assert [(t.name, t.active, t.last_used_at) for t in listed] == [("Accounting", True, None)]
    assert "secret" not in listed[0].model_dump()
    assert "api_token.create" in session.exec(select(AuditEntry.action)).all()


def test_the_actor_has_only_what_both_role_and_scopes_allow(session):
    owner = make_staff(session, Role.owner)
    issued = _issue(session, owner.actor(), owner.id, scopes=("orders:read",))
    use = api_tokens.peek_token(session, secret=issued.secret)
    assert use is not None and use.actor.id == owner.id and "via API token Accounting" in use.actor.name
    assert can(use.actor, Perm.orders_view) and not can(use.actor, Perm.orders_manage)
    assert not can(use.actor, Perm.staff_manage)  # the owner may; the token may not


def test_a_scope_the_staff_members_role_lacks_is_refused(session):
    admin = make_staff(session, Role.admin)
    manager = make_staff(session, Role.manager)
    with pytest.raises(ValidationFailed) as exc:
        _issue(session, admin.actor(), manager.id, scopes=("analytics:read",))
    assert exc.value.code == "api_tokens.scope_not_in_role"
    assert session.exec(select(ApiToken)).all() == []


def test_an_admin_may_not_issue_a_token_acting_as_the_owner(session):
    owner = make_staff(session, Role.owner)
    admin = make_staff(session, Role.admin)
    with pytest.raises(PermissionDenied):
        _issue(session, admin.actor(), owner.id)
    manager = make_staff(session, Role.manager)
    with pytest.raises(PermissionDenied):
        _issue(session, manager.actor(), manager.id)  # a manager manages nobody's tokens


@pytest.mark.parametrize("name,scopes,days,code", [
    ("", ("orders:read",), 30, "api_tokens.name_invalid"),
    ("X", (), 30, "api_tokens.scopes_required"),
    ("X", ("orders:delete",), 30, "api_tokens.scope_unknown"),
    ("X", ("orders:read",), 0, "api_tokens.days_invalid"),
    ("X", ("orders:read",), 400, "api_tokens.days_invalid"),
    ("X", ("orders:read",), "soon", "api_tokens.days_invalid"),
])
def test_bad_input_is_refused_and_nothing_is_issued(session, name, scopes, days, code):
    owner = make_staff(session, Role.owner)
    with pytest.raises(ValidationFailed) as exc:
        _issue(session, owner.actor(), owner.id, name=name, scopes=scopes, days=days)
    assert exc.value.code == code
    assert session.exec(select(ApiToken)).all() == []


def test_a_live_name_is_not_issued_twice(session):
    owner = make_staff(session, Role.owner)
    _issue(session, owner.actor(), owner.id)
    with pytest.raises(ValidationFailed) as exc:
        _issue(session, owner.actor(), owner.id)
    assert exc.value.code == "api_tokens.name_taken"


def test_revoked_expired_and_deactivated_tokens_resolve_to_nobody(session):
    owner = make_staff(session, Role.owner)
    manager = make_staff(session, Role.manager)
    revoked = _issue(session, owner.actor(), owner.id, name="A")
    api_tokens.revoke_token(session, actor=owner.actor(), token_id=revoked.token.id)
    expiring = _issue(session, owner.actor(), owner.id, name="B", days=1)
    of_manager = _issue(session, owner.actor(), manager.id, name="C")

    staff_accounts.set_active(session, actor=owner.actor(), staff_id=manager.id, active=False)
    assert api_tokens.peek_token(session, secret=revoked.secret) is None
    assert api_tokens.peek_token(session, secret=expiring.secret, now=utcnow() + timedelta(days=2)) is None
    assert api_tokens.peek_token(session, secret=of_manager.secret) is None
    assert api_tokens.peek_token(session, secret="smo_nonsense") is None
    actions = session.exec(select(AuditEntry.action)).all()
    assert actions.count("api_token.revoke") == 1
    api_tokens.revoke_token(session, actor=owner.actor(), token_id=revoked.token.id)  # twice: audited once
    assert session.exec(select(AuditEntry.action)).all().count("api_token.revoke") == 1


def test_revoking_someone_elses_token_is_not_found(session):
    owner = make_staff(session, Role.owner)
    admin = make_staff(session, Role.admin)
    mine = _issue(session, owner.actor(), owner.id)
    with pytest.raises(NotFound):
        api_tokens.revoke_token(session, actor=admin.actor(), token_id=mine.token.id)
    assert api_tokens.list_tokens(session, actor=admin.actor()) == []


def test_calls_through_the_seam_act_as_the_staff_member_and_mark_the_token_used(engine, session):
    owner = make_staff(session, Role.owner)
    issued = _issue(session, owner.actor(), owner.id, scopes=("orders:read",))

    seam = Seam(opener_from_factory(lambda: Session(engine, expire_on_commit=False)), origin="api")
    out = seam.call(order_admin.list_orders, caller=ApiTokenCaller(issued.secret, scope="orders:read"),
                    readonly=True, tab="all")
    assert out.ok, out.error
    refused = seam.call(order_admin.list_orders, caller=ApiTokenCaller(issued.secret, scope="orders:write"),
                        readonly=True, tab="all")
    assert refused.code == "common.forbidden" and not refused.signed_out
    gone = seam.call(order_admin.list_orders, caller=ApiTokenCaller("smo_unknown", scope="orders:read"),
                     readonly=True, user_lang="en")
    assert gone.signed_out
    session.expire_all()
    assert api_tokens.list_tokens(session, actor=owner.actor())[0].last_used_at is not None


def test_the_demo_shop_has_the_printed_owner_token(session):
    from smo_app.demo.api_tokens import DEMO_API_TOKEN
    from tests.demo_support import demo_shop
    demo_shop(session)
    use = api_tokens.peek_token(session, secret=DEMO_API_TOKEN)
    assert use is not None and use.actor.role == Role.owner and set(use.scopes) == set(api_tokens.SCOPES)


def test_two_owners_naming_a_token_alike_at_once_get_one_token(pg_engine):
    from tests.race import run_at_once

    with Session(pg_engine, expire_on_commit=False) as s:
        owner = make_staff(s, Role.owner)
    outcomes = run_at_once(pg_engine, [
        lambda s: api_tokens.create_token(s, actor=owner.actor(), name="Склад", staff_id=owner.id,
                                          scopes=["stock:read"], days=30).token.id
        for _ in range(4)])
    assert sorted(o for o, _ in outcomes) == ["api_tokens.name_taken"] * 3 + ["ok"]
    with Session(pg_engine) as s:
        assert len(s.exec(select(ApiToken).where(ApiToken.name == "Склад")).all()) == 1


def test_two_posts_with_one_idempotency_key_at_once_write_once(pg_engine):
    from tests.race import run_at_once

    with Session(pg_engine, expire_on_commit=False) as s:
        owner = make_staff(s, Role.owner)
        secret = _issue(s, owner.actor(), owner.id).secret
    outcomes = run_at_once(pg_engine, [
        lambda s: api_tokens.claim_key(s, secret=secret, key="k-1", route="POST /api/v1/stock/write-offs")
        for _ in range(4)])
    assert sorted(o for o, _ in outcomes) == ["api.idempotency_in_progress"] * 3 + ["ok"]
    with Session(pg_engine) as s:
        api_tokens.remember_answer(s, secret=secret, key="k-1", status_code=201, body="{}")
        again = api_tokens.claim_key(s, secret=secret, key="k-1", route="POST /api/v1/stock/write-offs")
    assert again is not None and again.status_code == 201
