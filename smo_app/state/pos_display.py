"""/pos/display?register=…[&device=…]: the customer-facing screen. Its clock asks every second
what the customer should see (``pos.display``); the screen redraws only when that changed."""
from __future__ import annotations

from typing import Any

import reflex as rx

from smo_app.models.staff import Channel
from smo_app.services.pos import display
from smo_app.state.pos_sale import money
from smo_app.state.session import SessionState
from smo_app.state.storefront_account import qr_data_uri
from smo_app.units import qty_text

POS = Channel.pos


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None


class PosDisplayState(SessionState):
    register_name: str = ""
    shop_name: str = ""
    lines: list[dict[str, Any]] = []
    total: str = ""
    discount: str = ""
    has_discount: bool = False
    customer: str = ""
    last_total: str = ""
    last_change: str = ""
    qr: str = ""
    missing: bool = False
    _version: str = ""
    _link: str = ""

    @rx.event
    async def load(self):
        self._version = ""
        await self.tick()

    @rx.event
    async def tick(self, _now: str = ""):
        query = self.router.url.query_parameters
        register_id = _int(query.get("register"))
        if register_id is None:
            self.missing = True
            return
        out = await self.call(display.customer_display, channel=POS, readonly=True, register_id=register_id,
                              device_id=_int(query.get("device")))
        self.missing = not out.ok
        if not out.ok or out.value.version == self._version:
            return
        d, lang = out.value, self.ui_lang_value()
        self._version = d.version
        self.register_name, self.shop_name, self.customer = d.register_name, d.shop_name, d.customer_name
        self.lines = [{"name": f"{ln.name} {ln.variant_label}".strip(), "qty": qty_text(ln.qty, ln.unit, lang),
                       "total": money(ln.total_minor, lang)} for ln in d.lines]
        self.total = money(d.total_minor, lang)
        self.discount, self.has_discount = money(d.discount_minor, lang), d.discount_minor > 0
        self.last_total = money(d.last_total_minor, lang)
        self.last_change = money(d.last_change_minor, lang) if d.last_change_minor else ""
        if d.join_link != self._link:
            self._link, self.qr = d.join_link, qr_data_uri(d.join_link)
