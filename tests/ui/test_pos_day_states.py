"""The POS seller's day without a browser: the line editor refuses and clears, the manager's PIN
on the pad approves, an exchange on the returns screen settles the difference."""
from __future__ import annotations

import pytest
from sqlmodel import select

from smo_app.models.pos import PosSale
from smo_app.models.staff import Role
from smo_app.services.staff import auth
from tests.commerce_factories import make_product, variant_id
from tests.factories import PIN, make_staff
from tests.ui.support import _call, _state
from tests.ui.test_pos_sale_state import name_tablet

rx = pytest.importorskip("reflex")


def _till(db):
    """A signed-in seller with an open shift and a 500 ₽ soap in the cart; the states of the sale screen."""
    from smo_app.state.pos_approvals import PosApprovalState
    from smo_app.state.pos_line_edit import PosLineEditState
    from smo_app.state.pos_returns import PosReturnState
    from smo_app.state.pos_sale import PosState

    make_staff(db, Role.seller, username="sue")
    vid = variant_id(make_product(db, name="Мыло", price_minor=50000, qty=5))
    pos = _state(PosState)
    token = auth.sign_in_pin(db, username="sue", pin=PIN).token
    pos.pos_token = token
    name_tablet(pos, "Планшет 1")
    _call(pos, "load")
    _call(pos, "set_float_text", "0")
    _call(pos, "open_shift")
    _call(pos, "load")
    _call(pos, "add", vid)
    states = {}
    for cls in (PosLineEditState, PosApprovalState, PosReturnState):
        st = pos.parent_state.get_substate(cls.get_full_name().split(".")[2:])
        st.pos_token = token
        states[cls.__name__] = st
    return pos, vid, states


def test_a_refused_discount_is_cleared_with_its_reason_and_an_applied_one_shows(db):
    pos, vid, st = _till(db)
    edit = st["PosLineEditState"]
    _call(edit, "start", vid, "Мыло", "pct")
    for bad, reason in (("150", "от 0 до 100"), ("abc", "от 0 до 100"), ("-10", "от 0 до 100")):
        _call(edit, "set_entry", bad)
        _call(edit, "apply")
        # then the field is empty, the reason is beside it, and the line is not discounted
        assert edit.entry == "" and reason in edit.error and edit.open
        assert pos.lines[0]["discount_minor"] == 0
    # when 100 ₽ is typed in roubles on the keypad; then the line shows exactly that
    _call(edit, "set_mode", "rub")
    for key in "100":
        _call(edit, "press", key)
    _call(edit, "apply")
    assert not edit.open and pos.lines[0]["discount_minor"] == 10000
    # and the next time the editor opens, nothing is carried over
    _call(edit, "start", vid, "Мыло", "qty")
    assert (edit.entry, edit.error) == ("", "")


def test_the_managers_pin_on_the_pad_approves_the_sale(db):
    pos, vid, st = _till(db)
    manager = make_staff(db, Role.manager, username="masha")
    edit, approve = st["PosLineEditState"], st["PosApprovalState"]
    _call(edit, "start", vid, "Мыло", "pct")
    _call(edit, "set_entry", "20")
    _call(edit, "apply")
    assert pos.needs_approval
    _call(approve, "open_ways")
    # the only approver is picked already; Telegram is not offered (no bot, nobody linked)
    assert approve.chosen == manager.username and not approve.telegram_ok and approve.telegram_why_not
    for d in "0000":
        _call(approve, "press", d)
    _call(approve, "submit")
    assert approve.message and pos.needs_approval  # a wrong PIN says so and approves nothing
    for d in PIN:
        _call(approve, "press", d)
    _call(approve, "submit")
    assert approve.message == "" and not pos.needs_approval and pos.approval_status == "approved"


def test_an_exchange_on_the_returns_screen_gives_the_difference_back(db):
    pos, vid, st = _till(db)
    _call(pos, "set_tendered_text", "500")
    _call(pos, "pay")
    sale_id = db.exec(select(PosSale.id)).one()
    cheap = variant_id(make_product(db, name="Свеча", price_minor=30000, qty=5))
    db.rollback()  # the test's session holds no lock while the tablet works
    ret = st["PosReturnState"]
    _call(ret, "set_query", str(sale_id))
    _call(ret, "find")
    line = ret.sale_lines[0]["id"]
    _call(ret, "plus", line)
    _call(ret, "plus", line)  # only one was sold: stays 1
    assert ret.sale_lines[0]["pick"] == 1 and ret.back_minor == 50000
    _call(ret, "set_mode", "exchange")
    _call(ret, "ex_add", cheap)
    assert ret.difference_minor == -20000
    _call(ret, "do_exchange")
    assert "200" in ret.result and "Обмен оформлен" in ret.result
    # the new item was sold from this tablet's own cart, now empty on the sale screen too
    db.rollback()
    exchanged = db.exec(select(PosSale).where(PosSale.id != sale_id)).one()
    assert exchanged.device_id == pos.device_id != 0
    _call(pos, "load")
    assert pos.lines == []


def test_telegram_is_offered_only_when_it_can_reach_someone_and_the_wait_shows_its_time(db):
    from smo_app.models.presence import SidecarMode
    from smo_app.services.messaging import presence
    from smo_app.services.staff import accounts
    from tests.commerce_factories import SYSTEM

    pos, vid, st = _till(db)
    manager = make_staff(db, Role.manager)
    accounts.set_telegram_id(db, actor=SYSTEM, staff_id=manager.id, telegram_id=7_000_000_000_777)
    presence.beat(db, instance="bot-ui", mode=SidecarMode.online)
    db.rollback()
    edit, approve = st["PosLineEditState"], st["PosApprovalState"]
    _call(edit, "start", vid, "Мыло", "pct")
    _call(edit, "set_entry", "20")
    _call(edit, "apply")
    _call(approve, "open_ways")
    assert approve.telegram_ok and approve.telegram_why_not == ""
    # when the seller asks in Telegram; then the tablet counts down the request's five minutes
    _call(approve, "ask_telegram")
    assert approve.waiting and 280 <= approve.seconds_left <= 300 and approve.left_text.startswith("4:")
    assert approve.wait_note == "Запрос отправляется менеджерам в Telegram."
    assert pos.approval_status == "pending"
    # and there is a way back to the PIN pad
    _call(approve, "stop_waiting")
    assert not approve.waiting


def test_a_browser_that_has_not_named_its_tablet_is_asked_to_before_anything_reaches_a_cart(db):
    from smo_app.models.pos import PosCart
    from smo_app.state.pos_returns import PosReturnState
    from smo_app.state.pos_sale import PosState

    # given a shift open on the register (another tablet), and a browser new to the POS
    pos, _vid, _st = _till(db)
    make_staff(db, Role.seller, username="tom", full_name="Том")
    cheap = variant_id(make_product(db, name="Свеча", price_minor=30000, qty=5))
    db.rollback()
    ret = _state(PosReturnState)
    ret.pos_token = auth.sign_in_pin(db, username="tom", pin=PIN).token
    fresh = ret.parent_state.get_substate(PosState.get_full_name().split(".")[2:])
    fresh.pos_token = ret.pos_token
    # when it opens the returns screen first: the page asks which tablet it is
    _call(fresh, "ensure_tablet")
    assert fresh.needs_device and fresh.device_id == 0
    assert fresh.shift_open  # its top bar shows the register's shift as it is
    # and an exchange's new item, or a scan on the sale screen, is refused with the reason
    _call(ret, "set_mode", "exchange")
    _call(ret, "ex_add", cheap)
    _call(fresh, "add", cheap)
    assert ret.ex_lines == [] and fresh.lines == []
    db.rollback()
    carts = db.exec(select(PosCart)).all()
    assert all(c.device_id is not None for c in carts)  # the register's shared cart was never used
    assert [len(c.lines) for c in carts] == [1]  # only the other tablet's soap
    db.rollback()  # the test's session holds no lock while the tablet works
    # when it names itself: the new item goes into this tablet's own cart
    _call(fresh, "set_device_name_text", "Планшет у кассы")
    _call(fresh, "name_device")
    _call(fresh, "ensure_tablet")
    assert not fresh.needs_device and fresh.device_id not in (0, pos.device_id)
    _call(ret, "ex_add", cheap)
    assert [ln["name"] for ln in ret.ex_lines] == ["Свеча"]
    db.rollback()
    mine = db.exec(select(PosCart).where(PosCart.device_id == fresh.device_id)).one()
    assert [ln["variant_id"] for ln in mine.lines] == [cheap]
