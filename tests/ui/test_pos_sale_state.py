"""The POS sale screen's state without a browser: shift, scanning, paying, a sale in flight on reconnect."""
from __future__ import annotations

import pytest
from sqlmodel import select

from smo_app import routes
from smo_app.models.catalog import Variant
from smo_app.models.pos import PosSale
from smo_app.models.staff import Role
from smo_app.services.staff import auth
from tests.commerce_factories import make_product, variant_id
from tests.factories import PIN, make_staff
from tests.ui.support import _call, _state

rx = pytest.importorskip("reflex")


def _seller_state(db):
    from smo_app.state.pos_sale import PosState

    make_staff(db, Role.seller, username="sue")
    vid = variant_id(make_product(db, name="Мыло", price_minor=50000, qty=5))
    v = db.get(Variant, vid)
    v.barcode = "2000000000015"
    db.add(v)
    db.commit()
    s = _state(PosState)
    s.pos_token = auth.sign_in_pin(db, username="sue", pin=PIN).token
    name_tablet(s, "Планшет 1")
    return s


def name_tablet(s, name: str) -> None:
    """A new tablet is asked for its name once; the browser keeps the device's token."""
    _call(s, "load")
    assert s.needs_device
    _call(s, "set_device_name_text", name)
    _call(s, "name_device")
    assert s.device_token


def test_open_a_shift_scan_and_pay_cash_with_change(db):
    s = _seller_state(db)
    # given no shift: the open form; when the seller opens with a float of 1 000 ₽
    _call(s, "load")
    assert not s.shift_open
    _call(s, "set_float_text", "1000")
    _call(s, "open_shift")
    _call(s, "load")
    assert s.shift_open and s.favourites
    # when the USB scanner sends a code; then the cart shows the item
    _call(s, "scanned", "2000000000015")
    assert [(ln["name"], ln["qty"]) for ln in s.lines] == [("Мыло", 1)]
    # when the buyer hands 1 000 ₽ cash; then the change shows and the sale goes to its receipt
    _call(s, "set_tendered_text", "1000")
    assert s.change_preview.startswith("500")
    out = _call(s, "pay")
    sale = db.exec(select(PosSale)).one()
    assert f"{routes.POS_RECEIPT}?id={sale.id}" in str(out.args)
    assert s.pending_sale == ""


def test_a_sale_in_flight_on_reconnect_says_whether_it_went_through(db):
    s = _seller_state(db)
    _call(s, "load")
    _call(s, "set_float_text", "0")
    _call(s, "open_shift")
    _call(s, "scanned", "2000000000015")
    _call(s, "set_tendered_text", "500")
    _call(s, "pay")
    sale_id, client_id = db.exec(select(PosSale.id, PosSale.client_id)).one()
    db.rollback()  # the test's read ends before the tablet calls again
    # given the tablet lost the answer (the id is still pending in the browser) and reloads
    s.pending_sale = client_id
    out = _call(s, "check_pending")
    # then it says the sale went through and shows that receipt
    assert str(sale_id) in s.last_outcome and f"id={sale_id}" in str(out.args)
    # and an id the server never got is reported as not made
    s.pending_sale = "never-arrived-123"
    _call(s, "check_pending")
    assert s.last_outcome == "Продажа не прошла — чек на месте, оплатите ещё раз."


def test_a_scanned_loyalty_qr_attaches_the_customer_and_a_barcode_adds_the_item(db):
    from smo_app.models.base import utcnow
    from smo_app.services.customers.loyalty_qr import issue_loyalty_token
    from tests.factories import make_customer

    s = _seller_state(db)
    token = issue_loyalty_token(make_customer(db, full_name="Анна", bonus_balance_minor=12300).id, utcnow())
    db.rollback()  # the test's read ends before the tablet calls
    _call(s, "load")
    _call(s, "set_float_text", "0")
    _call(s, "open_shift")
    # when the scanner reads the Mini App's loyalty QR, then a barcode
    _call(s, "scanned", token)
    _call(s, "scanned", "2000000000015")
    # then the customer is on the sale with their bonuses, and the item is in the cart
    assert s.customer_has and s.customer_name == "Анна" and s.customer_bonus.startswith("123")
    assert [(ln["name"], ln["qty"]) for ln in s.lines] == [("Мыло", 1)]
    # and the change shows only once the cash covers the total
    _call(s, "set_tendered_text", "400")
    assert s.change_preview == ""
    _call(s, "set_tendered_text", "600")
    assert s.change_preview.startswith("100")


def test_admins_see_pos_sales_per_seller_and_export_them(db):
    from smo_app.state.pos_admin import PosSalesState
    from smo_app.services.staff import auth as staff_auth
    from tests.factories import PASSWORD

    s = _seller_state(db)
    _call(s, "load")
    _call(s, "set_float_text", "0")
    _call(s, "open_shift")
    _call(s, "scanned", "2000000000015")
    _call(s, "set_tendered_text", "500")
    _call(s, "pay")
    make_staff(db, Role.admin, username="ada")
    a = _state(PosSalesState)
    a.bo_token = staff_auth.sign_in_password(db, username="ada", password=PASSWORD).token
    _call(a, "load")
    assert [(r["name"], r["count"]) for r in a.sellers] == [("Test Seller", 1)]
    assert a.shifts and a.shifts[0]["open"]
    out = _call(a, "export")
    assert "pos-sales-" in str(out)
    # a period the date fields could not read (31 February) is refused and the figures stay
    _call(a, "apply_period", {"from": "2026-02-31", "to": ""})
    assert a.message and [(r["name"], r["count"]) for r in a.sellers] == [("Test Seller", 1)]
    # a period that holds no sale shows none
    _call(a, "apply_period", {"from": "2020-01-01", "to": "2020-01-31"})
    assert a.message == "" and a.sellers == [] and (a.date_from, a.date_to) == ("2020-01-01", "2020-01-31")
