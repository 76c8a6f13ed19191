"""The tablet the POS runs on: its name (asked once, the device's token kept in the browser's
localStorage), the shift it sells in ("Смена: Сергей · Касса 1", and a notice when this seller
joined someone else's), the two-second poll that notices a shift closed or a cart changed on
another tablet, and the register's parked tickets.

A mixin of the sale screen's state (``pos_sale.PosState``): its handlers run on that state and use
its ``register_id`` and its ``_refresh_cart`` / ``load``. Thin: parse input → call a service → set vars.
"""
from __future__ import annotations

import time
from typing import Any

import reflex as rx

from smo_app import routes
from smo_app.models.staff import Channel
from smo_app.money import format_money
from smo_app.services.pos import devices, shifts, tickets
from smo_app.state.session import said, toast

POS = Channel.pos
QUIET_SECONDS = 1.5  # a tablet whose own cart call answered this recently skips the poll


class PosTabletMixin(rx.State, mixin=True):
    """Device, shared shift and parked tickets of the tablet (mixed into the sale screen's state)."""

    device_token: str = rx.LocalStorage("", name="smo_pos_device", sync=True)
    device_id: int = 0
    device_name: str = ""
    needs_device: bool = False
    device_name_text: str = ""
    naming_registers: list[dict[str, Any]] = []  # [{"id", "name"}] to pick from when naming
    naming_register: str = ""
    known_devices: list[dict[str, Any]] = []  # tablets named before: [{"id", "label"}]
    shift_label: str = ""  # "Смена: Сергей · Касса 1"
    joined_notice: str = ""
    closed_elsewhere: bool = False
    parked: list[dict[str, Any]] = []
    park_name: str = ""
    _seen_shift: int = 0
    _seen_cart: str = ""
    _seen_parked: int = -1
    _last_heard: float = 0.0  # when this tablet's own cart call last answered (time.time())

    @rx.var
    def display_href(self) -> str:
        """This tablet's customer display (paired with the device)."""
        device = f"&device={self.device_id}" if self.device_id else ""
        return f"{routes.POS_DISPLAY}?register={self.register_id}{device}"

    # ------------------------------------------------------------------ the device
    def _device_kw(self) -> dict[str, int | None]:
        return {"device_id": self.device_id or None}

    async def _resolve_device(self, registers: list) -> bool:
        """This browser's device (its register becomes the tablet's); False → the tablet is asked
        for a name first."""
        found = None
        if self.device_token:
            out = await self.call(devices.device_by_token, channel=POS, readonly=True, token=self.device_token)
            found = out.value if out.ok else None
        if found is None:
            self.device_id, self.device_name, self.needs_device = 0, "", True
            self.naming_registers = [{"id": str(r.id), "name": r.name} for r in registers]
            known = await self.call(devices.all_devices, channel=POS, readonly=True)
            self.known_devices = [{"id": d.id, "label": f"{d.name} · {d.register_name}"} for d in known.value or []]
            if not self.naming_register and registers:
                self.naming_register = str(registers[0].id)
            return False
        self.device_id, self.device_name, self.needs_device = found.id, found.name, False
        self.register_id, self.register_name = found.register_id, found.register_name
        return True

    @rx.event
    async def ensure_tablet(self):
        """Another POS page opened first (returns, exchange): which tablet this browser is, or the
        naming form in the page's place — never the register's shared cart. The top bar tells the
        truth about the shift meanwhile (the tablet's register, else the first one)."""
        out = await self.call(shifts.list_registers, channel=POS, readonly=True)
        if not out.ok or not out.value:
            return
        if not await self._resolve_device(out.value) and not self.register_id:
            self.register_id, self.register_name = out.value[0].id, out.value[0].name
        await self._refresh_shift()

    def _device_missing(self) -> bool:
        """No named tablet yet: its cart calls are refused (the screen shows the naming form)."""
        return self.needs_device or not self.device_id

    def _no_tablet(self):
        """The refusal of a cart call made before the tablet is named (None once it is)."""
        return said(self.text("pos.device_needed"), ok=False) if self._device_missing() else None

    @rx.event
    def set_device_name_text(self, value: str):
        self.device_name_text = value

    @rx.event
    def set_naming_register(self, value: str | list[str]):
        self.naming_register = value if isinstance(value, str) else (value[0] if value else "")

    @rx.event
    async def name_device(self):
        try:
            register_id = int(self.naming_register)
        except ValueError:
            register_id = self.register_id
        out = await self.call(devices.register_device, channel=POS, register_id=register_id,
                              name=self.device_name_text)
        if not out.ok:
            return toast(out)
        self.device_token, self.device_name_text = out.value.token, ""
        return type(self).load

    @rx.event
    async def adopt_device(self, device_id: int):
        out = await self.call(devices.adopt_device, channel=POS, device_id=int(device_id))
        if not out.ok:
            return toast(out)
        self.device_token = out.value.token
        return type(self).load

    # ------------------------------------------------------------------ the shared shift and the poll
    async def _refresh_tablet(self) -> None:
        out = await self.call(devices.tablet_status, channel=POS, readonly=True, register_id=self.register_id,
                              **self._device_kw())
        if not out.ok:
            return
        s = out.value
        self._seen_shift = s.shift_id or 0
        self._seen_cart = str(s.cart_updated_at or "")
        self._seen_parked = s.parked
        self.shift_label = self.text("ui.pos.shift_of", seller=s.shift_opened_by_name, register=s.register_name) \
            if s.shift_id else ""
        self.joined_notice = self.text("ui.pos.joined_shift", seller=s.shift_opened_by_name,
                                       register=s.register_name) if s.joined else ""
        if s.shift_id:
            self.closed_elsewhere = False

    @rx.event(background=True)
    async def tick(self, _now: str = ""):
        """The page's clock, every two seconds: a shift closed (or opened) on another tablet, or this
        tablet's cart changed elsewhere (a ticket resumed into it), shows at once. A tablet that is
        selling skips it: its taps' answers are fresh (a tap after the shift closed is refused and
        the screen follows), and the poll resumes once it has been quiet for ``QUIET_SECONDS``.

        A background event: it asks the server without holding the tablet's state, so a seller's
        tap never waits behind the clock (however long the server takes to answer under load), and
        it takes the state only to show a change — unless a tap has refreshed the tablet meanwhile."""
        if not self.register_id or self.needs_device or time.time() - self._last_heard < QUIET_SECONDS:
            return
        before = (self._seen_shift, self._seen_cart, self._seen_parked)
        out = await self.call(devices.tablet_pulse, channel=POS, readonly=True, register_id=self.register_id,
                              **self._device_kw())
        if not out.ok:
            return
        s = out.value
        shift, cart, parked = s.shift_id or 0, str(s.cart_updated_at or ""), s.parked
        if (shift, cart, parked) == before:
            return
        async with self:
            if (self._seen_shift, self._seen_cart, self._seen_parked) != before:
                return  # a tap refreshed the tablet meanwhile: the next tick compares afresh
            if shift != before[0]:
                if before[0] and not shift:
                    self.closed_elsewhere = True
                    self.shift_open = False
                return type(self).load
            if cart != before[1]:
                self._seen_cart = cart
                await self._refresh_cart()
            if parked != before[2]:  # parked or resumed on another tablet
                self._seen_parked = parked
                await self._load_parked()

    # ------------------------------------------------------------------ parked tickets
    async def _load_parked(self) -> None:
        out = await self.call(tickets.list_tickets, channel=POS, readonly=True, register_id=self.register_id)
        lang = self.ui_lang_value()
        self.parked = [{"id": x.id, "name": x.name, "text": self.text(
            "ui.pos.parked_line", name=x.name, total=format_money(x.goods_minor, lang=lang), who=x.parked_by_name,
            time=self.shop_time(x.parked_at, "%H:%M"))} for x in out.value or []]

    @rx.event
    def set_park_name(self, value: str):
        self.park_name = value

    @rx.event
    async def park(self):
        if self._device_missing():
            return self._no_tablet()
        out = await self.call(tickets.park_ticket, channel=POS, register_id=self.register_id, name=self.park_name,
                              **self._device_kw())
        if not out.ok:
            return toast(out)
        self.park_name = ""
        await self._refresh_cart()
        await self._load_parked()
        return said(self.text("ui.pos.ticket_parked", name=out.value.name))

    @rx.event
    async def resume(self, ticket_id: int):
        if self._device_missing():
            return self._no_tablet()
        name = next((p["name"] for p in self.parked if str(p["id"]) == str(ticket_id)), "")
        out = await self.call(tickets.resume_ticket, channel=POS, register_id=self.register_id,
                              ticket_id=int(ticket_id), **self._device_kw())
        await self._load_parked()
        if not out.ok:
            return toast(out)
        self._show_cart(out.value)
        return said(self.text("ui.pos.ticket_resumed", name=name))

