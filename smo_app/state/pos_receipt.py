"""/pos/receipt: the sale's receipt, and sending it to the customer's Telegram."""
from __future__ import annotations

from typing import Any

import reflex as rx

from smo_app.models.staff import Channel
from smo_app.services.pos import receipt_code, sale
from smo_app.state.pos_sale import money
from smo_app.state.session import SessionState, toast

POS = Channel.pos


class PosReceiptState(SessionState):
    receipt: dict[str, Any] = {}
    receipt_lines: list[dict[str, Any]] = []

    @rx.event
    async def load(self):
        raw = self.router.url.query_parameters.get("id", "0")
        try:
            sale_id = int(raw)
        except (TypeError, ValueError):
            sale_id = 0
        out = await self.call(sale.get_receipt, channel=POS, readonly=True, sale_id=sale_id)
        if not out.ok:
            self.receipt, self.receipt_lines = {}, []
            return toast(out)
        r, lang = out.value, self.ui_lang_value()
        m = lambda v: money(v, lang)  # noqa: E731
        self.receipt = {"id": r.sale_id, "shop": r.shop_name, "register": r.register_name, "seller": r.seller_name,
                        "time": self.shop_time(r.created_at), "customer": r.customer_name,
                        "can_send": r.customer_has_telegram, "goods": m(r.goods_minor), "discount": m(r.discount_minor),
                        "bonus": m(r.bonus_minor), "total": m(r.total_minor), "cash": m(r.cash_minor),
                        "card": m(r.card_minor), "credit": m(r.credit_minor), "tendered": m(r.tendered_minor),
                        "change": m(r.change_minor), "cashback": m(r.cashback_minor),
                        "code": receipt_code.receipt_code(r.sale_id),
                        "code_svg": receipt_code.code128_svg_uri(receipt_code.receipt_code(r.sale_id))}
        self.receipt_lines = [{"name": f"{ln.name} {ln.variant_label}".strip(), "qty": ln.qty,
                               "price": m(ln.unit_price_minor), "total": m(ln.total_minor)} for ln in r.lines]

    @rx.event
    async def send(self):
        out = await self.call(sale.send_receipt, channel=POS, sale_id=self.receipt.get("id", 0))
        return toast(out, self.text("ui.pos.receipt_sent"))
