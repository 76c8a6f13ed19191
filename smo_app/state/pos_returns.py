"""/pos/returns: find the original sale (its number, a scan of the receipt, the customer), tap the
lines that come back with +/−, and either return them or exchange them for new items in the same
step — the difference settled either way. Each attempt has its own id (made when the sale is
picked): a resend after a lost answer is the same return or exchange."""
from __future__ import annotations

import uuid
from typing import Any

import reflex as rx

from smo_app.models.staff import Channel
from smo_app.money import parse_money
from smo_app.services.pos import cart, lookup, receipt_code, returns, sale
from smo_app.state.pos_sale import money, register_of, tablet_kw
from smo_app.state.session import SessionState, said, toast

POS = Channel.pos


class PosReturnState(SessionState):
    query: str = ""
    sales: list[dict[str, Any]] = []
    sale_id: int = 0
    sale_lines: list[dict[str, Any]] = []  # {"id", "name", "qty", "left", "total", "pick"}
    back_minor: int = 0  # what the picked lines give back (pays an exchange's new items first)
    back_text: str = ""
    exchange_mode: bool = False
    ex_query: str = ""
    ex_hits: list[dict[str, Any]] = []
    ex_lines: list[dict[str, Any]] = []  # this tablet's cart: the new items
    ex_total_minor: int = 0
    ex_total_text: str = ""
    card_text: str = ""
    tendered_text: str = ""
    result: str = ""
    _client_id: str = ""

    # ------------------------------------------------------------------ the sale
    @rx.event
    def set_query(self, value: str):
        self.query = value

    @rx.event
    async def scanned(self, code: str):
        """The receipt's code from the USB scanner (its number or the tablet's sale id)."""
        code = (code or "").strip()
        if not code:  # the scanner's hidden field emptied after a code
            return
        self.query = code
        return await self.find()

    @rx.event
    async def find_on_enter(self, key: str):
        if key == "Enter":
            return await self.find()

    @rx.event
    async def find(self):
        scanned = receipt_code.parse_receipt_code(self.query)
        if scanned is not None:  # the code printed on the receipt: that sale, nothing to choose
            return await self.pick(scanned)
        out = await self.call(sale.find_sales, channel=POS, readonly=True, query=self.query)
        if not out.ok:
            return toast(out)
        lang = self.ui_lang_value()
        self.sales = [{"id": r.sale_id, "time": self.shop_time(r.created_at), "total": money(r.total_minor, lang),
                       "customer": r.customer_name} for r in out.value]
        if len(out.value) == 1:
            return await self.pick(out.value[0].sale_id)
        if not out.value:
            return rx.toast.info(self.text("ui.pos.nothing_found"))

    @rx.event
    async def pick(self, sale_id: int):
        out = await self.call(sale.get_receipt, channel=POS, readonly=True, sale_id=sale_id)
        if not out.ok:
            return toast(out)
        lang = self.ui_lang_value()
        self.sale_id, self.result, self.sales = sale_id, "", []
        self._client_id = uuid.uuid4().hex
        self.sale_lines = [{"id": ln.order_line_id, "name": f"{ln.name} {ln.variant_label}".strip(), "qty": ln.qty,
                            "left": ln.qty - ln.returned_qty, "total": money(ln.total_minor, lang), "pick": 0}
                           for ln in out.value.lines]
        self.back_minor, self.back_text = 0, money(0, lang)
        if self.exchange_mode:
            await self._refresh_new_items()

    @rx.event
    async def plus(self, line_id: int):
        return await self._step(line_id, 1)

    @rx.event
    async def minus(self, line_id: int):
        return await self._step(line_id, -1)

    async def _step(self, line_id: int, delta: int):
        self.sale_lines = [{**ln, "pick": min(max(ln["pick"] + delta, 0), ln["left"])} if ln["id"] == line_id else ln
                           for ln in self.sale_lines]
        out = await self.call(returns.preview_return, channel=POS, readonly=True, sale_id=self.sale_id,
                              lines=self._picked())
        if not out.ok:
            return toast(out)
        self.back_minor = out.value.money_minor
        self.back_text = money(self.back_minor, self.ui_lang_value())

    def _picked(self) -> list[dict[str, int]]:
        return [{"order_line_id": ln["id"], "qty": ln["pick"]} for ln in self.sale_lines if ln["pick"] > 0]

    # ------------------------------------------------------------------ exchange: the new items
    @rx.event
    async def set_mode(self, value: str | list[str]):
        self.exchange_mode = value == "exchange"
        if self.exchange_mode:
            await self._refresh_new_items()

    async def _refresh_new_items(self) -> None:
        kw = await tablet_kw(self)
        if kw is None:  # the page shows the naming form instead
            return
        out = await self.call(cart.get_cart, channel=POS, readonly=True, **kw)
        if out.ok:
            self._show_new_items(out.value)

    def _show_new_items(self, c: cart.CartOut) -> None:
        lang = self.ui_lang_value()
        self.ex_lines = [{"variant_id": ln.variant_id, "name": f"{ln.name} {ln.variant_label}".strip(), "qty": ln.qty,
                          "total": money(ln.total_minor, lang)} for ln in c.lines]
        self.ex_total_minor, self.ex_total_text = c.total_minor, money(c.total_minor, lang)

    @rx.event
    async def ex_search(self, value: str):
        self.ex_query = value
        out = await self.call(lookup.search_products, channel=POS, readonly=True, query=value)
        if value == self.ex_query:
            lang = self.ui_lang_value()
            self.ex_hits = [{"variant_id": h.variant_id, "name": f"{h.name} {h.variant_label}".strip(),
                             "price": money(h.price_minor, lang)} for h in (out.value or [])[:8]]

    @rx.event
    async def ex_add(self, variant_id: int):
        self.ex_query, self.ex_hits = "", []
        return await self._cart(cart.add_item, variant_id=variant_id)

    @rx.event
    async def ex_qty(self, variant_id: int, qty: int):
        return await self._cart(cart.set_qty, variant_id=variant_id, qty=qty)

    async def _cart(self, fn, **kwargs):
        kw = await tablet_kw(self)
        if kw is None:
            return said(self.text("pos.device_needed"), ok=False)
        out = await self.call(fn, channel=POS, **kw, **kwargs)
        if out.ok:
            self._show_new_items(out.value)
        return toast(out)

    @rx.var
    def difference_minor(self) -> int:
        """> 0: the customer pays this much more; < 0: they get this much back."""
        return self.ex_total_minor - self.back_minor

    @rx.var
    def difference_text(self) -> str:
        return money(abs(self.ex_total_minor - self.back_minor), self.ui_lang)

    @rx.event
    def set_payment(self, field: str, value: str):
        """The exchange's extra payment as typed: ``card`` or ``cash`` given."""
        if field == "card":
            self.card_text = value
        else:
            self.tendered_text = value

    # ------------------------------------------------------------------ doing it
    @rx.event
    async def do_return(self):
        out = await self.call(returns.return_items, channel=POS, register_id=await register_of(self),
                              sale_id=self.sale_id, lines=self._picked(), client_id=self._client_id or uuid.uuid4().hex)
        if not out.ok:
            return toast(out)
        lang = self.ui_lang_value()
        r = out.value
        await self.pick(self.sale_id)
        self.result = self.text("ui.pos.returned", cash=money(r.cash_minor, lang), card=money(r.card_minor, lang),
                                bonus=money(r.bonus_back_minor, lang))

    @rx.event
    async def do_exchange(self):
        try:
            card = parse_money(self.card_text or "0")
            tendered = parse_money(self.tendered_text or "0")
        except ValueError:
            self.card_text = self.tendered_text = ""
            return said(self.text("pos.amount_invalid"), ok=False)
        kw = await tablet_kw(self)
        if kw is None:
            return said(self.text("pos.device_needed"), ok=False)
        out = await self.call(returns.exchange, channel=POS, **kw, sale_id=self.sale_id,
                              lines=self._picked(), client_id=self._client_id or uuid.uuid4().hex, card_minor=card,
                              tendered_minor=tendered)
        if not out.ok:
            return toast(out)
        lang = self.ui_lang_value()
        x = out.value
        self.card_text = self.tendered_text = ""
        await self.pick(self.sale_id)
        if x.returned.cash_minor or x.returned.card_minor:
            self.result = self.text("ui.pos.exchanged_back", number=x.sale.sale_id, cash=money(x.returned.cash_minor, lang),
                                    card=money(x.returned.card_minor, lang))
        else:
            self.result = self.text("ui.pos.exchanged_paid", number=x.sale.sale_id,
                                    paid=money(x.sale.cash_minor + x.sale.card_minor, lang))
