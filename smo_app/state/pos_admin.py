"""Admins: POS sales per seller and per shift over a period, discounts by whom, open and overnight
shifts, with an Excel export (PO8)."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import reflex as rx

from smo_app.money import format_money
from smo_app.services.pos import reports
from smo_app.state.session import SessionState, toast


class PosSalesState(SessionState):
    date_from: str = ""
    date_to: str = ""
    sellers: list[dict[str, Any]] = []
    shifts: list[dict[str, Any]] = []
    total: str = ""
    message: str = ""

    def _period(self) -> tuple[date, date] | None:
        today = self.shop_today()
        try:
            start = date.fromisoformat(self.date_from) if self.date_from else today - timedelta(days=6)
            end = date.fromisoformat(self.date_to) if self.date_to else today
        except ValueError:
            self.message = self.text("ui.audit.bad_date")
            return None
        self.date_from, self.date_to = start.isoformat(), end.isoformat()
        return start, end

    @rx.event
    async def apply_period(self, form: dict):
        """The period form (ISO days from the date fields), then the figures for it."""
        self.date_from, self.date_to = str(form.get("from", "")).strip(), str(form.get("to", "")).strip()
        await self._load()

    @rx.event
    async def load(self):
        await self._load()

    async def _load(self):
        self.message = ""
        period = self._period()
        if period is None:
            return
        out = await self.call(reports.sales_analytics, readonly=True, date_from=period[0], date_to=period[1])
        if not out.ok:
            self.message = out.error
            return
        lang = self.ui_lang_value()
        m = lambda v: format_money(v or 0, lang=lang)  # noqa: E731
        data = out.value
        self.total = f"{data.sales_count} · {m(data.total_minor)}"
        self.sellers = [{"name": s.seller_name, "count": s.sales_count, "total": m(s.total_minor),
                         "discounts": m(s.discounts_minor), "manual": m(s.manual_discounts_minor),
                         "returns": m(s.returns_minor)} for s in data.sellers]
        self.shifts = [{"id": s.shift_id, "register": s.register_name, "seller": s.opened_by_name,
                        "opened": self.shop_time(s.opened_at), "closed": self.shop_time(s.closed_at),
                        "open": s.status == "open", "overnight": s.overnight, "count": s.sales_count,
                        "total": m(s.total_minor), "difference": "" if s.difference_minor is None else m(s.difference_minor)}
                       for s in data.shifts]

    @rx.event
    async def export(self):
        period = self._period()
        if period is None:
            return
        out = await self.call(reports.analytics_excel, readonly=True, date_from=period[0], date_to=period[1],
                              lang=self.ui_lang_value())
        if not out.ok:
            return toast(out)
        return rx.download(data=out.value, filename=f"pos-sales-{period[0]}-{period[1]}.xlsx")
