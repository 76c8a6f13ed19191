"""The reward wheel's prizes and odds on /admin/promotions (a tab of that page). The form goes to
``wheel.save_prize_as_typed`` as typed (the service reads the value by the prize's kind)."""
from __future__ import annotations

from typing import TypedDict

import reflex as rx

from smo_app import formats

from smo_app.services.core.form_input import amount_text
from smo_app.services.sales import wheel
from smo_app.state.ops import money_text
from smo_app.state.session import SessionState, said


class PrizeLine(TypedDict):
    id: int
    label: str
    kind: str
    kind_text: str
    value: str  # as typed: percent, or a sum for bonuses
    shows: str  # what the customer wins, for display
    weight: int
    odds: str
    active: bool


def odds_text(weight: int, total: int, active: bool, lang: str = "ru") -> str:
    """A prize's chance among the active prizes, as a percentage in the screen's language."""
    if not active or not total or not weight:
        return formats.percent(0, lang)
    return formats.percent(weight * 100 / total, lang)


class WheelAdminState(SessionState):
    prizes: list[PrizeLine] = []
    wheel_error: str = ""
    editing: int = 0  # the prize being changed (0: a new one)

    @rx.event
    async def load_wheel(self):
        out = await self.call(wheel.list_prizes, readonly=True)
        if not out.ok:
            self.prizes, self.wheel_error = [], out.error
            return
        total = sum(p.weight for p in out.value if p.active)
        self.prizes = [PrizeLine(
            id=p.id, label=p.label, kind=p.kind, kind_text=self.text(f"ui.wheel.kind.{p.kind}"),
            value=amount_text(p.value) if p.kind == "bonus" else str(p.value),
            shows=(f"{p.value}%" if p.kind == "promo" else money_text(self, p.value) if p.kind == "bonus" else "—"),
            weight=p.weight, odds=odds_text(p.weight, total, p.active, self.ui_lang_value()), active=p.active) for p in out.value]

    @rx.event
    async def save_prize(self, form: dict):
        prize_id = str(form.get("prize_id", "")).strip()
        out = await self.call(wheel.save_prize_as_typed, label=str(form.get("label", "")),
                              kind=str(form.get("kind", "nothing")), value=str(form.get("value", "")),
                              weight=str(form.get("weight", "")), active=str(form.get("active", "on")) == "on",
                              prize_id=int(prize_id) if prize_id.isdigit() else None)
        self.wheel_error = out.error
        if not out.ok:
            return None
        self.editing = 0
        await self.load_wheel()
        return said(self.text("ui.saved"))

    @rx.event
    def edit(self, prize_id: int):
        self.editing = int(prize_id)

    @rx.event
    async def set_active(self, prize: dict, active: bool):
        out = await self.call(wheel.set_prize_active, prize_id=int(prize["id"]), active=bool(active))
        self.wheel_error = out.error
        await self.load_wheel()
