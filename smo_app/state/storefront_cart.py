"""The Mini App's cart (ST4, ST9, ST11) — a substate of the storefront state.

Every amount shown is the breakdown the service returns; what the page sends is only the
customer's choices (quantities, a promo code). The checkout's steps are ``storefront_checkout``
(a substate of this one: it shows the same breakdown with the delivery added).
"""
from __future__ import annotations

import reflex as rx

from smo_app.calling import Result
from smo_app.money import pct_half_up
from smo_app.services.catalog import browse
from smo_app.services.sales import carts
from smo_app.services.sales.carts import CartOut
from smo_app.state.storefront import StoreState
from smo_app.state.storefront_rows import tile_row

DISCOUNT_KINDS = ("product", "personal", "promo")
CROSS_SELL_TILES = 6


class CartState(StoreState):
    lines: list[dict[str, str]] = []
    breakdown: list[dict[str, str]] = []
    total: str = ""
    free_left: str = ""
    promo_code: str = ""
    promo_error: str = ""
    cross: list[dict[str, str]] = []
    confirm_clear: bool = False
    can_checkout: bool = False

    def _unit(self, pl) -> dict[str, str]:
        """A line's unit price as the product card showed it: after the product's (or the customer's
        personal) discount, the list price beside it struck through."""
        if pl is None:
            return {"unit": "", "unit_old": ""}
        if pl.discount_kind in ("product", "personal") and pl.discount_pct:
            return {"unit": self.money(pl.unit_price_minor - pct_half_up(pl.unit_price_minor, pl.discount_pct)),
                    "unit_old": self.money(pl.unit_price_minor)}
        return {"unit": self.money(pl.unit_price_minor), "unit_old": ""}

    def _show(self, out: CartOut, *, delivery: str | None = None) -> None:
        """The cart as the service priced it; ``delivery``: the checkout's delivery line (its amount)."""
        priced = {pl.variant_id: pl for pl in out.pricing.lines}
        rows = []
        for line in out.lines:
            pl = priced.get(line.variant_id)
            note = ""
            if line.problem:
                note = self.text(line.problem, name=line.name, available=line.available)
            elif pl and pl.wholesale:
                note = self.text("ui.sf.wholesale_applied")
            rows.append({
                "variant_id": str(line.variant_id), "product_id": str(line.product_id), "name": line.name,
                "label": line.variant_label, "qty": str(line.qty), "photo": line.photo or "",
                **self._unit(pl), "sum": self.money(pl.total_minor) if pl else "",
                "note": note, "problem": "1" if line.problem else "",
            })
        self.lines = rows
        self.count_cart(out)
        p = out.pricing
        b = [{"label": self.text("ui.sf.goods"), "amount": self.money(p.goods_minor)}]
        for kind in DISCOUNT_KINDS:
            if p.discounts.get(kind):
                b.append({"label": self.text(f"ui.sf.discount_{kind}"), "amount": self.money(-p.discounts[kind])})
        if p.certificate_minor:
            b.append({"label": self.text("ui.sf.certificate"), "amount": self.money(-p.certificate_minor)})
        if p.bonus_minor:
            b.append({"label": self.text("ui.sf.bonuses"), "amount": self.money(-p.bonus_minor)})
        if delivery is not None:
            b.append({"label": self.text("ui.sf.delivery"), "amount": delivery or self.money(p.delivery_minor)})
        self.breakdown = b
        self.total = self.money(p.total_minor)
        left = p.free_delivery_left_minor
        self.free_left = self.text("ui.sf.free_left", amount=self.money(left)) if left else ""
        self.promo_code = out.promo_code or ""
        self.promo_error = self.text(out.promo_error, promo=out.promo_code or "") if out.promo_error else ""
        self.vacation, self.preorder = out.vacation, out.preorder
        self.can_checkout = bool(out.lines) and not out.vacation and all(not r["problem"] for r in rows)

    async def _load_cart(self):
        out = await self.call(carts.get_cart, readonly=True)
        if self.failed(out):
            return
        self._show(out.value)
        tiles = await self.call(browse.store_tiles, readonly=True, product_ids=list(out.value.cross_sell)[:CROSS_SELL_TILES])
        self.cross = [tile_row(x, self.shop_lang) for x in tiles.value] if tiles.ok else []

    @rx.event
    async def show_cart(self):
        self._go("cart")
        self.confirm_clear = False
        await self._load_cart()

    async def _changed(self, out: Result[CartOut]):
        """After a change: the cart as the service answered, or its message and the cart as it is."""
        if not self.failed(out):
            self._show(out.value)
            return self.haptic("select")
        await self._load_cart()
        return self.haptic("error")

    @rx.event
    async def inc(self, variant_id: str):
        return await self._changed(await self.call(carts.add_item, variant_id=int(variant_id)))

    @rx.event
    async def dec(self, variant_id: str):
        qty = next((int(r["qty"]) for r in self.lines if r["variant_id"] == str(variant_id)), 0)
        return await self._changed(await self.call(carts.set_qty, variant_id=int(variant_id), qty=max(qty - 1, 0)))

    @rx.event
    async def set_line_qty(self, variant_id: str, value: str):
        try:
            qty = int(str(value).strip())
        except ValueError:
            self.say(self.text("cart.qty_invalid", max=carts.MAX_LINE_QTY), error=True)
            return self.haptic("error")
        return await self._changed(await self.call(carts.set_qty, variant_id=int(variant_id), qty=qty))

    @rx.event
    async def apply_promo(self, form: dict):
        code = str(form.get("promo", "")).strip()[:32]
        out = await self.call(carts.apply_promo, code=code)
        if self.failed(out):
            return self.haptic("error")
        self._show(out.value)
        if code:
            self.say(self.text("ui.sf.promo_applied", promo=out.value.promo_code or code))
        return self.haptic("success")

    @rx.event
    async def remove_promo(self):
        out = await self.call(carts.apply_promo, code=None)
        if not self.failed(out):
            self._show(out.value)

    @rx.event
    def ask_clear(self):
        self.confirm_clear = True

    @rx.event
    def keep_cart(self):
        self.confirm_clear = False

    @rx.event
    async def clear(self):
        self.confirm_clear = False
        out = await self.call(carts.clear_cart)
        if not self.failed(out):
            self._show(out.value)
            self.cross = []
