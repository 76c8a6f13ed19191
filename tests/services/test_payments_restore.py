"""A transfer confirmed for an order that was cancelled by hand anyway: staff can bring the order back
as paid (its stock taken again through the ledger) when the goods are still there — all or nothing,
audited, once — else only the refund is offered, with the reason."""
from __future__ import annotations

from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.models.catalog import Variant
from smo_app.models.orders import Order
from smo_app.models.payments import Payment
from smo_app.models.stock import StockMove
from smo_app.services.core.errors import DomainError
from smo_app.services.customers import loyalty
from smo_app.services.payments.admin import list_payment_letters, resolve_payment_letter
from smo_app.services.payments.manual import decide_manual_payment, submit_proof
from smo_app.services.sales import orders
from smo_app.services.stock import ledger
from smo_app.services.core.actor import Actor
from tests.factories import make_staff
from tests.payments_support import customer_of, order_for, settings, shop
from tests.race import run_at_once

import pytest

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _paid_after_cancel(session, *, qty: int = 5, bonus: int = 0):
    """An order of 1 unit whose transfer screenshot is confirmed after staff cancelled the order."""
    vid, customer = shop(session, qty=qty)
    if bonus:
        loyalty.adjust_bonuses(session, actor=Actor.system("test"), customer_id=customer.id, delta_minor=bonus,
                               note="gift")
    order = order_for(session, vid, customer, bonus_minor=bonus)
    sent = submit_proof(session, actor=customer_of(order), order_id=order.id, filename="pay.png", content=PNG,
                        settings=settings())
    admin = make_staff(session, "admin").actor()
    orders.cancel_order(session, actor=admin, order_id=order.id, reason="customer did not answer")
    out = decide_manual_payment(session, actor=admin, payment_id=sent.id, accept=True)
    assert (out.outcome, out.reason) == ("dead", "payment.order_cancelled")
    [letter] = [i for i in list_payment_letters(session, actor=admin) if i.order_id == order.id]
    return vid, order, sent, admin, letter


def _qty(session, vid) -> int:
    session.expire_all()
    qty = session.get(Variant, vid).qty
    session.rollback()
    return qty


def _read(session, model, key):
    session.expire_all()
    row = session.get(model, key)
    session.rollback()
    return row


def test_a_cancelled_order_whose_transfer_is_confirmed_comes_back_as_paid(session):
    vid, order, sent, admin, letter = _paid_after_cancel(session)
    # given the Payments screen offers to restore it (the goods are still there)
    assert letter.can_restore and letter.restore_blocked is None and letter.refundable
    before = _qty(session, vid)
    # when the admin restores it
    resolve_payment_letter(session, actor=admin, dead_letter_id=letter.letter.id, action="restore", note="paid after all")
    # then the order is paid again, the unit is taken again through the stock ledger, the payment credited
    assert _read(session, Order, order.id).status == "paid"
    assert _qty(session, vid) == before - 1
    moves = session.exec(select(StockMove.kind).where(StockMove.order_id == order.id).order_by(StockMove.id)).all()
    assert moves == ["sale", "restock", "sale"]
    assert _read(session, Payment, sent.id).status == "succeeded"
    actions = set(session.exec(select(AuditEntry.action).where(AuditEntry.note == "paid after all")).all())
    assert {"order.restore", "payment.restore_order"} <= actions
    # and the letter is resolved; a second press changes nothing
    assert not [i for i in list_payment_letters(session, actor=admin) if i.order_id == order.id]
    with pytest.raises(DomainError):
        resolve_payment_letter(session, actor=admin, dead_letter_id=letter.letter.id, action="restore", note="again")
    assert _qty(session, vid) == before - 1


def test_no_stock_left_means_only_the_refund_is_offered_and_a_restore_changes_nothing(session):
    vid, order, sent, admin, letter = _paid_after_cancel(session, qty=1)
    # given the last unit was sold to someone else after the cancel
    ledger.apply_move(session, actor=Actor.system("pos"), variant_id=vid, delta=-1, kind="sale")
    session.commit()
    [letter] = [i for i in list_payment_letters(session, actor=admin) if i.order_id == order.id]
    assert not letter.can_restore and letter.restore_blocked == "order.restore_no_stock" and letter.refundable
    # when someone restores it anyway (an old screen)
    with pytest.raises(DomainError) as err:
        resolve_payment_letter(session, actor=admin, dead_letter_id=letter.letter.id, action="restore", note="try")
    # then nothing moved: the order stays cancelled, the payment not credited, stock 0
    assert err.value.code in ("order.restore_no_stock", "stock.insufficient")
    assert _read(session, Order, order.id).status == "cancelled"
    assert _read(session, Payment, sent.id).status == "unmatched"
    assert _qty(session, vid) == 0


def test_an_order_that_spent_bonuses_is_not_restored_the_money_goes_back(session):
    # the cancel gave the bonuses back to the customer: restoring would sell at the old price twice over
    vid, order, sent, admin, letter = _paid_after_cancel(session, bonus=5000)
    assert not letter.can_restore and letter.restore_blocked == "order.restore_had_discounts" and letter.refundable
    with pytest.raises(DomainError) as err:
        resolve_payment_letter(session, actor=admin, dead_letter_id=letter.letter.id, action="restore", note="try")
    assert err.value.code == "order.restore_had_discounts"
    assert _read(session, Order, order.id).status == "cancelled"


def test_the_state_machine_keeps_cancelled_final_for_ordinary_moves(session):
    vid, order, sent, admin, letter = _paid_after_cancel(session)
    with pytest.raises(DomainError) as err:
        orders.mark_paid(session, actor=admin, order_id=order.id, reason="by hand")
    assert err.value.code == "order.transition_forbidden"
    assert all(a.action != "restore" for a in orders.allowed_actions(admin, _read(session, Order, order.id)))


def test_restores_racing_each_other_and_a_sale_of_the_last_unit_move_stock_once(engine, session):
    """Each round, on separate connections: two restores of the same order and a till selling the last
    unit. Either the order is paid with the unit taken once, or the till got it and the order stays
    cancelled; stock never goes below zero and the payment is credited at most once."""
    for _ in range(3):
        vid, order, sent, admin, letter = _paid_after_cancel(session, qty=1)
        assert _qty(session, vid) == 1

        def restore(s):
            return resolve_payment_letter(s, actor=admin, dead_letter_id=letter.letter.id, action="restore",
                                          note="race")

        def sell(s):
            ledger.apply_move(s, actor=Actor.system("pos"), variant_id=vid, delta=-1, kind="sale")
            s.commit()

        results = run_at_once(engine, [restore, restore, sell])
        outcomes = [o for o, _ in results]
        assert not [o for o in outcomes if o.startswith("crash")], outcomes
        status = _read(session, Order, order.id).status
        assert _qty(session, vid) == 0
        restored = outcomes[:2].count("ok")
        if status == "paid":
            assert restored == 1 and outcomes[2] == "stock.insufficient"
            assert _read(session, Payment, sent.id).status == "succeeded"
        else:
            assert status == "cancelled" and restored == 0 and outcomes[2] == "ok"
            assert _read(session, Payment, sent.id).status == "unmatched"
