"""The Mini App's "Book" tab (ST10) — a substate of the storefront state: service → format → date
(days with free slots highlighted) → slot → contacts (phone by ``requestContact``) → deposit on the
provider's page, in Telegram's invoice (``openInvoice``; the screen turns "confirmed" by itself
when the bot hears the payment) or by transfer (the shop's details, a screenshot sent over HTTP
like the order's; the hold waits while staff check it) → confirmed, with an .ics "add to calendar"; "My bookings" with
cancel and reschedule. Times are the shop's, labelled with its zone (services.bookings)."""
from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import reflex as rx

from smo_app import formats
from smo_app.services.bookings import availability, booking, catalog, deposit_proofs, deposits, waitlist
from smo_app.services.core.shop_locale import cached as cached_locale
from smo_app.state.storefront import StoreState
from smo_app.state.storefront_bridge import REQUEST_CONTACT_JS, shared_phone
from smo_app.state.storefront_payment import (POLL_SECONDS, TELEGRAM_METHODS, _open_invoice_js, _open_link_js,
                                             upload_refusal)

FORMATS = ("offline", "online")
DEPOSIT_PROOF_INPUT = "booking-deposit-proof-file"  # the file input of the deposit's transfer (components)
DEPOSIT_WATCH_SECONDS = 120  # how long the screen waits for the bot to hear a paid invoice


class BookingFlowState(StoreState):
    services: list[dict[str, str]] = []
    service: dict[str, str] = {}
    fmt: str = ""
    year: int = 2026
    month: int = 1
    month_title: str = ""
    days: list[dict[str, str]] = []  # a month's grid: iso, label, free ("1"/""), in_month
    day: str = ""
    day_text: str = ""  # the chosen day as the customer writes it
    slots: list[dict[str, str]] = []  # iso (UTC), label
    slot: str = ""
    slot_label: str = ""
    zone: str = ""
    contact_name: str = ""
    phone: str = ""
    booked: dict[str, str] = {}
    deposit_methods: list[dict[str, str]] = []  # key, label
    mine: list[dict[str, str]] = []
    moving: str = ""  # the booking being rescheduled ("" while booking anew)
    step_error: str = ""
    _watching_deposit: bool = False
    # where the deposit's transfer goes (recipient, bank, account, comment, amount, sbp_link); {} until chosen
    deposit_transfer: dict[str, str] = {}
    proof_busy: bool = False

    # -- services --------------------------------------------------------------------------------
    @rx.event
    async def show_bookings(self):
        self._go("bookings")
        self.moving, self.step_error = "", ""
        out = await self.call(catalog.list_services, readonly=True)
        if not self.failed(out):
            self.services = [self._service(s) for s in out.value]

    def _service(self, s: catalog.ServiceOut) -> dict[str, str]:
        online = self.text("ui.bookings.format.online")
        where = [s.place] if s.format != "online" and s.place else []
        where += [online] if s.format in ("online", "both") else []
        meta = " · ".join([f"{s.duration_min} {self.text('ui.bookings.min')}", *where])
        return {"id": str(s.id), "name": s.name, "description": s.description, "price": self.money(s.price_minor),
                "duration": str(s.duration_min), "format": s.format, "place": s.place, "meta": meta,
                "deposit": self.money(s.deposit_minor) if s.deposit_minor else "", "photo": s.photo_url or ""}

    @rx.event
    async def pick_service(self, service_id: str):
        await self._open_service(service_id)

    async def _open_service(self, service_id: str) -> None:
        self.service = next((s for s in self.services if s["id"] == str(service_id)), {})
        if not self.service:
            return
        self.fmt = "" if self.service["format"] == "both" else self.service["format"]
        today = self.shop_today_date()
        self.year, self.month, self.day, self.slot, self.step_error = today.year, today.month, "", "", ""
        self._go("booking_days")
        await self._load_month()

    @rx.event
    def pick_format(self, fmt: str | list[str]):
        if isinstance(fmt, str) and fmt in FORMATS:
            self.fmt = fmt

    def shop_today_date(self) -> date:
        return datetime.now(cached_locale().tz).date()

    async def _load_month(self) -> None:
        out = await self.call(availability.month_days, readonly=True, service_id=int(self.service["id"]),
                              year=self.year, month=self.month)
        if self.failed(out):
            return
        free = {d.isoformat() for d in out.value.free_days}
        first = date(self.year, self.month, 1)
        start = first - timedelta(days=first.weekday())
        self.days = []
        for i in range(42):
            d = start + timedelta(days=i)
            if i >= 35 and d.month != self.month:
                break
            self.days.append({"iso": d.isoformat(), "label": str(d.day), "free": "1" if d.isoformat() in free else "",
                              "in_month": "1" if d.month == self.month else ""})
        self.zone = formats.zone(out.value.zone, self.shop_lang)
        self.month_title = f"{self.text('ui.bookings.month.' + str(self.month))} {self.year}"

    @rx.event
    async def shift_month(self, step: int):
        first = date(self.year, self.month, 1) + timedelta(days=32 * int(step))
        self.year, self.month = first.year, first.month
        await self._load_month()

    @rx.event
    async def pick_day(self, iso: str):
        self.day, self.slot = iso, ""
        self.day_text = formats.day(date.fromisoformat(iso), self.shop_lang)
        out = await self.call(availability.day_slots, readonly=True, service_id=int(self.service["id"]),
                              day=date.fromisoformat(iso))
        if not self.failed(out):
            self.slots = [{"iso": s.starts_at.isoformat(), "label": s.label} for s in out.value.slots]
            self.zone = formats.zone(out.value.zone, self.shop_lang)

    @rx.event
    async def join_waitlist(self):
        out = await self.call(waitlist.join, service_id=int(self.service["id"]), day=date.fromisoformat(self.day))
        if not self.failed(out):
            self.say(self.text("ui.sf.booking.waiting"))

    @rx.event
    async def pick_slot(self, iso: str):
        label = next((s["label"] for s in self.slots if s["iso"] == iso), "")
        self.slot, self.slot_label, self.step_error = iso, label, ""
        if self.moving:
            return await self._move()
        self._go("booking_contact")
        return self.haptic("select")

    # -- contacts and booking --------------------------------------------------------------------
    @rx.event
    def request_contact(self):
        return rx.call_script(REQUEST_CONTACT_JS, callback=BookingFlowState.got_contact)

    @rx.event
    def set_phone(self, value: str):
        self.phone = str(value)[:32]

    @rx.event
    def got_contact(self, phone: str | None):
        self.phone = shared_phone(phone) or self.phone

    @rx.event
    async def book(self, form: dict):
        self.contact_name = str(form.get("contact_name", "")).strip()
        self.phone = str(form.get("phone", self.phone)).strip()
        out = await self.call(booking.book, service_id=int(self.service["id"]), starts_at=datetime.fromisoformat(self.slot),
                              format=self.fmt or None, contact_name=self.contact_name, contact_phone=self.phone)
        if not out.ok:
            self.step_error = out.error
            return
        self._booked(out.value)
        self.deposit_transfer = {}
        if out.value.state == "pending":
            methods = await self.call(deposits.deposit_methods, readonly=True)
            self.deposit_methods = [{"key": m, "label": self.text(f"ui.payment.method.{m}")}
                                    for m in (methods.value if methods.ok else [])]
        self._go("booking_done")
        return self.haptic("success")

    def _booked(self, b: booking.BookingOut) -> None:
        self.booked = {"id": str(b.id), "service": b.service_name, "day": b.local_day.strftime("%d.%m.%Y"),
                       "time": b.local_time, "zone": formats.zone(b.zone, self.shop_lang), "state": b.state, "place": b.place, "format": b.format,
                       "deposit": self.money(b.deposit_minor) if b.deposit_minor else "",
                       "review": "1" if b.deposit_review else "",
                       "state_text": self.text(f"ui.bookings.state.{b.state}")}

    @rx.event
    async def pay_deposit(self, method: str):
        if method == deposits.MANUAL:
            return await self._show_transfer()
        out = await self.call(deposits.start_deposit, booking_id=int(self.booked["id"]), provider=method)
        if self.failed(out):
            return
        url = out.value.confirmation_url
        if url and method in TELEGRAM_METHODS:  # Telegram's invoice over the Mini App, as the order's payment step
            return rx.call_script(_open_invoice_js(url), callback=BookingFlowState.deposit_invoice_closed)
        if url:
            return rx.call_script(_open_link_js(url))

    @rx.event
    def deposit_invoice_closed(self, status: str):
        """Telegram's ``invoiceClosed`` status: paid → wait for the bot to credit it; else say why."""
        if status in ("cancelled", "failed"):
            self.say(self.text(f"ui.pay.{status}"), error=True)
            return
        if status == "paid":
            self.say(self.text("ui.sf.booking.deposit_waiting"))
        return BookingFlowState.watch_deposit

    async def _show_transfer(self) -> None:
        out = await self.call(deposit_proofs.transfer_for_booking, readonly=True, booking_id=int(self.booked["id"]),
                              lang=self.shop_lang)
        if self.failed(out):
            return
        t = out.value
        self.deposit_transfer = {"recipient": t.recipient, "bank": t.bank, "account": t.account, "comment": t.comment,
                                 "amount": self.money(t.amount_minor), "sbp_link": t.sbp_link,
                                 "review_minutes": str(t.review_minutes)}

    @rx.event
    def send_deposit_proof(self, _value: str = ""):
        """The customer picked a screenshot: the page sends it over HTTP (api/storefront_proof.py)."""
        if not self.booked.get("id"):
            return
        self.proof_busy = True
        return rx.call_script(f"window.smoTg.uploadDepositProof({int(self.booked['id'])}, {DEPOSIT_PROOF_INPUT!r})",
                              callback=BookingFlowState.deposit_proof_uploaded)

    @rx.event
    def deposit_proof_uploaded(self, result: dict | None):
        """What the upload answered: with staff now (the hold waits) or why not."""
        self.proof_busy = False
        refusal = upload_refusal(self, result)
        if refusal is not None:
            self.say(refusal, error=True)
            return
        self.booked = {**self.booked, "review": "1"}
        self.say(self.text("ui.sf.booking.proof_review", minutes=self.deposit_transfer.get("review_minutes", "30")))

    async def _fresh(self, booking_id: int) -> booking.BookingOut | None:
        mine = await self.call(booking.my_bookings, readonly=True)
        return next((x for x in (mine.value if mine.ok else []) if x.id == booking_id), None)

    @rx.event(background=True)
    async def watch_deposit(self):
        """Follow the booking until its deposit is credited (the bot heard ``successful_payment``)."""
        async with self:
            if self._watching_deposit or not self.booked.get("id"):
                return
            self._watching_deposit = True
            booking_id = int(self.booked["id"])
        try:
            for _ in range(int(DEPOSIT_WATCH_SECONDS / POLL_SECONDS)):
                await asyncio.sleep(POLL_SECONDS)
                b = await self._fresh(booking_id)
                async with self:
                    if self.booked.get("id") != str(booking_id):
                        return
                    if b is not None and b.state != "pending":
                        self._booked(b)
                        self.say(self.text("ui.sf.booking.done") if b.state == "confirmed"
                                 else self.text("bookings.hold_expired"), error=b.state != "confirmed")
                        return
        finally:
            async with self:
                self._watching_deposit = False

    @rx.event
    async def check_deposit(self):
        out = await self.call(deposits.confirm_deposit, booking_id=int(self.booked["id"]))
        if self.failed(out):
            return
        b = await self._fresh(int(self.booked["id"]))
        if b is not None:
            self._booked(b)
        if out.value.outcome == "refunded":
            self.say(self.text("bookings.hold_expired"), error=True)

    @rx.event
    async def download_ics(self, booking_id: str):
        out = await self.call(booking.calendar_file, readonly=True, booking_id=int(booking_id))
        if self.failed(out):
            return
        name, data = out.value
        return rx.download(data=data, filename=name, mime_type="text/calendar")

    # -- my bookings -----------------------------------------------------------------------------
    @rx.event
    async def show_mine(self):
        self._go("my_bookings")
        await self._load_mine()

    async def _load_mine(self) -> None:
        out = await self.call(booking.my_bookings, readonly=True)
        if not self.failed(out):
            self.mine = [{"id": str(b.id), "service": b.service_name, "service_id": str(b.service_id),
                          "when": f"{b.local_day.strftime('%d.%m.%Y')} {b.local_time}", "zone": formats.zone(b.zone, self.shop_lang),
                          "state": b.state, "state_text": self.text(f"ui.bookings.state.{b.state}"),
                          "open": "1" if b.state in ("pending", "confirmed") else "", "reason": booking.reason_text(b.cancel_reason, self.shop_lang)}
                         for b in out.value]

    @rx.event
    async def cancel_mine(self, form: dict):
        out = await self.call(booking.cancel, booking_id=int(form.get("row_id", 0)), reason=str(form.get("reason", "")))
        if not self.failed(out):
            self.say(self.text("ui.sf.booking.cancelled"))
            await self._load_mine()

    @rx.event
    async def reschedule(self, booking_id: str):
        row = next((m for m in self.mine if m["id"] == str(booking_id)), None)
        if row is None:
            return
        out = await self.call(catalog.list_services, readonly=True)
        if self.failed(out):
            return
        self.services = [self._service(s) for s in out.value]
        await self._open_service(row["service_id"])
        self.moving = str(booking_id)

    async def _move(self):
        out = await self.call(booking.move, booking_id=int(self.moving), starts_at=datetime.fromisoformat(self.slot))
        if self.failed(out):
            return
        self.moving = ""
        self.say(self.text("ui.sf.booking.moved", when=f"{out.value.local_day.strftime('%d.%m.%Y')} {out.value.local_time}"))
        self._go("my_bookings")
        await self._load_mine()
