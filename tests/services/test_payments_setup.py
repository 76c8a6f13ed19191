"""The owner's transfer details and SBP link: validated all or nothing, audited, shown to the
customer on the order with the comment naming the order."""
from __future__ import annotations

import pytest
from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.services.core.errors import DomainError, PermissionDenied
from smo_app.services.payments.core import payment_view
from smo_app.services.payments.setup import TransferIn, get_transfer, save_transfer
from tests.factories import make_staff
from tests.payments_support import customer_of, order_for, settings, shop

GOOD = dict(recipient="ИП Петрова А. А.", bank="Т-Банк", account="2202 2000 1234 5678",
            comment="Заказ №{order}", sbp_link="https://qr.nspk.ru/AS1000670LSS7DN18SJQDNP4B05KLJL2", review_minutes="20")


def test_the_owner_enters_transfer_details_and_the_customer_sees_them_on_the_order(session):
    owner = make_staff(session, "owner").actor()
    # when the owner saves the details
    saved = save_transfer(session, actor=owner, data=TransferIn(**GOOD))
    assert saved.account == "2202200012345678" and get_transfer(session, actor=owner).bank == "Т-Банк"
    [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "settings.payments_transfer")).all()
    assert entry.after["recipient"] == "ИП Петрова А. А."
    # then a customer's order shows them, the comment naming that order
    vid, customer = shop(session)
    order = order_for(session, vid, customer)
    view = payment_view(session, actor=customer_of(order), order_id=order.id, settings=settings())
    t = view.transfer
    assert (t.recipient, t.account, t.comment, t.review_minutes) == ("ИП Петрова А. А.", "2202200012345678",
                                                                    f"Заказ №{order.id}", 20)
    assert t.sbp_link.startswith("https://qr.nspk.ru/")
    # and with transfers switched off the order shows none
    off = payment_view(session, actor=customer_of(order), order_id=order.id,
                       settings=settings(payment_methods="yookassa"))
    assert off.transfer is None


@pytest.mark.parametrize("field, value, code", [
    ("account", "12ab", "payment.setup.account_invalid"),
    ("sbp_link", "http://qr.nspk.ru/x", "payment.setup.link_invalid"),
    ("comment", "Заказ {id}", "payment.setup.comment_invalid"),
    ("review_minutes", "0", "payment.setup.minutes_invalid"),
    ("recipient", "", "payment.setup.recipient_and_account"),
])
def test_bad_input_is_refused_by_field_and_changes_nothing(session, field, value, code):
    owner = make_staff(session, "owner").actor()
    save_transfer(session, actor=owner, data=TransferIn(**GOOD))
    with pytest.raises(DomainError) as err:
        save_transfer(session, actor=owner, data=TransferIn(**{**GOOD, "bank": "Другой", field: value}))
    assert err.value.code == code
    assert get_transfer(session, actor=owner).bank == "Т-Банк"


def test_only_the_owner_sets_them_up(session):
    admin = make_staff(session, "admin").actor()
    with pytest.raises(PermissionDenied):
        save_transfer(session, actor=admin, data=TransferIn(**GOOD))
