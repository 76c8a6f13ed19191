"""Shop settings (owner only, validated, audited) and the outbox's queueing rules."""
import pytest
from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.models.outbox import Outbox
from smo_app.models.staff import Role
from smo_app.services.messaging import outbox
from smo_app.services.core import shop_config
from smo_app.services.staff import accounts as staff_service
from smo_app.services.core.errors import PermissionDenied, ValidationFailed
from tests.factories import make_customer, make_staff


def test_defaults_match_the_product(session):
    config = shop_config.get_config(session)
    assert config.auto_cancel_minutes == 15 and config.cashback_pct == 7 and not config.vacation_mode


def test_owner_changes_settings_and_each_change_is_audited(session):
    owner = make_staff(session, Role.owner)
    config = shop_config.update_config(session, actor=owner.actor(), changes={"vacation_mode": True, "cashback_pct": 5})
    assert config.vacation_mode and config.cashback_pct == 5
    assert shop_config.get_config(session).cashback_pct == 5
    entries = session.exec(select(AuditEntry).where(AuditEntry.action == "settings.change")).all()
    assert {(e.entity_id, e.before["value"], e.after["value"]) for e in entries} == {
        ("vacation_mode", False, True), ("cashback_pct", 7, 5)}


def test_bad_settings_change_nothing(session):
    owner = make_staff(session, Role.owner)
    with pytest.raises(ValidationFailed) as err:
        shop_config.update_config(session, actor=owner.actor(), changes={"cashback_pct": 150, "vacation_mode": True})
    assert err.value.code == "settings.invalid" and err.value.errors[0]["field"] == "cashback_pct"
    assert shop_config.get_config(session).vacation_mode is False


@pytest.mark.parametrize("role", [Role.admin, Role.manager, Role.seller])
def test_only_the_owner_changes_global_settings(session, role):
    someone = make_staff(session, role)
    with pytest.raises(PermissionDenied):
        shop_config.update_config(session, actor=someone.actor(), changes={"vacation_mode": True})


def test_outbox_dedupe_key_queues_a_message_once(session):
    customer = make_customer(session)
    first = outbox.enqueue_to_customer(session, customer=customer, kind="test", text="hi", dedupe_key="k1")
    session.commit()
    second = outbox.enqueue_to_customer(session, customer=customer, kind="test", text="hi", dedupe_key="k1")
    session.commit()
    assert first is not None and second is None
    assert len(session.exec(select(Outbox)).all()) == 1
    assert outbox.backlog(session) == {"pending": 1}


def test_unreachable_customers_are_not_queued(session):
    customer = make_customer(session, unreachable=True)
    assert outbox.enqueue_to_customer(session, customer=customer, kind="test", text="hi") is None


def test_staff_alerts_go_to_linked_owners_and_admins(session):
    owner = make_staff(session, Role.owner)
    admin = make_staff(session, Role.admin)
    make_staff(session, Role.manager)
    staff_service.set_telegram_id(session, actor=owner.actor(), staff_id=owner.id, telegram_id=5001)
    rows = outbox.enqueue_staff_alert(session, kind="staff_alert", text="low stock")
    session.commit()
    assert [r.chat_id for r in rows] == [5001]
    assert admin.telegram_id is None
