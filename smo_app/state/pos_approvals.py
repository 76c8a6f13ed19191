"""Approval of an above-policy sale on the tablet: the approving manager picked from a list, their
PIN typed on a pad; or, only when it can work (the bot online and an approver with Telegram), a
request in Telegram with a visible countdown and a way back. Typed digits stay backend-only."""
from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import reflex as rx

from smo_app.models.base import utcnow
from smo_app.models.staff import Channel
from smo_app.services.pos import approvals, delivery
from smo_app.state.pos_sale import PosState, tablet_kw
from smo_app.state.session import SessionState

POS = Channel.pos
PIN_MAX = 6
TICK_SECONDS = 1.0
POLL_EVERY_TICKS = 2
WAIT_NOTES = {delivery.WAITING: "ui.pos.approval_queued", delivery.SENT: "ui.pos.approval_delivered"}


def initials(name: str) -> str:
    return "".join(p[0] for p in name.split()[:2]).upper() or "?"


class PosApprovalState(SessionState):
    approvers: list[dict[str, Any]] = []  # {"username", "name", "initials"}
    telegram_ok: bool = False
    telegram_why_not: str = ""
    chosen: str = ""
    chosen_name: str = ""
    pin_len: int = 0
    message: str = ""  # beside the pad: a wrong PIN, no rights
    pad_open: bool = False
    waiting: bool = False
    seconds_left: int = 0
    wait_note: str = ""  # sent / queued until the bot is online
    _pin: str = ""
    _approval_id: int = 0
    _expires_at: datetime | None = None

    @rx.event
    async def open_ways(self):
        """The approval box appeared: who can approve here, and whether Telegram can reach them."""
        out = await self.call(approvals.approval_ways, channel=POS, readonly=True)
        if not out.ok:
            self.message = out.error
            return
        w = out.value
        self.approvers = [{"username": a.username, "name": a.full_name, "initials": initials(a.full_name)}
                          for a in w.approvers]
        self.telegram_ok = w.telegram
        self.telegram_why_not = "" if w.telegram else self.text(
            "ui.pos.tg_bot_offline" if not w.bot_online else "ui.pos.tg_nobody")
        self.message = "" if w.approvers else self.text("ui.pos.no_approvers")
        if len(w.approvers) == 1:
            self._choose(w.approvers[0].username, w.approvers[0].full_name)

    @rx.event
    def set_pad_open(self, value: bool):
        self.pad_open = value
        self._pin, self.pin_len = "", 0

    @rx.event
    def choose(self, username: str, name: str):
        self._choose(username, name)

    @rx.event
    def unchoose(self):
        self._choose("", "")

    def _choose(self, username: str, name: str) -> None:
        self.chosen, self.chosen_name, self._pin, self.pin_len, self.message = username, name, "", 0, ""

    @rx.event
    def press(self, digit: str):
        if len(self._pin) < PIN_MAX and len(digit) == 1 and digit.isdigit():
            self._pin += digit
        self.pin_len, self.message = len(self._pin), ""

    @rx.event
    def backspace(self):
        self._pin = self._pin[:-1]
        self.pin_len = len(self._pin)

    @rx.event
    async def submit(self):
        pin, self._pin, self.pin_len = self._pin, "", 0
        kw = await tablet_kw(self)
        if kw is None:
            self.message = self.text("pos.device_needed")
            return
        out = await self.call(approvals.approve_with_pin, channel=POS, **kw,
                              username=self.chosen, pin=pin)
        self.message = out.error
        pos = await self.get_state(PosState)
        await pos._refresh_cart()
        if out.ok:
            self.waiting = self.pad_open = False

    # ------------------------------------------------------------------ Telegram
    @rx.event
    async def ask_telegram(self):
        kw = await tablet_kw(self)
        if kw is None:
            self.message = self.text("pos.device_needed")
            return
        out = await self.call(approvals.request_approval, channel=POS, **kw)
        if not out.ok:
            self.message = out.error
            return
        self._approval_id, self._expires_at = out.value.id, out.value.expires_at
        self.waiting, self.message = True, ""
        self.seconds_left = max(int((self._expires_at - utcnow()).total_seconds()), 0)
        await self._note()
        pos = await self.get_state(PosState)
        await pos._refresh_cart()
        return PosApprovalState.wait_for_answer

    async def _note(self) -> None:
        """Whether the request reached Telegram, is on its way, or waits for the bot."""
        sent = await self.call(delivery.approval_delivery, channel=POS, readonly=True, approval_id=self._approval_id)
        self.wait_note = self.text(WAIT_NOTES.get(sent.value, "ui.pos.approval_sending"))

    @rx.event
    def stop_waiting(self):
        """The way back: stop waiting on this screen (approve with a PIN, or lower the discount)."""
        self.waiting = False

    @rx.event(background=True)
    async def wait_for_answer(self):
        """A countdown to the request's expiry; the cart's approval checked every two seconds."""
        tick = 0
        while True:
            await asyncio.sleep(TICK_SECONDS)
            tick += 1
            async with self:
                if not self.waiting or self._expires_at is None:
                    return
                self.seconds_left = max(int((self._expires_at - utcnow()).total_seconds()), 0)
                if tick % POLL_EVERY_TICKS == 0 or self.seconds_left == 0:
                    await self._note()
                    pos = await self.get_state(PosState)
                    await pos._refresh_cart()
                    if pos.approval_status != "pending" or self.seconds_left == 0:
                        self.waiting = False
                        return

    @rx.var
    def left_text(self) -> str:
        return f"{self.seconds_left // 60}:{self.seconds_left % 60:02d}"
