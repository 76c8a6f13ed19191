"""The reward wheel's prizes and odds on /admin/promotions (a tab of that page)."""
from __future__ import annotations

from typing import TypedDict

import reflex as rx

from smo_app.money import parse_money
from smo_app.services.customers import wheel
from smo_app.state.ops import money_input, money_text
from smo_app.state.session import SessionState


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


def odds_text(weight: int, total: int, active: bool) -> str:
    """A prize's chance among the active prizes, as a percentage."""
    if not active or not total or not weight:
        return "0%"
    return f"{weight * 100 / total:.1f}%".replace(".0%", "%")


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
            value=money_input(p.value) if p.kind == "bonus" else str(p.value),
            shows=(f"{p.value}%" if p.kind == "promo" else money_text(self, p.value) if p.kind == "bonus" else "—"),
            weight=p.weight, odds=odds_text(p.weight, total, p.active), active=p.active) for p in out.value]

    @rx.event
    async def save_prize(self, form: dict):
        kind = str(form.get("kind", "nothing"))
        raw_value = str(form.get("value", "")).strip() or "0"
        raw_weight = str(form.get("weight", "")).strip()
        try:
            value = parse_money(raw_value) if kind == "bonus" else int(raw_value)
        except ValueError:
            self.wheel_error = self.text("ui.cust.bad_amount")
            return None
        if not raw_weight.isdigit():
            self.wheel_error = self.text("wheel.weight_invalid")
            return None
        prize_id = str(form.get("prize_id", "")).strip()
        out = await self.call(wheel.save_prize, label=str(form.get("label", "")), kind=kind, value=value,
                              weight=int(raw_weight), active=str(form.get("active", "on")) == "on",
                              prize_id=int(prize_id) if prize_id.isdigit() and int(prize_id) else None)
        if not out.ok:
            self.wheel_error = out.error
            return None
        self.wheel_error = ""
        self.editing = 0
        await self.load_wheel()
        return rx.toast.success(self.text("ui.saved"))

    @rx.event
    def edit(self, prize_id: int):
        self.editing = int(prize_id)

    @rx.event
    async def set_active(self, prize: dict, active: bool):
        value = parse_money(prize["value"]) if prize["kind"] == "bonus" else int(prize["value"] or 0)
        out = await self.call(wheel.save_prize, prize_id=int(prize["id"]), label=prize["label"], kind=prize["kind"],
                              value=value, weight=int(prize["weight"]), active=bool(active))
        self.wheel_error = out.error
        await self.load_wheel()
