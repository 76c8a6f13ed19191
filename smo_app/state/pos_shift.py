"""/pos/shift: cash in and out with a reason, the X report, closing with the counted cash and the
Z report (with its Excel file). Thin: parse input → call a service → set vars."""
from __future__ import annotations

import reflex as rx

from smo_app import routes
from smo_app.models.staff import Channel
from smo_app.money import parse_money
from smo_app.services.pos import delivery, reports, shifts
from smo_app.state.pos_sale import PosState, money, register_of
from smo_app.state.session import SessionState, said, toast

POS = Channel.pos


class PosShiftState(SessionState):
    """Cash in/out, the X report, closing with the counted cash and the Z report."""

    report: dict[str, str] = {}
    shift_id: int = 0
    closed: bool = False
    move_kind: str = "in"
    move_amount: str = ""
    move_reason: str = ""
    counted_text: str = ""
    closed_note: str = ""  # where the Z report is: sent, being sent, waiting for the bot, nobody to send to

    def _show(self, r: reports.ShiftReport) -> None:
        lang = self.ui_lang_value()
        m = lambda v: money(v, lang)  # noqa: E731
        self.shift_id = r.shift.id
        self.closed = r.kind == "z"
        self.report = {
            "kind": self.text(f"pos.report.title_{r.kind}"), "register": r.shift.register_name, "opened": self.shop_time(r.shift.opened_at),
            "seller": r.shift.opened_by_name, "sales_count": str(r.sales_count), "sales_total": m(r.sales_total_minor),
            "cash": m(r.cash_minor), "card": m(r.card_minor), "discounts": m(r.discounts_minor),
            "returns": m(r.returns_cash_minor + r.returns_card_minor), "cash_in": m(r.cash_in_minor),
            "cash_out": m(r.cash_out_minor), "float": m(r.shift.float_minor), "expected": m(r.expected_cash_minor),
            "counted": m(r.counted_cash_minor), "difference": m(r.difference_minor),
        }

    async def _register(self) -> int:
        return await register_of(self)

    @rx.event
    async def load(self):
        if self.closed:
            return
        out = await self.call(reports.x_report, channel=POS, readonly=True, register_id=await self._register())
        if out.ok:
            self._show(out.value)
        else:
            self.report = {}

    @rx.event
    def set_move_kind(self, value: str | list[str]):
        self.move_kind = value if isinstance(value, str) else (value[0] if value else "in")

    @rx.event
    def set_move_amount(self, value: str):
        self.move_amount = value

    @rx.event
    def set_move_reason(self, value: str):
        self.move_reason = value

    @rx.event
    def set_counted_text(self, value: str):
        self.counted_text = value

    @rx.event
    async def cash_move(self):
        try:
            amount = parse_money(self.move_amount)
        except ValueError:
            return said(self.text("pos.amount_invalid"), ok=False)
        out = await self.call(shifts.cash_move, channel=POS, register_id=await self._register(), kind=self.move_kind,
                              amount_minor=amount, reason=self.move_reason)
        if out.ok:
            self.move_amount = self.move_reason = ""
            await self.load()
        return toast(out, self.text("ui.pos.saved"))

    @rx.event
    async def close_shift(self):
        try:
            counted = parse_money(self.counted_text)
        except ValueError:
            return said(self.text("pos.counted_invalid"), ok=False)
        out = await self.call(shifts.close_shift, channel=POS, register_id=await self._register(),
                              counted_cash_minor=counted)
        if not out.ok:
            return toast(out)
        rep = await self.call(reports.shift_report, channel=POS, readonly=True, shift_id=out.value.id)
        if rep.ok:
            self._show(rep.value)
        sent = await self.call(delivery.z_report_delivery, channel=POS, readonly=True, shift_id=out.value.id)
        self.closed_note = self.text(f"ui.pos.z_{sent.value or delivery.WAITING}")
        self.counted_text = ""
        pos = await self.get_state(PosState)
        pos.shift_open = False

    @rx.event
    def new_shift(self):
        self.closed, self.report = False, {}
        return rx.redirect(routes.POS)

    @rx.event
    async def download(self):
        out = await self.call(reports.report_excel, channel=POS, readonly=True, shift_id=self.shift_id,
                              lang=self.ui_lang_value())
        if not out.ok:
            return toast(out)
        return rx.download(data=out.value, filename=f"{self.report.get('kind', 'X').lower()}-report-{self.shift_id}.xlsx")
