"""/pos/returns: find the original sale, choose what comes back, return it (once per attempt: the
attempt's id is made when the sale is picked)."""
from __future__ import annotations

import uuid
from typing import Any

import reflex as rx

from smo_app.models.staff import Channel
from smo_app.services.pos import returns, sale
from smo_app.state.pos_sale import money, register_of
from smo_app.state.session import SessionState, toast

POS = Channel.pos


class PosReturnState(SessionState):
    query: str = ""
    sales: list[dict[str, Any]] = []
    sale_id: int = 0
    sale_lines: list[dict[str, Any]] = []
    chosen: dict[str, int] = {}  # order line id (as text) → qty to return
    result: str = ""
    _client_id: str = ""

    @rx.event
    def set_query(self, value: str):
        self.query = value

    @rx.event
    async def find(self):
        out = await self.call(sale.find_sales, channel=POS, readonly=True, query=self.query)
        if not out.ok:
            return toast(out)
        lang = self.ui_lang_value()
        self.sales = [{"id": r.sale_id, "time": self.shop_time(r.created_at), "total": money(r.total_minor, lang),
                       "customer": r.customer_name} for r in out.value]
        if len(out.value) == 1:
            return PosReturnState.pick(out.value[0].sale_id)
        if not out.value:
            return rx.toast.info(self.text("ui.pos.nothing_found"))

    @rx.event
    async def pick(self, sale_id: int):
        out = await self.call(sale.get_receipt, channel=POS, readonly=True, sale_id=sale_id)
        if not out.ok:
            return toast(out)
        lang = self.ui_lang_value()
        self.sale_id, self.chosen, self.result = sale_id, {}, ""
        self._client_id = uuid.uuid4().hex
        self.sale_lines = [{"id": ln.order_line_id, "name": f"{ln.name} {ln.variant_label}".strip(), "qty": ln.qty,
                            "left": ln.qty - ln.returned_qty, "total": money(ln.total_minor, lang)}
                           for ln in out.value.lines]

    @rx.event
    def set_line(self, line_id: int, value: str):
        try:
            qty = max(int(value or "0"), 0)
        except ValueError:
            qty = 0
        self.chosen = {**self.chosen, str(line_id): qty}

    @rx.event
    async def do_return(self):
        lines = [{"order_line_id": int(k), "qty": v} for k, v in self.chosen.items() if v > 0]
        out = await self.call(returns.return_items, channel=POS, register_id=await register_of(self), sale_id=self.sale_id,
                              lines=lines, client_id=self._client_id or uuid.uuid4().hex)
        if not out.ok:
            return toast(out)
        lang = self.ui_lang_value()
        r = out.value
        self.result = self.text("ui.pos.returned", cash=money(r.cash_minor, lang), card=money(r.card_minor, lang),
                                bonus=money(r.bonus_back_minor, lang))
        await self.pick(self.sale_id)
        self.result = self.text("ui.pos.returned", cash=money(r.cash_minor, lang), card=money(r.card_minor, lang),
                                bonus=money(r.bonus_back_minor, lang))
