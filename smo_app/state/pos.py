"""POS: seller tiles and the PIN pad. Typed digits stay in a backend-only var."""
from __future__ import annotations

from typing import TypedDict

import reflex as rx

from smo_app import routes
from smo_app.models.staff import Channel
from smo_app.services.staff import auth
from smo_app.services.staff import accounts as staff_service
from smo_app.state.session import SessionState

MAX_PIN = 6


class SellerTile(TypedDict):
    username: str
    full_name: str
    initials: str
    role: str


def _initials(name: str) -> str:
    parts = [p for p in name.split() if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


class PosLoginState(SessionState):
    sellers: list[SellerTile] = []
    chosen: str = ""  # username of the chosen tile
    chosen_name: str = ""
    pin_len: int = 0
    message: str = ""
    _pin: str = ""

    @rx.event
    async def open(self):
        self._pin, self.pin_len, self.message, self.chosen, self.chosen_name = "", 0, "", "", ""
        if await self.staff(Channel.pos) is not None:  # already signed in on this tablet
            return rx.redirect(routes.POS)
        out = await self.call(staff_service.list_pos_sellers, channel=None, readonly=True)
        self.message = out.error
        self.sellers = [
            SellerTile(username=x.username, full_name=x.full_name, initials=_initials(x.full_name), role=x.role.value)
            for x in out.value or []
        ]

    @rx.event
    def choose(self, username: str, full_name: str):
        self.chosen, self.chosen_name = username, full_name
        self._pin, self.pin_len, self.message = "", 0, ""

    @rx.event
    def back(self):
        self.chosen, self.chosen_name, self._pin, self.pin_len, self.message = "", "", "", 0, ""

    @rx.event
    def press(self, digit: str):
        if len(self._pin) < MAX_PIN and digit.isdigit() and len(digit) == 1:
            self._pin += digit
            self.pin_len = len(self._pin)

    @rx.event
    def backspace(self):
        self._pin = self._pin[:-1]
        self.pin_len = len(self._pin)

    @rx.event
    def clear(self):
        self._pin, self.pin_len = "", 0

    @rx.event
    async def submit(self):
        pin, self._pin, self.pin_len = self._pin, "", 0
        out = await self.call(auth.sign_in_pin, channel=None, username=self.chosen, pin=pin)
        self.message = out.error
        if not out.ok:
            return
        self.pos_token = out.value.token
        return rx.redirect(routes.POS)
