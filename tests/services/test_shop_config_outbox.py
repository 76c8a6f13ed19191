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


def test_a_seller_can_neither_read_waiting_messages_nor_requeue_dead_letters(session):
    from smo_app.models.outbox import OutboxStatus
    from smo_app.services.core.actor import Actor
    from smo_app.services.core.errors import PermissionDenied as Denied

    # given a dead letter, a seller and a manager
    row = outbox.enqueue_message(session, kind="test", chat_id=5002, text="secret order details")
    row.status = OutboxStatus.dead
    session.commit()
    seller = make_staff(session, Role.seller)
    manager = make_staff(session, Role.manager)
    as_seller = Actor.staff(seller.id, Role.seller)
    # when the seller asks for the waiting list or re-queues the dead letter, then both are refused
    with pytest.raises(Denied):
        outbox.list_waiting(session, actor=as_seller)
    with pytest.raises(Denied):
        outbox.retry_dead(session, actor=as_seller, outbox_id=row.id)
    session.rollback()
    assert session.get(Outbox, row.id).status == "dead"
    # while a manager (who runs broadcasts) may do both
    as_manager = Actor.staff(manager.id, Role.manager)
    assert [w.id for w in outbox.list_waiting(session, actor=as_manager)] == [row.id]
    outbox.retry_dead(session, actor=as_manager, outbox_id=row.id)
    assert session.get(Outbox, row.id).status == "pending"


def test_staff_alerts_are_written_in_each_members_language(session):
    from smo_app.models.staff import Staff
    from smo_app.services.messaging import staff_alerts

    # given an owner who reads Russian and a manager who reads English, both linked to Telegram
    owner = make_staff(session, Role.owner)
    manager = make_staff(session, Role.manager)
    staff_service.set_telegram_id(session, actor=owner.actor(), staff_id=owner.id, telegram_id=71001)
    staff_service.set_telegram_id(session, actor=owner.actor(), staff_id=manager.id, telegram_id=71002)
    session.get(Staff, manager.id).language = "en"
    session.commit()
    # when a new order is alerted
    staff_alerts.alert_new_order(session, order_id=12, total_minor=150000, customer_name="Anna & Co")
    session.commit()
    # then each got it in their own language, names escaped
    texts = dict(session.exec(select(Outbox.chat_id, Outbox.payload)).all())
    assert "Новый заказ №12" in texts[71001]["text"]
    assert texts[71002]["text"].startswith("🛒 New order #12") and "Anna &amp; Co" in texts[71002]["text"]
