"""Promo codes (CR5) edited and deleted from the backoffice: terms change at any time, the text only
while unused, deletion only of a code no order ever used; validated, audited old → new; and a
checkout racing a delete or a rename never leaves an order pointing at a code that is gone."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.models.orders import Order
from smo_app.models.promotions import PromoCode
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, PermissionDenied
from smo_app.services.sales import orders, promotions
from tests.commerce_factories import SYSTEM, fill_cart, make_product, place, variant_id
from tests.factories import make_customer, make_staff
from tests.race import run_at_once


def _audit(session, action):
    return session.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def _row(session, promo_id):
    session.expire_all()
    return session.get(PromoCode, promo_id)


def test_a_manager_changes_an_unused_code_and_the_audit_shows_old_and_new(session):
    # given an unused code SPRING: 10 %, five uses
    manager = make_staff(session, "manager").actor()
    promo = promotions.create_promo(session, actor=manager, code="spring", pct=10, usage_limit=5)
    ends = datetime(2031, 5, 31, 20, 59, 59, tzinfo=timezone.utc)
    # when she renames it, raises the discount and the limit, sets an expiry and "once per customer"
    out = promotions.update_promo(session, actor=manager, promo_id=promo.id, code="Spring25", pct=25,
                                  usage_limit=50, expires_at=ends, once_per_customer=True)
    # then the code reads as changed, the new text applies and the old one is free
    assert (out.code, out.pct, out.usage_limit, out.expires_at, out.once_per_customer) == ("SPRING25", 25, 50, ends, True)
    assert promotions.find_promo(session, code="spring25", customer_id=None).id == promo.id
    with pytest.raises(DomainError) as err:
        promotions.find_promo(session, code="spring", customer_id=None)
    assert err.value.code == "promo.not_found"
    # and the audit log holds exactly what changed, old → new
    [entry] = _audit(session, "promo.update")
    assert entry.entity_id == str(promo.id) and entry.actor_name == "Test Manager"
    assert entry.before == {"code": "SPRING", "pct": 10, "usage_limit": 5, "expires_at": None, "once_per_customer": False}
    assert entry.after["code"] == "SPRING25" and entry.after["pct"] == 25 and entry.after["expires_at"].startswith("2031-05-31")
    # when she saves the same values again, nothing is recorded
    promotions.update_promo(session, actor=manager, promo_id=promo.id, code="SPRING25", pct=25, usage_limit=50,
                            expires_at=ends, once_per_customer=True)
    assert len(_audit(session, "promo.update")) == 1


def test_bad_edits_are_refused_with_their_reason_and_change_nothing(session):
    # given a code used by two orders, and another code
    vid = variant_id(make_product(session, qty=10))
    promo = promotions.create_promo(session, actor=SYSTEM, code="USED", pct=10, usage_limit=5)
    promotions.create_promo(session, actor=SYSTEM, code="TAKEN", pct=5)
    for _ in range(2):
        place(session, make_customer(session).id, {vid: 1}, promo_code="used")
    terms = {"promo_id": promo.id, "code": "USED", "pct": 10, "usage_limit": 5}
    cases = [({"code": "RENAMED"}, "promo.code_in_use"), ({"pct": 0}, "promo.pct_invalid"),
             ({"pct": 101}, "promo.pct_invalid"), ({"usage_limit": 0}, "promo.limit_invalid"),
             ({"usage_limit": 1}, "promo.limit_below_used"), ({"code": "x"}, "promo.code_invalid")]
    for change, code in cases:
        # when a manager tries it
        with pytest.raises(DomainError) as err:
            promotions.update_promo(session, actor=SYSTEM, **{**terms, **change})
        # then it is refused for that reason
        assert err.value.code == code, change
        session.rollback()
    # and the code is as it was, with no audit entry
    row = _row(session, promo.id)
    assert (row.code, row.pct, row.usage_limit, row.used_count) == ("USED", 10, 5, 2)
    assert _audit(session, "promo.update") == []
    # an unused code cannot take a code that exists; a seller cannot edit codes at all
    other = promotions.create_promo(session, actor=SYSTEM, code="FRESH", pct=5)
    with pytest.raises(DomainError) as err:
        promotions.update_promo(session, actor=SYSTEM, promo_id=other.id, code="taken", pct=5)
    assert err.value.code == "promo.code_taken"
    with pytest.raises(PermissionDenied):
        promotions.update_promo(session, actor=make_staff(session, "seller").actor(), promo_id=other.id, code="FRESH",
                                pct=50)
    # while the terms of a used code still change (the limit down to the uses made)
    out = promotions.update_promo(session, actor=SYSTEM, **{**terms, "usage_limit": 2, "pct": 12})
    assert (out.usage_limit, out.pct, out.orders) == (2, 12, 2)


def test_only_a_never_used_code_is_deleted_a_used_one_is_switched_off(session):
    # given an unused code and one whose only order was cancelled (its use given back)
    vid = variant_id(make_product(session, qty=10))
    unused = promotions.create_promo(session, actor=SYSTEM, code="NEVER", pct=10)
    used = promotions.create_promo(session, actor=SYSTEM, code="ONCE", pct=10)
    order = place(session, make_customer(session).id, {vid: 1}, promo_code="once")
    orders.cancel_order(session, actor=SYSTEM, order_id=order.id)
    assert _row(session, used.id).used_count == 0
    listed = {p.code: p.orders for p in promotions.list_promos(session, actor=SYSTEM)}
    assert listed == {"NEVER": 0, "ONCE": 1}
    # (a page is read on the server, with one row more when another page follows)
    assert [p.code for p in promotions.list_promos(session, actor=SYSTEM, page=1, page_size=1)] == ["ONCE", "NEVER"]
    assert [(p.code, p.orders) for p in promotions.list_promos(session, actor=SYSTEM, page=2, page_size=1)] == [
        ("NEVER", 0)]
    # when the manager deletes the unused one, it is gone (audited) and its code is free again
    manager = make_staff(session, "manager").actor()
    assert promotions.delete_promo(session, actor=manager, promo_id=unused.id) == "NEVER"
    assert _row(session, unused.id) is None
    [entry] = _audit(session, "promo.delete")
    assert entry.before["code"] == "NEVER" and entry.before["pct"] == 10 and entry.after is None
    promotions.create_promo(session, actor=SYSTEM, code="NEVER", pct=5)
    # when she tries to delete the one an order used, she is told to switch it off instead
    with pytest.raises(DomainError) as err:
        promotions.delete_promo(session, actor=manager, promo_id=used.id)
    assert err.value.code == "promo.in_use" and err.value.params["orders"] == 1
    session.rollback()
    assert _row(session, used.id) is not None and session.get(Order, order.id).promo_code_id == used.id
    promotions.set_promo_active(session, actor=manager, promo_id=used.id, active=False)
    assert _row(session, used.id).active is False
    # and a code that is not there reads as not found
    with pytest.raises(DomainError) as err:
        promotions.delete_promo(session, actor=manager, promo_id=unused.id)
    assert err.value.code == "common.not_found"


def _checkout_racing(engine, session, change, rounds: int = 3):
    """Each round: a fresh code RACEn and a customer with a full cart; the checkout with the code
    and ``change(session, promo_id, n)`` start at the same moment. Returns the outcome pairs."""
    vid = variant_id(make_product(session, qty=rounds * 2))
    seen = []
    for n in range(rounds):
        promo = promotions.create_promo(session, actor=SYSTEM, code=f"RACE{n}", pct=10)
        cid = make_customer(session).id
        fill_cart(session, cid, {vid: 1})
        session.rollback()  # the test's own session must not hold SQLite's write lock
        results = run_at_once(engine, [
            lambda s, cid=cid, n=n: orders.place_order(s, actor=Actor.customer(cid), customer_id=cid,
                                                       promo_code=f"race{n}"),
            lambda s, pid=promo.id, n=n: change(s, pid, n),
        ])
        checkout, edit = (r[0] for r in results)
        session.expire_all()
        placed = session.exec(select(Order).where(Order.customer_id == cid)).all()
        row = session.get(PromoCode, promo.id)
        seen.append((checkout, edit, placed, row))
    return seen


def test_a_checkout_and_a_delete_at_once_never_leave_an_order_on_a_deleted_code(engine, session):
    # when a customer checks out with a fresh code while a manager deletes it, a few times
    seen = _checkout_racing(engine, session, lambda s, pid, n: promotions.delete_promo(s, actor=SYSTEM, promo_id=pid))
    for checkout, delete, placed, row in seen:
        # then either the delete came first (the checkout is told the code is unknown, no order)…
        if delete == "ok":
            assert checkout == "promo.not_found" and placed == [] and row is None
        # …or the checkout did (the order has the code, the delete is refused: the code was used)
        else:
            assert (checkout, delete) == ("ok", "promo.in_use")
            assert [o.promo_code_id for o in placed] == [row.id] and row.used_count == 1


def test_a_checkout_and_a_rename_at_once_never_rename_a_used_code(engine, session):
    # when a customer checks out with a fresh code while a manager renames it, a few times
    seen = _checkout_racing(engine, session, lambda s, pid, n: promotions.update_promo(
        s, actor=SYSTEM, promo_id=pid, code=f"NEW{n}", pct=10))
    for checkout, rename, placed, row in seen:
        # then either the rename came first (the old text no longer applies) or the checkout did
        # (the code keeps the text the customer typed and the rename is refused)
        if rename == "ok":
            assert checkout == "promo.not_found" and placed == [] and row.code.startswith("NEW")
        else:
            assert (checkout, rename) == ("ok", "promo.code_in_use")
            assert row.code.startswith("RACE") and placed[0].promo_code_id == row.id
