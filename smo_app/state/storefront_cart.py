"""The Mini App's cart and checkout (ST4, ST5, ST9, ST11) — a substate of the storefront state.

Every amount shown is the breakdown the service returns; what the page sends is only the
customer's choices (quantities, codes, delivery type, address, bonuses to spend). At placing the
delivery quote is taken again on the server, never from the page. ``client_ref`` is fixed when
the summary opens, so a double tap or a retried request places one order.
"""
from __future__ import annotations

import uuid

import reflex as rx

from smo_app.i18n import t
from smo_app.money import parse_money
from smo_app.services.catalog import browse
from smo_app.services.core import ports
from smo_app.services.customers.profile import last_contacts
from smo_app.services.sales import carts, checkout_preview
from smo_app.services.sales.carts import CartOut
from smo_app.services.sales.checkout import place_order
from smo_app.settings import get_settings
from smo_app.state.storefront import StoreState, tile_row

STEPS = ("contacts", "delivery", "extras", "summary")
PAYMENT_METHODS = ("manual",)  # the payment step offers these (payments plug theirs in here)


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
    # checkout
    step: str = "contacts"
    contact_name: str = ""
    phone: str = ""
    delivery_type: str = "pickup"
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    suggestions: list[str] = []
    points: list[dict[str, str]] = []
    point_code: str = ""
    quote_text: str = ""
    quote_minor: int = 0
    quote_manager: bool = False
    certificate_code: str = ""
    bonus_text: str = ""
    bonus_max: str = ""
    comment: str = ""
    payment_method: str = "manual"
    client_ref: str = ""
    step_error: str = ""

    # -- cart ------------------------------------------------------------------------------------
    def _show(self, out: CartOut) -> None:
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
                "unit": self.money(pl.unit_price_minor) if pl else "", "sum": self.money(pl.total_minor) if pl else "",
                "note": note, "problem": "1" if line.problem else "",
            })
        self.lines = rows
        self.cart_count = sum(line.qty for line in out.lines)
        p = out.pricing
        b = [{"label": self.text("ui.sf.goods"), "amount": self.money(p.goods_minor)}]
        for kind in ("product", "personal", "promo"):
            if p.discounts.get(kind):
                b.append({"label": self.text(f"ui.sf.discount_{kind}"), "amount": self.money(-p.discounts[kind])})
        if p.certificate_minor:
            b.append({"label": self.text("ui.sf.certificate"), "amount": self.money(-p.certificate_minor)})
        if p.bonus_minor:
            b.append({"label": self.text("ui.sf.bonuses"), "amount": self.money(-p.bonus_minor)})
        if self.screen == "checkout":
            b.append({"label": self.text("ui.sf.delivery"),
                      "amount": self.text("ui.sf.manager_calculates") if self.quote_manager else self.money(p.delivery_minor)})
        self.breakdown = b
        self.total = self.money(p.total_minor)
        left = p.free_delivery_left_minor
        self.free_left = self.text("ui.sf.free_left", amount=self.money(left)) if left else ""
        self.bonus_max = self.money(p.bonus_max_minor) if p.bonus_max_minor else ""
        self.promo_code = out.promo_code or ""
        self.promo_error = self.text(out.promo_error, promo=out.promo_code or "") if out.promo_error else ""
        self.vacation, self.preorder = out.vacation, out.preorder
        self.can_checkout = bool(out.lines) and not out.vacation and all(not r["problem"] for r in rows)

    async def _load_cart(self):
        ok, out = await self.run(lambda s, me: carts.get_cart(s, actor=me.actor, customer_id=me.id), readonly=True)
        if ok:
            self._show(out)
            ids = list(out.cross_sell)[:6]
            ok, tiles = await self.run(lambda s, me: browse.store_tiles(s, actor=me.actor, product_ids=ids),
                                       readonly=True)
            self.cross = [tile_row(x, self.shop_lang) for x in tiles] if ok else []

    @rx.event
    async def show_cart(self):
        self._go("cart")
        self.confirm_clear = False
        await self._load_cart()

    async def _change(self, fn):
        ok, out = await self.run(fn)
        if ok:
            self._show(out)
            return self.haptic("select")
        await self._load_cart()  # the service's message is shown; the cart as it really is
        return self.haptic("error")

    @rx.event
    async def inc(self, variant_id: str):
        vid = int(variant_id)
        return await self._change(lambda s, me: carts.add_item(s, actor=me.actor, customer_id=me.id, variant_id=vid))

    @rx.event
    async def dec(self, variant_id: str):
        vid = int(variant_id)
        qty = next((int(r["qty"]) for r in self.lines if r["variant_id"] == str(vid)), 0)
        return await self._change(lambda s, me: carts.set_qty(s, actor=me.actor, customer_id=me.id, variant_id=vid,
                                                              qty=max(qty - 1, 0)))

    @rx.event
    async def set_line_qty(self, variant_id: str, value: str):
        vid = int(variant_id)
        try:
            qty = int(str(value).strip())
        except ValueError:
            self.say(self.text("cart.qty_invalid", max=carts.MAX_LINE_QTY), error=True)
            return self.haptic("error")
        return await self._change(lambda s, me: carts.set_qty(s, actor=me.actor, customer_id=me.id, variant_id=vid,
                                                              qty=qty))

    @rx.event
    async def apply_promo(self, form: dict):
        code = str(form.get("promo", "")).strip()[:32]
        ok, out = await self.run(lambda s, me: carts.apply_promo(s, actor=me.actor, customer_id=me.id, code=code))
        if ok:
            self._show(out)
            if code:
                self.say(self.text("ui.sf.promo_applied", promo=out.promo_code or code))
            return self.haptic("success")
        return self.haptic("error")

    @rx.event
    async def remove_promo(self):
        ok, out = await self.run(lambda s, me: carts.apply_promo(s, actor=me.actor, customer_id=me.id, code=None))
        if ok:
            self._show(out)

    @rx.event
    def ask_clear(self):
        self.confirm_clear = True

    @rx.event
    def keep_cart(self):
        self.confirm_clear = False

    @rx.event
    async def clear(self):
        self.confirm_clear = False
        ok, out = await self.run(lambda s, me: carts.clear_cart(s, actor=me.actor, customer_id=me.id))
        if ok:
            self._show(out)
            self.cross = []

    # -- checkout --------------------------------------------------------------------------------
    @rx.event
    async def start_checkout(self):
        if not self.can_checkout:
            return
        ok, contacts = await self.run(lambda s, me: last_contacts(s, actor=me.actor, customer_id=me.id), readonly=True)
        if ok:
            self.contact_name = self.contact_name or contacts.contact_name
            self.phone = self.phone or contacts.phone
            self.address = self.address or contacts.address
            self.delivery_type = contacts.delivery_type if contacts.delivery_type in ("pickup", "courier") else "pickup"
        self.step, self.step_error, self.client_ref = "contacts", "", ""
        self._go("checkout")

    @rx.event
    def set_contact(self, form: dict):
        name = " ".join(str(form.get("contact_name", "")).split())[:128]
        phone = str(form.get("phone", "")).strip()[:32]
        digits = [c for c in phone if c.isdigit()]
        if not name:
            self.step_error = self.text("ui.sf.name_required")
        elif not 10 <= len(digits) <= 15 or any(c not in "+0123456789 ()-" for c in phone):
            self.step_error = self.text("ui.sf.phone_invalid")
        else:
            self.contact_name, self.phone, self.step_error = name, phone, ""
            self.step = "delivery"
            return self._options()
        return self.haptic("error")

    @rx.event
    def request_contact(self):
        return rx.call_script("window.smoTg ? window.smoTg.requestContact() : ''", callback=CartState.got_contact)

    @rx.event
    def got_contact(self, phone: str | None):
        phone = str(phone or "").strip()[:32]
        if phone:
            self.phone = phone if phone.startswith("+") else f"+{phone}"

    @rx.event
    async def choose_delivery(self, kind: str | list[str]):
        if isinstance(kind, str) and kind in ("pickup", "courier"):
            self.delivery_type = kind
            self.point_code = ""
            await self._refresh_options()
            return self.haptic("select")

    @rx.event
    async def set_address(self, value: str):
        if self.step != "delivery":  # a late keystroke (the field waits before it sends) after the step moved on
            return
        self.address = " ".join(str(value or "").split())[:255]
        self.lat = self.lon = None
        address_port = ports.address()
        query, lang = self.address, self.shop_lang
        ok, found = await self.run(lambda s, me: checkout_preview.suggest(address_port=address_port, query=query,
                                                                          language=lang), readonly=True)
        self.suggestions = [a.value for a in found if a.value != self.address] if ok else []
        if self.delivery_type == "courier" and len(self.address) >= 5:
            await self._refresh_options()  # a live quote for what is typed

    @rx.event
    async def pick_suggestion(self, value: str):
        self.address, self.suggestions = str(value)[:255], []
        await self._refresh_options()

    @rx.event
    def use_location(self):
        return rx.call_script("window.smoTg ? window.smoTg.location() : null", callback=CartState.got_location)

    @rx.event
    async def got_location(self, where: dict | None):
        if not isinstance(where, dict) or where.get("lat") is None:
            self.say(self.text("ui.sf.no_location"), error=True)
            return
        try:
            lat, lon = float(where["lat"]), float(where["lon"])
        except (TypeError, ValueError):
            return
        address_port = ports.address()
        ok, found = await self.run(lambda s, me: checkout_preview.address_at(address_port=address_port, lat=lat, lon=lon),
                                   readonly=True)
        if ok and found:
            self.address = found.value
        self.lat, self.lon = lat, lon
        await self._refresh_options()

    def _options(self):
        return CartState.refresh_options

    @rx.event
    async def refresh_options(self):
        await self._refresh_options()

    async def _refresh_options(self):
        quote = await self._quote()
        if quote is None:
            return
        await self._preview()

    async def _quote(self):
        port, address_port = ports.delivery(), ports.address()
        kind, address, lat, lon = self.delivery_type, self.address, self.lat, self.lon
        city = get_settings().cdek_from_city_code
        if kind == "courier" and not address:
            self.quote_text, self.quote_minor, self.quote_manager, self.points = "", 0, False, []
            return None
        ok, out = await self.run(lambda s, me: checkout_preview.delivery_options(
            s, actor=me.actor, customer_id=me.id, port=port, address_port=address_port, delivery_type=kind,
            address=address, lat=lat, lon=lon, from_city_code=city))
        if not ok:
            return None
        q = out.quote
        self.quote_manager = q.status != "quoted"
        self.quote_minor = q.price_minor or 0 if not self.quote_manager else 0
        if self.quote_manager:
            self.quote_text = self.text("ui.sf.manager_calculates")
        else:
            self.quote_text = self.text("ui.sf.quote", price=self.money(q.price_minor),
                                        days=f"{q.period_min}–{q.period_max}" if q.period_min != q.period_max
                                        else str(q.period_min))
        self.points = [{"code": p.code, "name": p.name, "address": p.address, "hours": p.hours,
                        "distance": self.text("ui.sf.km", km=p.distance_km) if p.distance_km is not None else ""}
                       for p in out.points]
        if self.points and self.point_code not in {p["code"] for p in self.points}:
            self.point_code = ""
        return out

    async def _preview(self) -> bool:
        kind, quote, bonus, cert = self.delivery_type, self.quote_minor, self._bonus_minor(), self.certificate_code
        ok, out = await self.run(lambda s, me: checkout_preview.checkout_preview(
            s, actor=me.actor, customer_id=me.id, delivery_type=kind, delivery_quote_minor=quote, bonus_minor=bonus,
            certificate_code=cert or None), readonly=True)
        if ok:
            self._show(out)
        return ok

    def _bonus_minor(self) -> int:
        try:
            return parse_money(self.bonus_text) if self.bonus_text.strip() else 0
        except ValueError:
            return -1

    @rx.event
    def pick_point(self, code: str):
        if any(p["code"] == code for p in self.points):
            self.point_code = code
            return self.haptic("select")

    @rx.event
    async def set_delivery(self, form: dict):
        if self.delivery_type == "courier":
            self.address = " ".join(str(form.get("address", self.address)).split())[:255]
            if not self.address:
                self.step_error = self.text("delivery.destination_required")
                return self.haptic("error")
        elif self.points and not self.point_code:
            self.step_error = self.text("ui.sf.point_required")
            return self.haptic("error")
        if await self._quote() is None and self.delivery_type == "courier":
            return self.haptic("error")
        self.step_error, self.step = "", "extras"
        await self._preview()

    @rx.event
    async def set_extras(self, form: dict):
        self.certificate_code = str(form.get("certificate", "")).strip()[:32]
        self.bonus_text = str(form.get("bonus", "")).strip()[:16]
        self.comment = str(form.get("comment", "")).strip()[:1000]
        if self._bonus_minor() < 0:
            self.step_error = self.text("ui.sf.bonus_invalid")
            return self.haptic("error")
        if not await self._preview():
            return self.haptic("error")
        self.step_error, self.step = "", "summary"
        self.client_ref = uuid.uuid4().hex  # one order for this summary, however many taps

    @rx.event
    def edit_step(self, step: str):
        if step in STEPS:
            self.step, self.step_error = step, ""
            self.client_ref = ""

    @rx.event
    def choose_payment(self, method: str):
        if method in PAYMENT_METHODS:
            self.payment_method = method

    def _delivery_address(self) -> str:
        if self.delivery_type == "pickup" and self.point_code:
            p = next((p for p in self.points if p["code"] == self.point_code), None)
            if p:
                return f"{p['name']} ({p['code']}): {p['address']}"[:500]
        return self.address

    @rx.event
    async def place(self):
        if self.busy or self.step != "summary" or not self.client_ref:
            return
        self.busy = True
        yield
        await self._quote()  # the quote is taken again here: the page never sends a price
        ref, kind, quote = self.client_ref, self.delivery_type, self.quote_minor
        address, name, phone, cert = self._delivery_address(), self.contact_name, self.phone, self.certificate_code
        comment, bonus = self.comment, max(self._bonus_minor(), 0)
        if self.quote_manager:
            comment = f"{comment}\n{t('ui.sf.manager_calculates', 'ru')}".strip()
        ok, order = await self.run(lambda s, me: place_order(
            s, actor=me.actor, customer_id=me.id, delivery_type=kind, delivery_quote_minor=quote, address=address,
            contact_name=name, phone=phone, comment=comment, certificate_code=cert or None, bonus_minor=bonus,
            client_ref=ref))
        self.busy = False
        if not ok:
            yield self.haptic("error")
            return
        self.client_ref, self.certificate_code, self.bonus_text, self.comment = "", "", "", ""
        self.cart_count, self.lines = 0, []
        self.say(self.text("ui.sf.placed", id=order.id))
        yield self.haptic("success")
        from smo_app.state.storefront_account import AccountState

        yield AccountState.open_order(order.id)
