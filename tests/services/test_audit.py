"""The audit log: append-only, filterable, visible to owner and admin only."""
from datetime import timedelta

import pytest
from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.models.base import utcnow
from smo_app.models.staff import Role
from smo_app.services.core import audit
from smo_app.services.staff import auth
from smo_app.services.core.errors import DomainError, PermissionDenied
from tests.factories import PASSWORD, make_staff


def test_entries_cannot_be_edited_or_deleted(session):
    owner = make_staff(session, Role.owner)
    entry = session.exec(select(AuditEntry)).first()
    entry.action = "tampered"
    session.add(entry)
    with pytest.raises(RuntimeError):
        session.flush()
    session.rollback()
    entry = session.exec(select(AuditEntry)).first()
    session.delete(entry)
    with pytest.raises(RuntimeError):
        session.flush()
    session.rollback()
    assert owner


def test_filters_by_actor_action_and_date(session):
    owner = make_staff(session, Role.owner, username="ownr")
    make_staff(session, Role.admin, username="admn")
    auth.sign_in_password(session, username="admn", password=PASSWORD)
    with pytest.raises(DomainError):
        auth.sign_in_password(session, username="admn", password="wrong-pass")
    page = audit.list_entries(session, actor=owner.actor(), action="auth.sign_in_failed")
    assert page.total == 1 and page.rows[0].after["username"] == "admn"
    page = audit.list_entries(session, actor=owner.actor(), actor_name="test admin")
    assert {r.action for r in page.rows} == {"auth.sign_in"}
    today = utcnow().astimezone(__import__("zoneinfo").ZoneInfo("Europe/Moscow")).date()
    assert audit.list_entries(session, actor=owner.actor(), date_from=today).total >= 3
    assert audit.list_entries(session, actor=owner.actor(), date_to=today - timedelta(days=1)).total == 0


@pytest.mark.parametrize("role", [Role.manager, Role.seller])
def test_only_owner_and_admin_read_the_log(session, role):
    someone = make_staff(session, role)
    with pytest.raises(PermissionDenied):
        audit.list_entries(session, actor=someone.actor())
