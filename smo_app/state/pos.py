"""POS: seller tiles and the PIN pad. Typed digits stay in a backend-only var."""
from __future__ import annotations

from typing import TypedDict

import reflex as rx

from smo_app import routes
from smo_app.db import session_scope
from smo_app.models.staff import Channel
from smo_app.services.staff import auth
from smo_app.services.staff import accounts as staff_service
from smo_app.services.core.errors import DomainError
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
    def open(self):
        self._pin, self.pin_len, self.message, self.chosen, self.chosen_name = "", 0, "", "", ""
        if self.staff_for(Channel.pos) is not None:  # already signed in on this tablet
            return rx.redirect(routes.POS)
        with session_scope() as s:
            self.sellers = [
                SellerTile(username=x.username, full_name=x.full_name, initials=_initials(x.full_name), role=x.role.value)
                for x in staff_service.list_pos_sellers(s)
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
    def submit(self):
        pin, self._pin, self.pin_len = self._pin, "", 0
        try:
            with session_scope() as s:
                signed = auth.sign_in_pin(s, username=self.chosen, pin=pin)
        except DomainError as exc:
            self.message = self.error(exc)
            return
        self.message = ""
        self.pos_token = signed.token
        return rx.redirect(routes.POS)
