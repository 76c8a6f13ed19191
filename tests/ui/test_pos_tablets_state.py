"""Two tablets on one register without a browser: each names itself and keeps its own cart, a
ticket parked on one is resumed on the other, a shift closed on one shows on the other at its next tick."""
from __future__ import annotations

import pytest

from smo_app.models.catalog import Variant
from smo_app.models.staff import Role
from smo_app.services.staff import auth
from tests.commerce_factories import make_product, variant_id
from tests.factories import PIN, make_staff
from tests.ui.support import _call, _state
from tests.ui.test_pos_sale_state import name_tablet

rx = pytest.importorskip("reflex")


def _tablet(db, username: str, full_name: str, device: str):
    from smo_app.state.pos_sale import PosState

    make_staff(db, Role.seller, username=username, full_name=full_name)
    s = _state(PosState)
    s.pos_token = auth.sign_in_pin(db, username=username, pin=PIN).token
    name_tablet(s, device)
    return s


def test_two_tablets_park_resume_and_follow_a_shift_closed_elsewhere(db):
    vid = variant_id(make_product(db, name="Мыло", price_minor=50000, qty=5))
    v = db.get(Variant, vid)
    v.barcode = "2000000000015"
    db.add(v)
    db.commit()
    sergey = _tablet(db, "sergey", "Сергей", "Планшет у входа")
    anna = _tablet(db, "anna", "Анна", "Планшет у примерочной")
    # given Сергей opens the shift; when Анна's tablet loads, she is told she joins his shift
    _call(sergey, "load")
    _call(sergey, "set_float_text", "0")
    _call(sergey, "open_shift")
    _call(sergey, "load")
    _call(anna, "load")
    assert sergey.shift_label.startswith("Смена: Сергей") and sergey.joined_notice == ""
    assert anna.shift_open and "Сергей" in anna.joined_notice and anna.device_name == "Планшет у примерочной"
    # when Сергей scans and parks the cart; Анна's cart stays empty
    _call(sergey, "scanned", "2000000000015")
    _call(sergey, "set_park_name", "Ольга, примерка")
    _call(sergey, "park")
    assert sergey.lines == [] and anna.lines == []
    # then Анна's tablet lists the ticket at its next tick and resumes it
    _call(anna, "tick")
    assert [p["name"] for p in anna.parked] == ["Ольга, примерка"]
    _call(anna, "resume", anna.parked[0]["id"])
    assert [(ln["name"], ln["qty"]) for ln in anna.lines] == [("Мыло", 1)] and anna.parked == []
    _call(sergey, "tick")
    assert sergey.lines == []
    # when Анна closes the shift on her shift page, Сергей's tablet shows it at its next tick
    from smo_app.state.pos_shift import PosShiftState

    pos = _state(PosShiftState)
    pos.pos_token = anna.pos_token
    _call(pos, "set_counted_text", "0")
    _call(pos, "close_shift")
    sergey._last_heard = 0.0  # two seconds on: his own scan's answer is no longer fresh
    _call(sergey, "tick")
    out = _call(sergey, "load")
    assert not sergey.shift_open and sergey.closed_elsewhere, out
    # and a tap on the stale screen is refused by the service
    _call(sergey, "add", vid)
    assert sergey.lines == []


def test_the_customer_display_shows_the_paired_tablets_cart_then_the_change(db):
    from smo_app.state.pos_display import PosDisplayState

    vid = variant_id(make_product(db, name="Свеча", price_minor=45000, qty=5))
    v = db.get(Variant, vid)
    v.barcode = "2000000000022"
    db.add(v)
    db.commit()
    tablet = _tablet(db, "sergey", "Сергей", "Планшет у входа")
    _call(tablet, "load")
    _call(tablet, "set_float_text", "0")
    _call(tablet, "open_shift")
    _call(tablet, "load")
    screen = _state(PosDisplayState)
    screen.pos_token = tablet.pos_token
    screen.router = type(screen.router)(url=type(screen.router.url)(f"http://x{tablet.display_href}"))
    # given nothing rung up: the display greets and shows the QR to the Mini App
    _call(screen, "load")
    assert not screen.missing and screen.lines == [] and screen.qr.startswith("data:image/svg+xml")
    # when the tablet scans a candle; then the display shows it at its next tick
    _call(tablet, "scanned", "2000000000022")
    _call(screen, "tick")
    assert [(ln["name"], ln["qty"]) for ln in screen.lines] == [("Свеча", "1")] and screen.total.startswith("450")
    # when the customer pays 500 ₽ cash; then the display thanks with 50 ₽ change
    _call(tablet, "set_tendered_text", "500")
    _call(tablet, "pay")
    _call(screen, "tick")
    assert screen.lines == [] and screen.last_change.startswith("50")
    # a display opened without a register says how to open it
    lost = _state(PosDisplayState)
    lost.pos_token = tablet.pos_token
    lost.router = type(lost.router)(url=type(lost.router.url)("http://x/pos/display"))
    _call(lost, "load")
    assert lost.missing


def test_a_selling_tablet_skips_the_poll_until_it_has_been_quiet(db, monkeypatch):
    from smo_app.services.pos import devices

    vid = variant_id(make_product(db, name="Мыло", price_minor=50000, qty=5))
    tablet = _tablet(db, "sergey", "Сергей", "Планшет у входа")
    _call(tablet, "load")
    _call(tablet, "set_float_text", "0")
    _call(tablet, "open_shift")
    _call(tablet, "load")
    polled = []
    real = devices.tablet_pulse
    monkeypatch.setattr(devices, "tablet_pulse", lambda *a, **kw: polled.append(1) or real(*a, **kw))
    # when the tablet has just tapped an item; then its next tick asks the server nothing
    _call(tablet, "add", vid)
    _call(tablet, "tick")
    assert polled == []
    # once it has been quiet for a moment, the tick polls again
    tablet._last_heard -= 2
    _call(tablet, "tick")
    assert polled == [1] and [ln["qty"] for ln in tablet.lines] == [1]
