"""The Mini App's checkout (ST5) — contacts, delivery, extras, summary, place — a substate of the cart.

Each step sends the customer's choices to its service, which checks them (a contact's name and
phone, a courier's address, a pickup point among the listed ones) and quotes delivery through the
delivery port; every amount shown is the service's breakdown. Placing sends only the choices again:
``place_order`` quotes delivery itself and builds the pickup point's address. ``client_ref`` is
fixed when the summary opens, so a double tap or a retried request places one order.
"""
from __future__ import annotations

import uuid

import reflex as rx

from smo_app.calling import Result
from smo_app.money import parse_money
from smo_app.services.customers.profile import last_contacts
from smo_app.services.sales import checkout_preview
from smo_app.services.sales.carts import CartOut
from smo_app.services.sales.checkout import place_order
from smo_app.state.storefront_bridge import REQUEST_CONTACT_JS, shared_phone
from smo_app.state.storefront_account import AccountState
from smo_app.state.storefront_cart import CartState

STEPS = ("contacts", "delivery", "extras", "summary")
DELIVERY_KINDS = ("pickup", "courier")
PAYMENT_METHODS = ("manual",)  # the payment step offers these (payments plug theirs in here)
MIN_ADDRESS_FOR_QUOTE = 5


class CheckoutState(CartState):
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
    quote_minor: int = 0  # for the summary's breakdown only: placing quotes again
    quote_manager: bool = False
    certificate_code: str = ""
    bonus_text: str = ""
    bonus_max: str = ""
    comment: str = ""
    payment_method: str = "manual"
    client_ref: str = ""
    step_error: str = ""
    certificate_warning: str = ""  # the certificate's rest this order forfeits, said before placing
    _bonus_applied: int = 0  # the bonuses the last breakdown took (the request clamped to what may be spent)

    def _show(self, out: CartOut, *, delivery: str | None = None) -> None:
        """The cart's breakdown with the delivery line (the manager's, while they are to calculate it)."""
        super()._show(out, delivery=self.text("ui.sf.manager_calculates") if self.quote_manager else "")
        p = out.pricing
        self.bonus_max = self.money(p.bonus_max_minor) if p.bonus_max_minor else ""
        self._bonus_applied = p.bonus_minor
        rest = out.certificate_rest_minor
        self.certificate_warning = (self.text("ui.sf.certificate_rest_lost", used=self.money(p.certificate_minor),
                                              rest=self.money(rest)) if rest else "")

    def _step_refused(self, out: Result):
        """A step's service said no: why, under the step's form (or, the session gone, sign in again)."""
        if out.signed_out:
            self.failed(out)
        else:
            self.step_error = out.error
        return self.haptic("error")

    # -- contacts --------------------------------------------------------------------------------
    @rx.event
    async def start_checkout(self):
        if not self.can_checkout:
            return
        out = await self.call(last_contacts, readonly=True)
        if out.ok:
            contacts = out.value
            self.contact_name = self.contact_name or contacts.contact_name
            self.phone = self.phone or contacts.phone
            self.address = self.address or contacts.address
            self.delivery_type = contacts.delivery_type if contacts.delivery_type in DELIVERY_KINDS else "pickup"
        self.step, self.step_error, self.client_ref = "contacts", "", ""
        self._go("checkout")

    @rx.event
    async def set_contact(self, form: dict):
        out = await self.call(checkout_preview.check_contact, readonly=True,
                              contact_name=str(form.get("contact_name", "")), phone=str(form.get("phone", "")))
        if not out.ok:
            return self._step_refused(out)
        self.contact_name, self.phone, self.step_error = out.value.contact_name, out.value.phone, ""
        self.step = "delivery"
        # the options now; where the customer has already allowed their location, the nearest points with distances
        return [CheckoutState.refresh_options,
                rx.call_script("window.smoTg ? window.smoTg.knownLocation() : null", callback=CheckoutState.got_known_location)]

    @rx.event
    def request_contact(self):
        return rx.call_script(REQUEST_CONTACT_JS, callback=CheckoutState.got_contact)

    @rx.event
    def got_contact(self, phone: str | None):
        self.phone = shared_phone(phone) or self.phone

    # -- delivery --------------------------------------------------------------------------------
    @rx.event
    async def choose_delivery(self, kind: str | list[str]):
        if isinstance(kind, str) and kind in DELIVERY_KINDS:
            self.delivery_type = kind
            self.point_code = ""
            await self._refresh_options()
            return self.haptic("select")

    @rx.event
    async def set_address(self, value: str):
        if self.step != "delivery":  # a late keystroke (the field waits before it sends) after the step moved on
            return
        self.address = " ".join(str(value or "").split())[:checkout_preview.MAX_ADDRESS]
        self.lat = self.lon = None
        out = await self.call(checkout_preview.suggest, readonly=True, query=self.address, language=self.shop_lang)
        self.suggestions = [a.value for a in out.value if a.value != self.address] if out.ok else []
        if self.delivery_type == "courier" and len(self.address) >= MIN_ADDRESS_FOR_QUOTE:
            await self._refresh_options()  # a live quote for what is typed

    @rx.event
    async def pick_suggestion(self, value: str):
        self.address, self.suggestions = str(value)[:checkout_preview.MAX_ADDRESS], []
        await self._refresh_options()

    @rx.event
    def use_location(self):
        return rx.call_script("window.smoTg ? window.smoTg.location() : null", callback=CheckoutState.got_location)

    @rx.event
    async def got_known_location(self, where: dict | None):
        """A location the customer allowed before (none: the points stay as they are, nothing is said)."""
        if isinstance(where, dict) and where.get("lat") is not None and self.step == "delivery" and \
                (self.delivery_type == "pickup" or not self.address):
            await self._at(where, quiet=True)

    @rx.event
    async def got_location(self, where: dict | None):
        if not isinstance(where, dict) or where.get("lat") is None:
            self.say(self.text("ui.sf.no_location"), error=True)
            return
        await self._at(where)

    async def _at(self, where: dict, quiet: bool = False) -> None:
        try:
            lat, lon = float(where["lat"]), float(where["lon"])
        except (TypeError, ValueError):
            return
        out = await self.call(checkout_preview.address_at, readonly=True, lat=lat, lon=lon)
        if out.ok and out.value and not (quiet and self.address):  # a silent location never replaces a typed address
            self.address = out.value.value
        self.lat, self.lon = lat, lon
        await self._refresh_options()

    @rx.event
    async def refresh_options(self):
        await self._refresh_options()

    async def _refresh_options(self):
        if await self._options():
            await self._preview()

    async def _options(self) -> bool:
        """The quote and the nearest points for what is chosen so far (a writer: a failing provider
        alerts staff)."""
        if self.delivery_type == "courier" and not self.address:
            self.quote_text, self.quote_minor, self.quote_manager, self.points = "", 0, False, []
            return False
        out = await self.call(checkout_preview.delivery_options, delivery_type=self.delivery_type,
                              address=self.address, lat=self.lat, lon=self.lon)
        if self.failed(out):
            return False
        self._show_quote(out.value.quote)
        self.points = [{"code": p.code, "name": p.name, "address": p.address, "hours": p.hours,
                        "distance": self.text("ui.sf.km", km=p.distance_km) if p.distance_km is not None else ""}
                       for p in out.value.points]
        if self.points and self.point_code not in {p["code"] for p in self.points}:
            self.point_code = ""
        return True

    def _show_quote(self, q) -> None:
        self.quote_manager = q.status != "quoted"
        self.quote_minor = 0 if self.quote_manager else q.price_minor or 0
        if self.quote_manager:
            self.quote_text = self.text("ui.sf.manager_calculates")
        else:
            days = f"{q.period_min}–{q.period_max}" if q.period_min != q.period_max else str(q.period_min)
            self.quote_text = self.text("ui.sf.quote", price=self.money(q.price_minor), days=days)

    async def _preview(self) -> bool:
        out = await self.call(checkout_preview.checkout_preview, readonly=True, delivery_type=self.delivery_type,
                              delivery_quote_minor=self.quote_minor, bonus_minor=self._bonus_minor(),
                              certificate_code=self.certificate_code or None)
        if not self.failed(out):
            self._show(out.value)
        return out.ok

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
            self.address = " ".join(str(form.get("address", self.address)).split())[:checkout_preview.MAX_ADDRESS]
        out = await self.call(checkout_preview.check_delivery, delivery_type=self.delivery_type, address=self.address,
                              point_code=self.point_code)
        if not out.ok:
            return self._step_refused(out)
        self._show_quote(out.value.quote)
        self.step_error, self.step = "", "extras"
        await self._preview()

    # -- extras, summary, placing ----------------------------------------------------------------
    @rx.event
    async def set_extras(self, form: dict):
        self.certificate_code = str(form.get("certificate", "")).strip()[:32]
        self.bonus_text = str(form.get("bonus", "")).strip()[:16]
        self.comment = str(form.get("comment", "")).strip()[:1000]
        requested = self._bonus_minor()
        if requested < 0:
            self.step_error = self.text("ui.sf.bonus_invalid")
            return self.haptic("error")
        out = await self.call(checkout_preview.checkout_preview, readonly=True, delivery_type=self.delivery_type,
                              delivery_quote_minor=self.quote_minor, bonus_minor=requested,
                              certificate_code=self.certificate_code or None)
        if not out.ok:  # said under the form (a wrong certificate code), replaced by the next answer
            return self._step_refused(out)
        self._show(out.value)
        if self.notice_error:  # an earlier refusal this answer settles
            self.say("")
        self.step_error, self.step = "", "summary"
        if requested > self._bonus_applied:  # more than the balance or the cap: spend what may be spent, and say so
            applied = self._bonus_applied
            self.bonus_text = "" if not applied else f"{applied // 100}" if applied % 100 == 0 else \
                f"{applied // 100}.{applied % 100:02d}"
            self.say(self.text("ui.sf.bonus_clamped", asked=self.money(requested), spent=self.money(applied)))
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

    @rx.event
    async def place(self):
        if self.busy or self.step != "summary" or not self.client_ref:
            return
        self.busy = True
        yield
        out = await self.call(place_order, client_ref=self.client_ref, delivery_type=self.delivery_type,
                              address=self.address, point_code=self.point_code, contact_name=self.contact_name,
                              phone=self.phone, comment=self.comment, certificate_code=self.certificate_code or None,
                              bonus_minor=max(self._bonus_minor(), 0))
        self.busy = False
        if self.failed(out):
            yield self.haptic("error")
            return
        self.client_ref, self.certificate_code, self.bonus_text, self.comment = "", "", "", ""
        self.cart_count, self.lines = 0, []
        self.say(self.text("ui.sf.placed", id=out.value.id))
        yield self.haptic("success")
        yield AccountState.open_order(out.value.id)
