"""Issue-25 screens without a browser: the staff role dialog (a password or PIN that comes with the
role, the owner's confirmation), and messages that are replaced, not stacked."""
from __future__ import annotations

import pytest
from sqlmodel import select

from smo_app.models.staff import Role, Staff
from smo_app.services.staff import auth
from tests.factories import PASSWORD, make_staff
from tests.ui.support import _call, _state

rx = pytest.importorskip("reflex")


def _owner_on_staff_page(db):
    from smo_app.state.staff import StaffState

    make_staff(db, Role.owner, username="olga", full_name="Olga")
    s = _state(StaffState)
    s.bo_token = auth.sign_in_password(db, username="olga", password=PASSWORD).token
    s.lang = "en"
    db.rollback()
    _call(s, "load")
    return s


def _toast_text(spec) -> str:
    """The text of a toast event as the browser shows it."""
    import json
    import re

    js = spec.args[0][1]._js_expr
    return json.loads(re.search(r'\["(?:error|success)"\]\((".*?")\s*,', js).group(1))


def _id(db, username: str) -> int:
    found = db.exec(select(Staff).where(Staff.username == username)).one().id
    db.rollback()  # the states write through their own connection
    return found


def test_a_seller_is_promoted_through_the_dialog_that_asks_for_a_password(db):
    make_staff(db, Role.seller, username="petr", full_name="Petr")
    s = _owner_on_staff_page(db)
    petr = _id(db, "petr")
    # when the owner picks "manager" on Petr's row (a seller without a password)
    assert _call(s, "change_role", petr, "manager") is None
    # then the dialog opens and asks for his new password — not the owner's
    assert s.role_dialog_open and s.role_asks == ["password"] and s.role_new == "manager"
    _call(s, "confirm_role", {"password": "short"})
    assert s.role_dialog_open and s.role_error == "The password must be at least 8 characters."
    # when a good password comes, the role changes, the dialog closes and its message is gone
    _call(s, "confirm_role", {"password": "a-long-password-1"})
    assert not s.role_dialog_open and s.role_error == ""
    assert next(r for r in s.rows if r.username == "petr").role == "manager"


def test_making_someone_owner_asks_for_confirmation_and_the_owners_password(db):
    make_staff(db, Role.admin, username="ada", full_name="Ada")
    s = _owner_on_staff_page(db)
    ada = _id(db, "ada")
    # a plain change (admin → manager) happens at once, no dialog
    out = _call(s, "change_role", ada, "manager")
    assert not s.role_dialog_open and "Role changed" in str(out)
    # making her owner opens the dialog with the warning and the owner's password field
    _call(s, "change_role", ada, "owner")
    assert s.role_dialog_open and s.role_asks == ["confirm"]
    _call(s, "confirm_role", {"confirm_password": "wrong-password"})
    assert s.role_error == "That password did not match — enter your own owner password."
    assert db.exec(select(Staff).where(Staff.id == ada)).one().role == "manager"
    db.rollback()
    _call(s, "confirm_role", {"confirm_password": PASSWORD})
    assert not s.role_dialog_open and next(r for r in s.rows if r.username == "ada").role == "owner"
    # and deactivating an owner asks the same
    _call(s, "set_active", ada, False)
    assert s.role_dialog_open and s.role_mode == "deactivate" and s.role_asks == ["confirm"]
    _call(s, "confirm_role", {"confirm_password": ""})
    assert s.role_error == "Confirm with your password: this changes who owns the shop."
    _call(s, "confirm_role", {"confirm_password": PASSWORD})
    assert not s.role_dialog_open and not next(r for r in s.rows if r.username == "ada").is_active


def test_a_double_tap_gives_one_clear_outcome(db):
    """The second tap of a double click waits behind the first; it gets the first one's answer,
    not "username taken" / "already decided" / "shift already open" beside "done"."""
    from smo_app.state.staff import StaffState
    from tests.ui.test_pos_sale_state import _seller_state

    s = _owner_on_staff_page(db)
    form = {"username": "maria", "full_name": "Maria", "password": "a-long-password-1"}
    s.form_role = "manager"
    first, second = _call(s, "create", form), _call(s, "create", form)
    assert s.form_error == "" and "Maria has been added" in str(first) and "Maria has been added" in str(second)
    assert len(db.exec(select(Staff).where(Staff.username == "maria")).all()) == 1
    db.rollback()
    # a new request with the same values after the double-tap window is a new request: refused by name
    s._last_done = ()
    _call(s, "create", form)
    assert "maria" in s.form_error and isinstance(s, StaffState)
    # the till: a second tap on "open shift" and on "pay"
    pos = _seller_state(db)
    pos.lang = "en"
    _call(pos, "load")
    _call(pos, "set_float_text", "0")
    assert _call(pos, "open_shift") == _call(pos, "open_shift")
    _call(pos, "load")
    _call(pos, "scanned", "2000000000015")
    _call(pos, "set_tendered_text", "500")
    paid, again = _call(pos, "pay"), _call(pos, "pay")
    assert "receipt" in str(paid.args) and str(again.args) == str(paid.args)


def test_a_form_message_is_replaced_not_stacked():
    from smo_app.calling import Result
    from smo_app.state.session import TOAST_ID, said, toast

    refused, done = toast(Result(error="Login taken", code="staff.username_taken")), said("Added")
    # every message goes to the one toast: the newer replaces the older
    assert f'"{TOAST_ID}"' in str(refused.args) and f'"{TOAST_ID}"' in str(done.args)


def test_warehouse_inputs_say_what_is_wrong_with_them(db):
    from smo_app.state.warehouse import WarehouseState
    from tests.commerce_factories import make_product

    p = make_product(db, name="Свеча", price_minor=50000, qty=3)
    vid = p.variants[0].id
    make_staff(db, Role.manager, username="max")
    s = _state(WarehouseState)
    s.bo_token = auth.sign_in_password(db, username="max", password=PASSWORD).token
    db.rollback()
    _call(s, "load")
    _call(s, "open_variant", vid, "Свеча", 3)
    # "abc" is not a number: a format message, not "cannot be negative"
    _call(s, "save_quantity", {"qty": "abc", "comment": ""})
    assert s.variant_error == "Количество — целое число штук (для весового товара — граммов), например 12."
    # 99 999 999 999 units are refused with the bound, and nothing is written
    _call(s, "save_quantity", {"qty": "99999999999", "comment": ""})
    assert s.variant_error == "Количество — от 0 до 10\u00a0000\u00a0000."
    # a good value clears the message it answered
    _call(s, "save_quantity", {"qty": "5", "comment": ""})
    assert s.variant_error == "" and s.variant_qty == 5
    # a bulk write-off names every bad line: one that does not read and one the stock refuses
    _call(s, "write_off", {"lines": f"{vid} abc\n999999 1\n{vid} 1", "comment": ""})
    assert s.writeoff_error == ("Строка 1: количество должно быть целым положительным числом. Пакет не применён целиком.\n"
                                "Строка 2: товара с ID 999999 нет.")


def test_a_cancel_success_clears_the_reason_message_and_a_second_cancel_is_the_same_answer(db):
    from smo_app.state.order_card import OrderCardState
    from tests.commerce_factories import make_product, place, variant_id
    from tests.factories import make_customer

    tea = make_product(db, name="Tea", price_minor=50000, qty=10)
    order = place(db, make_customer(db).id, {variant_id(tea): 1})
    make_staff(db, Role.manager, username="max")
    s = _state(OrderCardState)
    s.bo_token = auth.sign_in_password(db, username="max", password=PASSWORD).token
    s.lang = "en"
    db.rollback()
    _call(s, "open_card", order.id)
    cancel = next(a for a in s.card_actions if a["to_status"] == "cancelled")
    _call(s, "act", cancel)
    # given a refused confirmation (no reason)
    _call(s, "confirm", {"reason": " ", "restock": "restock"})
    assert s.confirm_open and s.confirm_error and s.card_error
    # when it is given, the order is cancelled and no message of the refusal stays beside "done"
    done = _call(s, "confirm", {"reason": "asked", "restock": "restock"})
    assert not s.confirm_open and s.confirm_error == "" and s.card_error == ""
    # and the double click's second confirm answers the same, never "from cancelled to cancelled"
    again = _call(s, "confirm", {"reason": "asked", "restock": "restock"})
    assert str(again.args) == str(done.args) and "cancelled" in str(done.args).lower()


def test_the_opening_float_says_format_or_bound_not_negative(db):
    from tests.ui.test_pos_sale_state import _seller_state

    pos = _seller_state(db)
    _call(pos, "load")
    # "99,999,999,999,999" does not read as an amount: the message shows how to type one
    _call(pos, "set_float_text", "99,999,999,999,999")
    refused = _call(pos, "open_shift")
    assert _toast_text(refused) == ("Размен на начало смены — сумма в рублях, например 5000 или 5000,50 "
                                    "(без разделителей тысяч).")
    # 99 999 999 999 999 reads, but is above the bound: the message names the bound
    _call(pos, "set_float_text", "99999999999999")
    too_large = _call(pos, "open_shift")
    assert _toast_text(too_large) == "Слишком большая сумма — не больше 100\u00a0000\u00a0000\u00a0₽." and not pos.shift_open


def test_a_quick_next_sale_is_not_taken_for_a_second_tap(db):
    from sqlmodel import func

    from smo_app.models.pos import PosSale
    from tests.ui.test_pos_sale_state import _seller_state

    pos = _seller_state(db)
    _call(pos, "load")
    _call(pos, "set_float_text", "0")
    _call(pos, "open_shift")
    _call(pos, "load")
    for _ in range(2):  # two sales, one right after the other
        _call(pos, "scanned", "2000000000015")
        _call(pos, "set_tendered_text", "500")
        _call(pos, "pay")
    assert db.exec(select(func.count(PosSale.id))).one() == 2


def test_a_one_tap_button_is_busy_while_its_event_runs(db):
    import asyncio

    from smo_app.state.staff import StaffState

    s = _owner_on_staff_page(db)

    async def run() -> list[bool]:
        seen = []
        gen = StaffState.event_handlers["create"].fn(s, {"username": "zoe", "full_name": "Zoe",
                                                         "password": "a-long-password-1"})
        async for _ in gen:
            seen.append(s.busy)  # what the browser gets with each update: loading, then not
        return seen

    s.form_role = "manager"
    # the first update disables "Add" (loading); the answer enables it again
    assert asyncio.run(run()) == [True, False]


def test_the_order_history_names_the_job_that_cancelled_it(db):
    from smo_app.services.core.actor import Actor
    from smo_app.services.sales import orders as orders_service
    from smo_app.state.order_card import OrderCardState
    from tests.commerce_factories import make_product, place, variant_id
    from tests.factories import make_customer

    tea = make_product(db, name="Tea", price_minor=50000, qty=10)
    order = place(db, make_customer(db).id, {variant_id(tea): 1})
    orders_service.cancel_order(db, actor=Actor.system("auto-cancel"), order_id=order.id, reason="late")
    make_staff(db, Role.manager, username="max")
    s = _state(OrderCardState)
    s.bo_token = auth.sign_in_password(db, username="max", password=PASSWORD).token
    db.rollback()
    _call(s, "open_card", order.id)
    assert s.card_events[-1]["who"] == "автоотмена"
