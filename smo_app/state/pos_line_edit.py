"""The sale screen's line editor: tap a line's quantity or discount, type on a keypad (or the
keyboard), apply. The field starts empty each time and shows only what was applied; a refused
entry is cleared and the reason stays beside it; nothing carries over to the next line or sale."""
from __future__ import annotations

import reflex as rx

from smo_app.models.staff import Channel
from smo_app.services.pos import cart, line_discounts
from smo_app.state.pos_sale import PosState
from smo_app.state.session import SessionState

POS = Channel.pos
MODES = ("qty", "pct", "rub")
MAX_ENTRY = 9


class PosLineEditState(SessionState):
    open: bool = False
    variant_id: int = 0
    name: str = ""
    mode: str = "qty"  # qty | pct | rub
    entry: str = ""
    error: str = ""

    @rx.event
    def start(self, variant_id: int, name: str, mode: str):
        self.variant_id, self.name = variant_id, name
        self.mode = mode if mode in MODES else "qty"
        self.entry, self.error, self.open = "", "", True

    @rx.event
    def set_open(self, value: bool):
        self.open = value
        if not value:
            self.entry = self.error = ""

    @rx.event
    def set_mode(self, value: str | list[str]):
        self.mode = value if value in MODES else "qty"
        self.entry = self.error = ""

    @rx.event
    def set_entry(self, value: str):
        self.entry, self.error = value[:MAX_ENTRY * 2], ""

    @rx.event
    def press(self, key: str):
        if len(self.entry) < MAX_ENTRY and (key.isdigit() or (key == "," and self.mode == "rub" and "," not in self.entry)):
            self.entry += key
        self.error = ""

    @rx.event
    def backspace(self):
        self.entry = self.entry[:-1]

    @rx.event
    def apply_on_enter(self, key: str):
        if key == "Enter":
            return PosLineEditState.apply

    @rx.event
    async def apply(self):
        pos = await self.get_state(PosState)
        text, self.entry = self.entry.strip(), ""  # the field never keeps what was typed
        if pos._device_missing():  # never the register's shared cart
            self.error = self.text("pos.device_needed")
            return
        if self.mode == "qty":
            if not text.isdigit():
                self.error = self.text("pos.qty_keypad_invalid")
                return
            out = await self.call(cart.set_qty, channel=POS, register_id=pos.register_id, variant_id=self.variant_id,
                                  qty=int(text), **pos._device_kw())
        else:
            out = await self.call(line_discounts.apply_typed_discount, channel=POS, register_id=pos.register_id,
                                  variant_id=self.variant_id, text=text, unit=self.mode, **pos._device_kw())
        if not out.ok:
            self.error = out.error
            if out.code == "pos.shift_closed":  # closed on another tablet: the sale screen follows
                pos.shift_open, pos.closed_elsewhere = False, True
            return
        pos._show_cart(out.value)
        self.open, self.error = False, ""
