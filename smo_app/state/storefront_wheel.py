"""The Mini App's reward wheel (/wheel): the customer sees the prizes and spins once per period;
the server draws the prize, the wheel only shows where it landed."""
from __future__ import annotations

import asyncio
from typing import TypedDict

import reflex as rx

from smo_app.money import format_money
from smo_app.services.customers import sessions as customer_sessions
from smo_app.services.sales import wheel
from smo_app.settings import get_settings
from smo_app.state.customer_session import CustomerSessionState

TELEGRAM_INIT_DATA = "(window.Telegram && window.Telegram.WebApp && window.Telegram.WebApp.initData) || ''"
TURNS = 5  # full turns before the wheel stops
REVEAL_SECONDS = 4.0  # how long the wheel turns (the page's CSS transition) before the prize shows
COLORS = ("#12a594", "#f5a524", "#7c66dc", "#e5484d", "#3e63dd", "#29a383", "#d6409f", "#978365")


class Segment(TypedDict):
    label: str
    rotate: str  # where its label sits on the disc


def landing_angle(current: float, index: int, count: int) -> float:
    """The disc's next rotation (degrees, always forward) that brings segment ``index``'s middle
    under the pointer at the top, after :data:`TURNS` full turns."""
    size = 360 / count
    target = (360 - (index + 0.5) * size) % 360
    base = current - current % 360
    return base + TURNS * 360 + target


class StorefrontWheelState(CustomerSessionState):
    segments: list[Segment] = []
    gradient: str = ""
    can_spin: bool = False
    angle: float = 0
    result: str = ""
    wheel_message: str = ""
    loaded: bool = False
    demo_available: bool = False  # demo mode: a plain browser may sign in a demo customer
    _prize_ids: list[int] = []

    @rx.event
    async def open_wheel(self):
        """On load: with a live session the wheel at once (one server trip); otherwise sign in
        from Telegram's init data first."""
        if self.customer_token:
            out = await self.call(wheel.wheel_view, readonly=True)
            if out.ok:
                self._show(out.value)
                return None
            if not out.signed_out:
                self.loaded, self.wheel_message = True, out.error
                return None
        return rx.call_script(TELEGRAM_INIT_DATA, callback=StorefrontWheelState.signed_in_with)

    @rx.event
    async def signed_in_with(self, init_data: str):
        if init_data:
            await self._sign_in(customer_sessions.sign_in_telegram, init_data=str(init_data))
        self.demo_available = get_settings().demo
        await self._load()

    @rx.event
    async def demo_sign_in(self):
        await self.sign_in_demo()  # the parent's demo-mode-only sign-in (the server picks the customer)
        await self._load()

    async def _load(self) -> None:
        self.loaded = True
        if not self.customer_token:
            self.can_spin, self.segments = False, []
            self.wheel_message = self.sign_in_error or self.text("ui.wheel.sign_in")
            return
        out = await self.call(wheel.wheel_view, readonly=True)
        if out.signed_out:
            self.customer_token, self.can_spin, self.segments = "", False, []
            self.wheel_message = self.text("ui.wheel.sign_in")
        elif not out.ok:
            self.wheel_message = out.error
        else:
            self._show(out.value)

    def _show(self, view: wheel.WheelView) -> None:
        self.loaded = True
        count = len(view.prizes)
        self._prize_ids = [p.id for p in view.prizes]
        size = 360 / count if count else 360
        self.segments = [Segment(label=p.label, rotate=f"rotate({(i + 0.5) * size:.2f}deg)")
                         for i, p in enumerate(view.prizes)]
        self.gradient = "conic-gradient(" + ", ".join(
            f"{COLORS[i % len(COLORS)]} {i * size:.2f}deg {(i + 1) * size:.2f}deg" for i in range(count)) + ")"
        self.can_spin = view.can_spin
        if not count:
            self.wheel_message = self.text("wheel.closed")
        elif not view.can_spin and view.last is not None:
            self.result = self._won(view.last)
            self.wheel_message = self.text("ui.wheel.come_back")
        else:
            self.wheel_message = ""

    def _won(self, s: wheel.SpinOut) -> str:
        if s.kind == "promo":
            return self.text("ui.wheel.won_promo", label=s.label, code=s.promo_code, pct=s.value)
        if s.kind == "bonus":
            return self.text("ui.wheel.won_bonus", label=s.label, amount=format_money(s.value, lang=self.shop_lang))
        return self.text("ui.wheel.won_nothing")

    @rx.event
    async def spin(self):
        if not self.can_spin:
            return
        self.can_spin = False
        spun = await self.call(wheel.spin)
        if not spun.ok:
            self.wheel_message = self.text("ui.wheel.sign_in") if spun.signed_out else spun.error
            return
        out = spun.value
        index = self._prize_ids.index(out.prize_id) if out.prize_id in self._prize_ids else 0
        self.angle = landing_angle(self.angle, index, max(len(self._prize_ids), 1))
        self.result = ""
        self.wheel_message = ""
        yield
        await asyncio.sleep(REVEAL_SECONDS)  # the wheel turns, then the prize shows
        self.result = self._won(out)
        self.wheel_message = self.text("ui.wheel.come_back")
