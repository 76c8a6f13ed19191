"""The reward wheel's screens without a browser: the prizes tab in the backoffice, the Mini App wheel."""
from __future__ import annotations

import asyncio
import inspect

import pytest

from smo_app.models.staff import Role
from smo_app.services.customers import sessions as customer_sessions
from smo_app.services.staff import auth
from tests.factories import PASSWORD, make_customer, make_staff
from tests.ui.support import _call, _state

rx = pytest.importorskip("reflex")


def _drain(state, name: str, *args):
    """Run an event handler that may yield (an async generator) to its end."""
    out = type(state).event_handlers[name].fn(state, *args)
    if inspect.isasyncgen(out):
        async def go():
            async for _ in out:
                pass
        return asyncio.run(go())
    return asyncio.run(out) if inspect.iscoroutine(out) else out


def test_manager_sets_up_prizes_and_sees_the_odds(db):
    from smo_app.state.wheel_admin import WheelAdminState

    make_staff(db, Role.manager, username="wheelmgr")
    s = _state(WheelAdminState)
    s.bo_token = auth.sign_in_password(db, username="wheelmgr", password=PASSWORD).token
    s.lang = "en"
    _call(s, "save_prize", {"label": "10% off", "kind": "promo", "value": "10", "weight": "3", "prize_id": "0"})
    _call(s, "save_prize", {"label": "Bonuses", "kind": "bonus", "value": "150,50", "weight": "1", "prize_id": "0"})
    assert [(p["label"], p["odds"], p["value"]) for p in s.prizes] == [("10% off", "75%", "10"),
                                                                         ("Bonuses", "25%", "150.50")]
    # a bad value is explained and saves nothing
    _call(s, "save_prize", {"label": "Big", "kind": "promo", "value": "150", "weight": "1", "prize_id": "0"})
    assert s.wheel_error == "A promo code discount is 1 to 100%." and len(s.prizes) == 2
    # switching a prize off moves its odds to the others
    _call(s, "set_active", dict(s.prizes[1]), False)
    assert [p["odds"] for p in s.prizes] == ["100%", "0%"]


def test_a_customer_spins_once_and_sees_the_prize(db, monkeypatch):
    from smo_app.services.sales import wheel
    from smo_app.state.storefront_wheel import StorefrontWheelState, landing_angle
    from tests.commerce_factories import SYSTEM

    monkeypatch.setattr("smo_app.state.storefront_wheel.REVEAL_SECONDS", 0)
    wheel.save_prize(db, actor=SYSTEM, label="300 bonuses", kind="bonus", value=30000, weight=1)
    customer = make_customer(db)
    token = customer_sessions.start_customer_session(db, customer_id=customer.id)
    s = _state(StorefrontWheelState)
    s.customer_token, s.customer_lang = token, "en"
    _drain(s, "open_wheel")
    assert s.can_spin and [x["label"] for x in s.segments] == ["300 bonuses"]
    _drain(s, "spin")
    assert s.result.startswith("You won: 300 bonuses!") and not s.can_spin
    assert s.angle == landing_angle(0, 0, 1) and s.angle % 360 == 180
    # opening the wheel again the same week shows the prize and no button
    s2 = _state(StorefrontWheelState)
    s2.customer_token, s2.customer_lang = token, "en"
    _drain(s2, "open_wheel")
    assert not s2.can_spin and s2.wheel_message == "Your next spin is next week." and "300 bonuses" in s2.result


def test_landing_angle_brings_the_won_segment_under_the_pointer():
    from smo_app.state.storefront_wheel import TURNS, landing_angle

    # four segments of 90°: segment 1 spans 90–180°, its middle (135°) must come to the top (0°)
    angle = landing_angle(0, 1, 4)
    assert angle == TURNS * 360 + 225 and (135 + angle) % 360 == 0
    # the next spin keeps turning forward
    assert landing_angle(angle, 3, 4) > angle and (315 + landing_angle(angle, 3, 4)) % 360 == 0


def test_demo_mode_signs_a_demo_customer_in_on_the_wheel_and_a_dead_cookie_asks_to_sign_in(db, monkeypatch):
    from smo_app.services.sales import wheel
    from smo_app.settings import reset_settings_cache
    from smo_app.state.storefront_wheel import StorefrontWheelState
    from tests.commerce_factories import SYSTEM

    # given a wheel with a prize, in demo mode, opened in a plain browser with a dead cookie
    wheel.save_prize(db, actor=SYSTEM, label="5% off", kind="promo", value=5, weight=1)
    monkeypatch.setenv("SMO_DEMO", "1")
    monkeypatch.delenv("SMO_BOT_TOKEN", raising=False)
    reset_settings_cache()
    s = _state(StorefrontWheelState)
    s.customer_token, s.customer_lang = "a-dead-session", "en"
    # when the page opens, the wheel asks Telegram for init data; there is none
    assert _drain(s, "open_wheel") is not None
    _drain(s, "signed_in_with", "")
    # then the dead cookie is forgotten and the demo sign-in is offered
    assert s.customer_token == "" and s.demo_available and s.wheel_message == "Open the wheel from our Telegram bot to spin it."
    # and the demo sign-in shows the wheel ready to spin
    _drain(s, "demo_sign_in")
    assert s.customer_token and s.can_spin and [x["label"] for x in s.segments] == ["5% off"]
