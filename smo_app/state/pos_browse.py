"""Browsing the catalog by category on the sale screen, beyond the favourites grid."""
from __future__ import annotations

from typing import Any

import reflex as rx

from smo_app.models.staff import Channel
from smo_app.services.pos import lookup
from smo_app.state.pos_sale import money
from smo_app.state.session import SessionState, toast

POS = Channel.pos


class PosBrowseState(SessionState):
    categories: list[dict[str, Any]] = []  # {"id", "name"}
    category_id: int = 0  # 0: the favourites
    items: list[dict[str, Any]] = []

    @rx.event
    async def load(self):
        out = await self.call(lookup.categories, channel=POS, readonly=True)
        self.categories = [{"id": c.id, "name": c.name} for c in out.value or []]

    @rx.event
    async def choose(self, category_id: int):
        self.category_id = category_id
        if not category_id:
            self.items = []
            return
        out = await self.call(lookup.in_category, channel=POS, readonly=True, category_id=category_id)
        if not out.ok:
            return toast(out)
        lang = self.ui_lang_value()
        self.items = [{"variant_id": h.variant_id, "name": h.name, "label": h.variant_label, "sku": h.sku or "",
                       "price": money(h.price_minor, lang), "available": h.available} for h in out.value]
