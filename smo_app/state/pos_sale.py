"""The POS sale screen: the register and its shift, search, scan, favourites, the cart, the
customer, approval, payment. Thin: parse input → call a service (off the loop) → set vars. The
other POS flows sit beside it: ``pos_shift`` (cash moves, X/Z), ``pos_receipt``, ``pos_returns``.

The register's cart lives on the server (services.pos.cart); this state only mirrors it. A sale is
submitted with an id made before the first tap and kept in the browser's localStorage until the
answer arrives: a double tap or a resend after a reconnect is the same sale, and a reload with an
id still pending asks the server whether that sale went through.
"""
from __future__ import annotations

import time
import uuid
from typing import Any

import reflex as rx

from smo_app import routes
from smo_app.models.staff import Channel
from smo_app.money import format_money, parse_money
from smo_app.services.pos import cart, lookup, sale, shifts
from smo_app.units import price_unit, qty_text
from smo_app.state.pos_device import PosTabletMixin
from smo_app.state.pos_offline import PosOfflineMixin, offline_snapshot
from smo_app.state.session import DOUBLE_TAP_SECONDS, SessionState, one_tap, said, toast

POS = Channel.pos


def money(minor: int | None, lang: str) -> str:
    """An amount for the POS screens ("" for none)."""
    return "" if minor is None else format_money(minor, lang=lang)


class PosState(PosTabletMixin, PosOfflineMixin, SessionState):
    """The register, its shift and the sale screen (the tablet's device, shared shift and parked
    tickets come from ``pos_device.PosTabletMixin``)."""

    register_id: int = 0
    register_name: str = ""
    registers: list[dict[str, Any]] = []  # [{"id", "name"}] when the shop has more than one
    shift_open: bool = False
    shift_overnight: bool = False
    shift_opened_by: str = ""
    shift_opened_at: str = ""
    expected_cash: str = ""
    float_text: str = ""

    query: str = ""
    hits: list[dict[str, Any]] = []
    favourites: list[dict[str, Any]] = []

    lines: list[dict[str, Any]] = []
    customer_name: str = ""
    customer_bonus: str = ""
    customer_discount: int = 0
    customer_has: bool = False
    customer_query: str = ""
    customer_hits: list[dict[str, Any]] = []
    token_text: str = ""
    bonus_text: str = ""
    totals: dict[str, str] = {}
    total_minor: int = 0
    needs_approval: bool = False
    approval_status: str = ""

    card_text: str = ""
    tendered_text: str = ""
    pending_sale: str = rx.LocalStorage("", name="smo_pos_pending_sale", sync=True)
    _paid: tuple = ()  # (sale id, when) of the sale this tablet just made: a second tap on "pay" shows it
    last_outcome: str = ""  # shown after a reconnect: whether the pending sale went through
    camera_open: bool = False
    message: str = ""

    # ------------------------------------------------------------------ loading
    @rx.event
    async def load(self):
        out = await self.call(shifts.list_registers, channel=POS, readonly=True)
        if not out.ok or not out.value:
            self.message = out.error
            return
        regs = out.value
        if not await self._resolve_device(regs):  # the tablet is named first; its register is its own
            return
        self.registers = []
        await self._refresh_shift()
        await self._refresh_tablet()
        if self.shift_open:
            await self._refresh_cart()
            await self._load_parked()
            fav = await self.call(lookup.favourites, channel=POS, readonly=True)
            self.favourites = [self._hit(h) for h in fav.value or []]
        if self.pending_sale:
            return PosState.check_pending

    @rx.event
    async def choose_register(self, register_id: str | int):
        """This tablet works on another register (shops with several)."""
        try:
            self.register_id = int(register_id)
        except (TypeError, ValueError):
            return
        return PosState.load

    async def _refresh_shift(self) -> None:
        out = await self.call(shifts.current_shift, channel=POS, readonly=True, register_id=self.register_id)
        s = out.value
        self.shift_open = s is not None
        self.shift_overnight = bool(s and s.overnight)
        self.shift_opened_by = s.opened_by_name if s else ""
        self.shift_opened_at = self.shop_time(s.opened_at) if s else ""
        self.expected_cash = money(s.expected_cash_minor, self.ui_lang_value()) if s else ""

    def _hit(self, h) -> dict[str, Any]:
        return {"variant_id": h.variant_id, "name": h.name, "label": h.variant_label, "sku": h.sku or "",
                "price": money(h.price_minor, self.ui_lang_value()), "available": h.available}

    def _show_cart(self, c: cart.CartOut) -> None:
        lang = self.ui_lang_value()
        self.lines = [{"variant_id": ln.variant_id, "name": ln.name, "label": ln.variant_label, "qty": ln.qty,
                       "qty_text": qty_text(ln.qty, ln.unit, lang),
                       "price": money(ln.unit_price_minor, lang) + price_unit(ln.unit, lang), "discount_pct": ln.discount_pct,
                       "manual_pct": ln.manual_pct, "discount_minor": ln.discount_minor,
                       "discount_text": money(ln.discount_minor, lang), "total": money(ln.total_minor, lang)} for ln in c.lines]
        if c.lines:  # a new sale has begun: "pay" is no longer the last sale's second tap
            self._paid = ()
        cust = c.customer
        self.customer_has = cust is not None
        self.customer_name = (cust.name or cust.phone) if cust else ""
        self.customer_bonus = money(cust.bonus_balance_minor, lang) if cust else ""
        self.customer_discount = cust.personal_discount_pct if cust else 0
        self.totals = {"goods": money(c.goods_minor, lang), "discount": money(c.discount_total_minor, lang),
                       "bonus": money(c.bonus_minor, lang), "total": money(c.total_minor, lang),
                       "bonus_cap": money(c.bonus_cap_minor, lang)}
        self.total_minor = c.total_minor
        self.offline_cart = offline_snapshot(c, self.register_id, self.device_id or None)
        self._seen_cart = str(c.updated_at)  # the poll reloads only for a change made elsewhere
        self.needs_approval = c.needs_approval
        self.approval_status = c.approval_status

    async def _refresh_cart(self) -> None:
        out = await self.call(cart.get_cart, channel=POS, readonly=True, register_id=self.register_id,
                              **self._device_kw())
        if out.ok:
            self._show_cart(out.value)

    async def _cart_call(self, fn, **kwargs):
        if self._device_missing():  # a scan or tap before the tablet is named: not the register's shared cart
            return self._no_tablet()
        out = await self.call(fn, channel=POS, register_id=self.register_id, **self._device_kw(), **kwargs)
        if not out.ok and out.code == "pos.shift_closed":  # closed on another tablet: the screen follows
            self.shift_open, self.closed_elsewhere = False, True
        if out.ok:
            self._show_cart(out.value)
            self._last_heard = time.time()  # fresh from the server: the next poll may skip
        return toast(out)

    # ------------------------------------------------------------------ shift
    @rx.event
    def set_float_text(self, value: str):
        self.float_text = value

    @rx.event
    @one_tap
    async def open_shift(self):
        try:
            amount = parse_money(self.float_text or "0")
        except ValueError:
            return said(self.text("pos.float_invalid"), ok=False)
        out = await self.call(shifts.open_shift, channel=POS, once=True, register_id=self.register_id, float_minor=amount)
        if not out.ok:
            return toast(out)
        self.float_text = ""
        return PosState.load

    # ------------------------------------------------------------------ search, scan, favourites
    @rx.event
    async def search(self, value: str):
        self.query = value
        out = await self.call(lookup.search_products, channel=POS, readonly=True, query=value)
        if value == self.query:  # a newer keystroke has not overtaken this answer
            self.hits = [self._hit(h) for h in out.value or []]

    @rx.event
    async def search_enter(self, key: str):
        if key == "Enter" and self.query.strip():
            code, hits = self.query.strip(), self.hits
            self.query, self.hits = "", []
            if len(hits) == 1:
                return await self._cart_call(cart.add_item, variant_id=hits[0]["variant_id"])
            return await self._add_scanned(code)

    @rx.event
    async def scanned(self, code: str):
        """A burst from the USB scanner (anywhere on the page) or a code from the camera."""
        code = (code or "").strip()
        if not code:
            return
        self.camera_open = False
        return await self._add_scanned(code)

    async def _add_scanned(self, code: str):
        """What the code is (lookup.scan_code: the loyalty QR or card code, a barcode or SKU, a
        scale's weight label), then into the cart: the customer, or the variant × the quantity."""
        out = await self.call(lookup.scan_code, channel=POS, readonly=True, code=code)
        if not out.ok:
            return toast(out)
        if out.value.customer is not None:
            return await self._cart_call(cart.set_customer, customer_id=out.value.customer.id)
        return await self._cart_call(cart.add_item, variant_id=out.value.product.variant_id, qty=out.value.qty)

    @rx.event
    def toggle_camera(self):
        self.camera_open = not self.camera_open

    @rx.event
    async def add(self, variant_id: int):
        return await self._cart_call(cart.add_item, variant_id=variant_id)

    @rx.event
    async def inc(self, variant_id: int, qty: int):
        return await self._cart_call(cart.set_qty, variant_id=variant_id, qty=qty)

    @rx.event
    async def clear(self):
        return await self._cart_call(cart.clear_cart)

    # ------------------------------------------------------------------ customer
    @rx.event
    async def find_customer(self, value: str):
        self.customer_query = value
        out = await self.call(lookup.find_customers, channel=POS, readonly=True, query=value)
        if value == self.customer_query:
            self.customer_hits = [{"id": c.id, "name": c.name, "phone": c.phone,
                                   "bonus": money(c.bonus_balance_minor, self.ui_lang_value())} for c in out.value or []]

    @rx.event
    async def choose_customer(self, customer_id: int):
        self.customer_hits, self.customer_query = [], ""
        return await self._cart_call(cart.set_customer, customer_id=customer_id)

    @rx.event
    async def drop_customer(self):
        return await self._cart_call(cart.set_customer, customer_id=None)

    @rx.event
    def set_token_text(self, value: str):
        self.token_text = value

    @rx.event
    async def attach_token(self):
        token, self.token_text = self.token_text.strip(), ""
        return await self._add_scanned(token) if token else None  # the QR's token or the card's short code

    @rx.event
    def set_bonus_text(self, value: str):
        self.bonus_text = value

    @rx.event
    async def apply_bonus(self):
        text, self.bonus_text = self.bonus_text, ""  # the field keeps nothing: the totals show what applied
        try:
            amount = parse_money(text or "0")
        except ValueError:
            return said(self.text("pos.amount_invalid"), ok=False)
        return await self._cart_call(cart.set_bonus, bonus_minor=amount)

    # ------------------------------------------------------------------ payment
    @rx.event
    def set_card_text(self, value: str):
        self.card_text = value

    @rx.event
    def set_tendered_text(self, value: str):
        self.tendered_text = value

    @rx.event
    def all_card(self):
        self.card_text = f"{self.total_minor / 100:.2f}"
        self.tendered_text = ""

    @rx.event
    def all_cash(self):
        self.card_text = ""
        self.tendered_text = f"{self.total_minor / 100:.2f}"

    @rx.var
    def change_preview(self) -> str:
        try:
            card = parse_money(self.card_text or "0")
            tendered = parse_money(self.tendered_text or "0")
        except ValueError:
            return ""
        return money(sale.change_preview(self.total_minor, card_minor=card, tendered_minor=tendered), self.ui_lang)

    @rx.event
    @one_tap
    async def pay(self):
        if self._paid and time.time() - self._paid[1] < DOUBLE_TAP_SECONDS:
            return rx.redirect(f"{routes.POS_RECEIPT}?id={self._paid[0]}")  # the second tap: the sale just made
        try:
            card = parse_money(self.card_text or "0")
            tendered = parse_money(self.tendered_text or "0")
        except ValueError:
            return said(self.text("pos.amount_invalid"), ok=False)
        if self._device_missing():
            return self._no_tablet()
        if not self.pending_sale:  # made before the request leaves: a resend reuses it
            self.pending_sale = uuid.uuid4().hex
        out = await self.call(sale.submit_sale, channel=POS, register_id=self.register_id,
                              client_id=self.pending_sale, card_minor=card, tendered_minor=tendered,
                              **self._device_kw())
        if not out.ok:
            if out.code:  # refused (not a lost connection): a new attempt gets a new id
                self.pending_sale = ""
            return toast(out)
        self.pending_sale = ""
        self.card_text = self.tendered_text = ""
        self._paid = (out.value.sale_id, time.time())
        return rx.redirect(f"{routes.POS_RECEIPT}?id={out.value.sale_id}")

    @rx.event
    async def check_pending(self):
        """After a reload or a reconnect with a sale in flight: did it go through?"""
        client_id = self.pending_sale
        if not client_id:
            return
        out = await self.call(sale.find_sale_by_client_id, channel=POS, readonly=True, client_id=client_id)
        self.pending_sale = ""
        if out.ok and out.value is not None:
            self.last_outcome = self.text("ui.pos.sale_went_through", number=out.value.sale_id)
            return rx.redirect(f"{routes.POS_RECEIPT}?id={out.value.sale_id}")
        self.last_outcome = self.text("ui.pos.sale_not_made")


async def register_of(state: SessionState) -> int:
    """The register this tablet works on (the sale screen's choice; the first one if the tablet
    opened another POS page first)."""
    pos = await state.get_state(PosState)
    if not pos.register_id:
        out = await state.call(shifts.list_registers, channel=POS, readonly=True)
        if out.value and not await pos._resolve_device(out.value):  # the tablet's register, else the first
            pos.register_id, pos.register_name = out.value[0].id, out.value[0].name
    return pos.register_id


async def tablet_kw(state: SessionState) -> dict[str, int | None] | None:
    """This tablet's register and device as the cart services take them: an exchange, an approval
    or the line editor works on the tablet's own cart, never the register's shared one. None while
    the browser has not named (or picked) its tablet: the caller refuses with ``pos.device_needed``."""
    register_id = await register_of(state)
    pos = await state.get_state(PosState)
    if pos._device_missing():
        return None
    return {"register_id": register_id, **pos._device_kw()}
