"""/admin/bookings: the month by provider, a day's bookings (complete with the final price, no-show,
cancel with a reason, move; a deposit's transfer screenshot confirmed or rejected with a reason), a booking made for a caller by phone, the services editor, providers'
hours and special days (services.bookings.admin and the use cases it forwards to)."""
from __future__ import annotations

from datetime import date, timedelta

import reflex as rx
from pydantic import BaseModel

from smo_app import formats
from smo_app.services.bookings import admin, availability, booking, calendar, catalog, deposit_proofs
from smo_app.services.core.form_input import amount_text
from smo_app.state.ops import ROW_ID, money_text
from smo_app.state.session import SessionState, toast

WEEKDAYS = ("0", "1", "2", "3", "4", "5", "6")


class BookingRow(BaseModel):
    id: int
    time: str
    service: str
    staff: str
    who: str
    phone: str
    state: str
    price: str
    deposit: str
    final_price: str
    reason: str
    open: bool
    confirmed: bool
    review: bool = False  # a screenshot of the deposit's transfer waits for a decision
    proof_url: str = ""


class DayCell(BaseModel):
    iso: str
    label: str
    count: int
    in_month: bool
    chosen: bool


class ServiceRow(BaseModel):
    id: int
    name: str
    price: str
    duration: int
    capacity: int
    providers: str
    deposit: str
    hidden: bool


class Choice(BaseModel):
    id: str
    label: str


class BookingsAdminState(SessionState):
    tab: str = "calendar"  # calendar | services | hours
    day: str = ""  # the chosen local date (ISO)
    day_text: str = ""  # the same day as the viewer writes it
    year: int = 2026
    month: int = 1
    month_title: str = ""
    staff_filter: str = "all"  # "all" or a provider's resource id
    cells: list[DayCell] = []
    rows: list[BookingRow] = []
    providers: list[Choice] = []
    staff: list[Choice] = []
    can_manage: bool = False
    can_delete: bool = False
    # a booking for a caller
    services: list[ServiceRow] = []
    service_choices: list[Choice] = []
    new_service: str = ""
    new_slots: list[str] = []
    new_error: str = ""
    # the services editor
    editing: str = ""  # "" closed, "new", or a service id
    form: dict[str, str] = {}
    form_providers: list[str] = []
    form_error: str = ""
    # hours
    resource: str = ""
    week: dict[str, str] = {}
    special_days: list[dict[str, str]] = []
    hours_error: str = ""

    # -- loading ---------------------------------------------------------------------------------
    @rx.event
    async def load(self):
        if not self.day:
            today = self.shop_today()
            self.day, self.year, self.month = today.isoformat(), today.year, today.month
        out = await self.call(admin.overview, readonly=True)
        if not out.ok:
            return toast(out)
        o = out.value
        self.can_manage, self.can_delete = o.can_manage, o.can_delete
        self.providers = [Choice(id=str(p.resource), label=p.name or self.text("ui.bookings.the_shop")) for p in o.providers]
        self.staff = [Choice(id=str(p.resource), label=p.name) for p in o.staff]
        self.services = [self._service_row(s) for s in o.services]
        self.service_choices = [Choice(id=str(s.id), label=s.name) for s in o.services if not s.hidden]
        if not self.new_service and self.service_choices:
            self.new_service = self.service_choices[0].id
        if not self.resource and self.providers:
            self.resource = self.providers[0].id
        await self._reload_calendar()

    def _service_row(self, s: catalog.ServiceOut) -> ServiceRow:
        return ServiceRow(id=s.id, name=s.name, price=money_text(self, s.price_minor), duration=s.duration_min,
                          capacity=s.capacity, providers=", ".join(s.provider_names) or self.text("ui.bookings.the_shop"),
                          deposit=money_text(self, s.deposit_minor) if s.deposit_minor else "—", hidden=s.hidden)

    def _staff_id(self) -> int | None:
        return int(self.staff_filter) if self.staff_filter not in ("all", "", "0") else None

    async def _reload_calendar(self) -> None:
        grid = await self.call(admin.month, readonly=True, year=self.year, month=self.month, staff_id=self._staff_id())
        chosen = self.day
        self.cells = [DayCell(iso=d.day.isoformat(), label=str(d.day.day), count=d.count, in_month=d.in_month,
                              chosen=d.day.isoformat() == chosen) for d in grid.value] if grid.ok else []
        self.month_title = f"{self.text('ui.bookings.month.' + str(self.month))} {self.year}"
        self.day_text = formats.day(date.fromisoformat(self.day), self.ui_lang_value())
        out = await self.call(admin.day_bookings, readonly=True, day=date.fromisoformat(self.day),
                              staff_id=self._staff_id())
        self.rows = [self._row(b) for b in out.value] if out.ok else []
        await self._reload_slots()

    def _row(self, b: booking.BookingOut) -> BookingRow:
        return BookingRow(
            id=b.id, time=b.local_time, service=b.service_name, staff=b.staff_name or self.text("ui.bookings.the_shop"),
            who=b.contact_name or "—", phone=b.contact_phone, state=b.state, price=money_text(self, b.price_minor),
            deposit=(money_text(self, b.deposit_minor) + (" ✓" if b.deposit_paid else "")) if b.deposit_minor else "—",
            final_price=money_text(self, b.final_price_minor) if b.final_price_minor is not None else "",
            reason=booking.reason_text(b.cancel_reason, self.ui_lang_value()), open=b.state in ("pending", "confirmed"), confirmed=b.state == "confirmed",
            review=b.deposit_review, proof_url=f"/api/booking-proofs/{b.id}" if b.deposit_review else "")

    # -- the month and the day -------------------------------------------------------------------
    @rx.event
    def set_tab(self, tab: str):
        self.tab = tab

    @rx.event
    async def pick_day(self, iso: str):
        self.day = iso
        await self._reload_calendar()

    @rx.event
    async def shift_month(self, step: int):
        first = date(self.year, self.month, 1) + timedelta(days=32 * int(step))
        self.year, self.month = first.year, first.month
        self.day = date(self.year, self.month, 1).isoformat()
        await self._reload_calendar()

    @rx.event
    async def set_staff_filter(self, value: str):
        self.staff_filter = value
        await self._reload_calendar()

    @rx.event
    async def complete(self, form: dict):
        out = await self.call(admin.complete_form, once=True, booking_id=int(form[ROW_ID]), price=str(form.get("price", "")))
        return await self._after(out, "ui.bookings.completed")

    @rx.event
    async def no_show(self, booking_id: int):
        out = await self.call(booking.mark_no_show, once=True, booking_id=int(booking_id))
        return await self._after(out, "ui.bookings.marked_no_show")

    @rx.event
    async def cancel(self, form: dict):
        out = await self.call(booking.cancel, once=True, booking_id=int(form[ROW_ID]), reason=str(form.get("reason", "")))
        return await self._after(out, "ui.bookings.cancelled")

    @rx.event
    async def confirm_proof(self, booking_id: int):
        out = await self.call(deposit_proofs.decide_deposit_proof, once=True, booking_id=int(booking_id), accept=True)
        return await self._after(out, "ui.bookings.proof_confirmed")

    @rx.event
    async def reject_proof(self, form: dict):
        out = await self.call(deposit_proofs.decide_deposit_proof, once=True, booking_id=int(form[ROW_ID]), accept=False,
                              note=str(form.get("note", "")))
        return await self._after(out, "ui.bookings.proof_rejected")

    @rx.event
    async def move(self, form: dict):
        out = await self.call(admin.move_form, booking_id=int(form[ROW_ID]), day=str(form.get("day", "")),
                              at=str(form.get("time", "")))
        return await self._after(out, "ui.bookings.moved")

    async def _after(self, out, success_key: str):
        if out.ok:
            await self._reload_calendar()
        return toast(out, self.text(success_key))

    # -- a booking for a caller ------------------------------------------------------------------
    @rx.event
    async def set_new_service(self, value: str):
        self.new_service = value
        await self._reload_slots()

    async def _reload_slots(self) -> None:
        self.new_slots = []
        if not self.new_service:
            return
        out = await self.call(availability.day_slots, readonly=True, service_id=int(self.new_service),
                              day=date.fromisoformat(self.day))
        self.new_slots = [s.label for s in out.value.slots] if out.ok else []

    @rx.event
    async def create(self, form: dict):
        out = await self.call(admin.book_for_caller, once=True, service_id=int(self.new_service or 0), day=self.day,
                              at=str(form.get("time", "")), name=str(form.get("name", "")),
                              phone=str(form.get("phone", "")), format=str(form.get("format", "")) or None)
        self.new_error = out.error
        if out.ok:
            await self._reload_calendar()
            return [toast(out, self.text("ui.bookings.created")), rx.set_value("bk-new-name", ""),
                    rx.set_value("bk-new-phone", "")]

    # -- the services editor ---------------------------------------------------------------------
    @rx.event
    def edit_service(self, service_id: str):
        self.form_error = ""
        self.editing = str(service_id)
        if service_id == "new":
            self.form = {"format": "offline", "deposit_kind": "none", "duration": "60", "step": "30", "capacity": "1",
                         "notice": "60", "ahead": "60", "hold": "15", "cancel_free": "24"}
            self.form_providers = []
        else:
            self.editing = str(service_id)
        return BookingsAdminState.fill_form(service_id)

    @rx.event
    async def fill_form(self, service_id: str):
        if service_id == "new":
            return
        out = await self.call(catalog.list_services, readonly=True, include_hidden=True)
        s = next((x for x in (out.value if out.ok else []) if str(x.id) == str(service_id)), None)
        if s is None:
            return
        fixed = s.deposit_kind == "fixed"
        self.form = {"name": s.name, "description": s.description, "price": amount_text(s.price_minor),
                     "duration": str(s.duration_min), "step": str(s.step_min), "buffer_before": str(s.buffer_before_min),
                     "buffer_after": str(s.buffer_after_min), "format": s.format, "place": s.place,
                     "capacity": str(s.capacity), "notice": str(s.min_notice_min), "ahead": str(s.max_ahead_days),
                     "deposit_kind": s.deposit_kind, "deposit": amount_text(s.deposit_value) if fixed else str(s.deposit_value),
                     "hold": str(s.hold_min), "cancel_free": str(s.cancel_free_hours), "hidden": "on" if s.hidden else "",
                     "photo_url": s.photo_url or ""}
        self.form_providers = [str(i) for i in s.provider_ids]

    @rx.event
    def set_form_field(self, name: str, value: str):
        self.form = {**self.form, name: value}

    @rx.event
    def toggle_provider(self, staff_id: str, on: bool):
        kept = [p for p in self.form_providers if p != staff_id]
        self.form_providers = kept + [staff_id] if on else kept

    @rx.event
    async def save_service(self, form: dict):
        merged = {**self.form, **{k: str(v) for k, v in form.items()}, "hidden": "on" if form.get("hidden") else ""}
        out = await self.call(admin.service_form, form=merged, provider_ids=[int(p) for p in self.form_providers],
                              service_id=None if self.editing == "new" else int(self.editing))
        self.form_error = out.error
        if out.ok:
            self.editing = ""
            await self.load()
            return toast(out, self.text("ui.saved"))

    @rx.event
    async def upload_photo(self, files: list[rx.UploadFile]):
        for f in files[:1]:
            out = await self.call(catalog.set_photo, service_id=int(self.editing), data=await f.read())
            self.form_error = out.error
            if out.ok:
                self.form = {**self.form, "photo_url": out.value.photo_url or ""}
                await self.load()
                return toast(out, self.text("ui.saved"))

    @rx.event
    def close_editor(self):
        self.editing, self.form_error = "", ""

    @rx.event
    async def delete_service(self, service_id: int):
        out = await self.call(catalog.delete_service, service_id=int(service_id))
        if out.ok:
            await self.load()
        return toast(out, self.text("ui.bookings.service_deleted"))

    # -- hours and special days ------------------------------------------------------------------
    @rx.event
    async def pick_resource(self, value: str):
        self.resource = value
        await self._reload_hours()

    @rx.event
    async def open_hours(self):
        self.tab = "hours"
        await self._reload_hours()

    async def _reload_hours(self) -> None:
        self.hours_error = ""
        if not self.resource:
            return
        out = await self.call(admin.calendar_view, readonly=True, resource=int(self.resource),
                              start=self.shop_today() - timedelta(days=1))
        if not out.ok:
            return
        self.week = {d: admin.intervals_text(out.value.week.get(int(d), [])) for d in WEEKDAYS}
        self.special_days = [{"day": d.day.isoformat(), "day_text": formats.day(d.day, self.ui_lang_value()), "kind": d.kind, "hours": admin.intervals_text(d.intervals),
                              "note": d.note, "everyone": "1" if d.resource is None else ""} for d in out.value.days]

    @rx.event
    async def save_week(self, form: dict):
        out = await self.call(admin.save_week_form, resource=int(self.resource), form={k: str(v) for k, v in form.items()})
        self.hours_error = out.error
        if out.ok:
            await self._reload_hours()
            return toast(out, self.text("ui.saved"))

    @rx.event
    async def add_day(self, form: dict):
        everyone = bool(form.get("everyone"))
        out = await self.call(admin.set_day_form, resource=None if everyone else int(self.resource),
                              form={k: str(v) for k, v in form.items()})
        self.hours_error = out.error
        if out.ok:
            await self._reload_hours()
            return toast(out, self.text("ui.saved"))

    @rx.event
    async def clear_day(self, form: dict):
        out = await self.call(calendar.clear_day, resource=None if form.get("everyone") else int(self.resource),
                              day=date.fromisoformat(str(form[ROW_ID])))
        if out.ok:
            await self._reload_hours()
        return toast(out, self.text("ui.saved"))

