"""View pieces of /admin/bookings: the month grid, a day's bookings with their actions, a booking for
a caller, the services editor, providers' hours and special days."""
from __future__ import annotations

import reflex as rx

from smo_app.components.common import T, date_input, field_label, row_form
from smo_app.state.bookings_admin import WEEKDAYS, BookingRow, BookingsAdminState as S, Choice, DayCell, ServiceRow


def _select(value, items, on_change, id_: str, **props) -> rx.Component:
    return rx.select.root(rx.select.trigger(id=id_, min_width="12rem"),
                          rx.select.content(rx.foreach(items, lambda c: rx.select.item(c.label, value=c.id))),
                          value=value, on_change=on_change, **props)


def _field(key: str, control: rx.Component, html_for: str) -> rx.Component:
    return rx.vstack(field_label(key, html_for), control, spacing="1")


def _error(var) -> rx.Component:
    return rx.cond(var != "", rx.callout(var, icon="triangle-alert", color_scheme="red", role="alert"))


# -- the month -------------------------------------------------------------------------------------
def _cell(c: DayCell) -> rx.Component:
    return rx.button(
        rx.vstack(rx.text(c.label, size="2", weight="medium"),
                  rx.cond(c.count > 0, rx.badge(c.count, color_scheme="iris", size="1"), rx.box(height="1.1rem")),
                  spacing="0", align="center"),
        on_click=S.pick_day(c.iso), variant=rx.cond(c.chosen, "solid", "soft"),
        color_scheme=rx.cond(c.in_month, "gray", "gray"), opacity=rx.cond(c.in_month, "1", "0.45"),
        height="3.2rem", width="100%", id="bk-day-" + c.iso,
    )


def month_grid() -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.icon_button(rx.icon("chevron-left"), on_click=S.shift_month(-1), variant="soft", id="bk-prev-month"),
            rx.heading(S.month_title, size="4", id="bk-month-title"),
            rx.icon_button(rx.icon("chevron-right"), on_click=S.shift_month(1), variant="soft", id="bk-next-month"),
            rx.spacer(),
            rx.select.root(rx.select.trigger(id="bk-staff-filter", min_width="12rem"),
                           rx.select.content(rx.select.item(T("ui.bookings.all_providers"), value="all"),
                                             rx.foreach(S.providers, lambda c: rx.select.item(c.label, value=c.id))),
                           value=S.staff_filter, on_change=S.set_staff_filter),
            align="center", width="100%",
        ),
        rx.grid(*[rx.text(T(f"ui.bookings.wd.{d}"), size="1", color_scheme="gray", text_align="center") for d in WEEKDAYS],
                rx.foreach(S.cells, _cell), columns="7", spacing="1", width="100%", margin_top="0.5rem",
                class_name="bo-keep-grid"),
        width="100%",
    )


# -- the day ---------------------------------------------------------------------------------------
def _state_badge(state) -> rx.Component:
    colors = {"pending": "amber", "confirmed": "green", "completed": "blue", "cancelled": "gray", "no_show": "red"}
    return rx.match(state, *[(k, rx.badge(T(f"ui.bookings.state.{k}"), color_scheme=c)) for k, c in colors.items()],
                    rx.badge(state))


def _proof(r: BookingRow) -> rx.Component:
    """A deposit's transfer screenshot waiting for a decision: open it, confirm, or reject with a reason."""
    return rx.cond(r.review, rx.vstack(
        rx.hstack(rx.badge(T("ui.bookings.proof_waiting"), color_scheme="blue"),
                  rx.link(T("ui.bookings.proof"), href=r.proof_url, is_external=True, size="1",
                          id="bk-proof-" + r.id.to(str)), spacing="2", align="center"),
        rx.hstack(rx.button(T("ui.bookings.proof_confirm"), size="1", color_scheme="green", on_click=S.confirm_proof(r.id),
                            id="bk-proof-confirm-" + r.id.to(str)),
                  row_form(r.id, rx.hstack(rx.input(name="note", placeholder=T("ui.bookings.proof_reason"), width="10rem",
                                                    id="bk-proof-note-" + r.id.to(str)),
                                           rx.button(T("ui.bookings.proof_reject"), type="submit", size="1",
                                                     color_scheme="red", variant="soft",
                                                     id="bk-proof-reject-" + r.id.to(str)), spacing="2"),
                           on_submit=S.reject_proof), spacing="2", wrap="wrap"),
        spacing="1"))


def _actions(r: BookingRow) -> rx.Component:
    return rx.cond(
        r.open,
        rx.vstack(
            _proof(r),
            rx.cond(r.confirmed, row_form(
                r.id, rx.hstack(rx.input(name="price", placeholder=T("ui.bookings.final_price"), width="8rem",
                                         id="bk-final-" + r.id.to(str)),
                                rx.button(T("ui.bookings.complete"), type="submit", size="1", id="bk-complete-" + r.id.to(str)),
                                rx.button(T("ui.bookings.no_show"), size="1", variant="soft", color_scheme="red",
                                          type="button", on_click=S.no_show(r.id)), spacing="2"),
                on_submit=S.complete)),
            row_form(r.id, rx.hstack(date_input(name="day"),
                                     rx.input(name="time", placeholder="14:30", width="5rem"),
                                     rx.button(T("ui.bookings.move"), type="submit", size="1", variant="soft"), spacing="2"),
                     on_submit=S.move),
            row_form(r.id, rx.hstack(rx.input(name="reason", placeholder=T("ui.bookings.reason"), width="12rem",
                                              id="bk-reason-" + r.id.to(str)),
                                     rx.button(T("ui.bookings.cancel"), type="submit", size="1", color_scheme="red",
                                               variant="soft", id="bk-cancel-" + r.id.to(str)), spacing="2"),
                     on_submit=S.cancel),
            spacing="1",
        ),
        rx.text(rx.cond(r.final_price != "", r.final_price, r.reason), size="1", color_scheme="gray"),
    )


def _row(r: BookingRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(r.time, weight="bold")),
        rx.table.cell(rx.text(r.service), rx.text(r.staff, size="1", color_scheme="gray")),
        rx.table.cell(rx.text(r.who), rx.text(r.phone, size="1", color_scheme="gray")),
        rx.table.cell(_state_badge(r.state)),
        rx.table.cell(rx.text(r.price), rx.text(T("ui.bookings.deposit_short"), " ", r.deposit, size="1", color_scheme="gray")),
        rx.table.cell(_actions(r)),
        id="bk-row-" + r.id.to(str),
    )


def day_list() -> rx.Component:
    return rx.card(
        rx.heading(T("ui.bookings.day_title"), " ", S.day_text, size="3"),
        rx.cond(S.rows.length() > 0,
                rx.table.root(rx.table.body(rx.foreach(S.rows, _row)), width="100%", size="1"),
                rx.text(T("ui.bookings.day_empty"), color_scheme="gray", id="bk-day-empty")),
        width="100%",
    )


def new_booking() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(T("ui.bookings.new_title"), " ", S.day_text, size="3"),
                rx.flex(
                    _field("ui.bookings.f.service", _select(S.new_service, S.service_choices, S.set_new_service,
                                                             "bk-new-service"), "bk-new-service"),
                    _field("ui.bookings.f.time", rx.select.root(
                        rx.select.trigger(id="bk-new-time", placeholder=T("ui.bookings.pick_time"), min_width="7rem"),
                        rx.select.content(rx.foreach(S.new_slots, lambda s: rx.select.item(s, value=s))), name="time"),
                        "bk-new-time"),
                    _field("ui.bookings.f.format", rx.select.root(
                        rx.select.trigger(id="bk-new-format", min_width="8rem"),
                        rx.select.content(rx.select.item(T("ui.bookings.format.offline"), value="offline"),
                                          rx.select.item(T("ui.bookings.format.online"), value="online")),
                        name="format", default_value="offline"), "bk-new-format"),
                    _field("ui.bookings.f.name", rx.input(name="name", id="bk-new-name"), "bk-new-name"),
                    _field("ui.bookings.f.phone", rx.input(name="phone", id="bk-new-phone", input_mode="tel"), "bk-new-phone"),
                    spacing="3", wrap="wrap", align="end",
                ),
                rx.cond(S.new_slots.length() == 0, rx.text(T("ui.bookings.no_slots"), size="2", color_scheme="gray")),
                _error(S.new_error),
                rx.button(rx.icon("calendar-plus", size=16), T("ui.bookings.create"), type="submit", id="bk-new-submit"),
                spacing="3",
            ),
            on_submit=S.create, reset_on_submit=False,
        ),
        width="100%",
    )


# -- services --------------------------------------------------------------------------------------
def _service_row(s: ServiceRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(s.name, weight="medium"), rx.cond(s.hidden, rx.badge(T("ui.bookings.hidden"), color_scheme="gray"))),
        rx.table.cell(s.price), rx.table.cell(s.duration, " ", T("ui.bookings.min")), rx.table.cell(s.capacity),
        rx.table.cell(s.providers), rx.table.cell(s.deposit),
        rx.table.cell(rx.hstack(
            rx.button(T("ui.bookings.edit"), size="1", variant="soft", on_click=S.edit_service(s.id.to(str)),
                      id="bk-edit-" + s.id.to(str)),
            rx.cond(S.can_delete, rx.button(T("ui.bookings.delete"), size="1", variant="soft", color_scheme="red",
                                            on_click=S.delete_service(s.id))), spacing="2")),
    )


def _input(name: str, **props) -> rx.Component:
    return _field(f"ui.bookings.f.{name}", rx.input(name=name, id=f"bk-f-{name}", value=S.form[name],
                                                    on_change=lambda v: S.set_form_field(name, v), **props), f"bk-f-{name}")


def _provider_box(c: Choice) -> rx.Component:
    return rx.el.label(rx.checkbox(checked=S.form_providers.contains(c.id), on_change=lambda on: S.toggle_provider(c.id, on)),
                       rx.text(c.label, size="2"),
                       style={"display": "inline-flex", "gap": "0.35rem", "align_items": "center", "margin_right": "1rem"})


def service_editor() -> rx.Component:
    kinds = rx.select.root(rx.select.trigger(id="bk-f-deposit_kind"),
                           rx.select.content(*[rx.select.item(T(f"ui.bookings.deposit.{k}"), value=k)
                                               for k in ("none", "fixed", "percent")]),
                           value=S.form["deposit_kind"], on_change=lambda v: S.set_form_field("deposit_kind", v))
    formats = rx.select.root(rx.select.trigger(id="bk-f-format"),
                             rx.select.content(*[rx.select.item(T(f"ui.bookings.format.{k}"), value=k)
                                                 for k in ("offline", "online", "both")]),
                             value=S.form["format"], on_change=lambda v: S.set_form_field("format", v))
    return rx.cond(S.editing != "", rx.card(rx.form(rx.vstack(
        rx.flex(_input("name", width="18rem"), _input("price", width="8rem"), _input("duration", width="6rem"),
                _input("step", width="6rem"), _input("buffer_before", width="6rem"), _input("buffer_after", width="6rem"),
                _field("ui.bookings.f.format", formats, "bk-f-format"), _input("place", width="18rem"),
                _input("capacity", width="6rem"), _input("notice", width="7rem"), _input("ahead", width="6rem"),
                _field("ui.bookings.f.deposit_kind", kinds, "bk-f-deposit_kind"), _input("deposit", width="7rem"),
                _input("hold", width="6rem"), _input("cancel_free", width="6rem"), _input("photo_url", width="18rem"),
                spacing="3", wrap="wrap", align="end"),
        _field("ui.bookings.f.description", rx.text_area(name="description", id="bk-f-description", value=S.form["description"],
                                                         on_change=lambda v: S.set_form_field("description", v),
                                                         width="100%"), "bk-f-description"),
        rx.cond(S.editing != "new", rx.hstack(
            rx.cond(S.form["photo_url"] != "", rx.image(src=S.form["photo_url"], height="4rem", border_radius="6px")),
            rx.upload.root(rx.button(rx.icon("image-up", size=14), T("ui.bookings.upload_photo"), variant="soft",
                                     type="button"),
                           id="bk-photo-upload", accept={"image/jpeg": [".jpg", ".jpeg"], "image/png": [".png"],
                                                         "image/webp": [".webp"]},
                           max_files=1, on_drop=S.upload_photo(rx.upload_files(upload_id="bk-photo-upload")),
                           border="none", padding="0"),
            align="center", spacing="3")),
        rx.text(T("ui.bookings.f.providers"), size="2", weight="medium"),
        rx.flex(rx.foreach(S.staff, _provider_box), wrap="wrap"),
        rx.text(T("ui.bookings.providers_hint"), size="1", color_scheme="gray"),
        rx.el.label(rx.checkbox(name="hidden", default_checked=S.form["hidden"] == "on"), rx.text(T("ui.bookings.f.hidden"), size="2"),
                    style={"display": "inline-flex", "gap": "0.35rem"}),
        _error(S.form_error),
        rx.hstack(rx.button(T("ui.save"), type="submit", id="bk-f-save"),
                  rx.button(T("ui.cancel"), type="button", variant="soft", on_click=S.close_editor), spacing="2"),
        spacing="3", width="100%"), on_submit=S.save_service, reset_on_submit=False), width="100%"))


def services_tab() -> rx.Component:
    return rx.vstack(
        rx.button(rx.icon("plus", size=16), T("ui.bookings.new_service"), on_click=S.edit_service("new"), id="bk-new-service-btn"),
        service_editor(),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(f"ui.bookings.col.{c}"))
                                           for c in ("name", "price", "duration", "capacity", "providers", "deposit")],
                                         rx.table.column_header_cell(""))),
            rx.table.body(rx.foreach(S.services, _service_row)), width="100%"),
        spacing="3", width="100%",
    )


# -- hours -----------------------------------------------------------------------------------------
def _special_day(d) -> rx.Component:
    return rx.table.row(
        rx.table.cell(d["day_text"]),
        rx.table.cell(rx.cond(d["kind"] == "off", T("ui.bookings.day_off"), d["hours"])),
        rx.table.cell(rx.cond(d["everyone"] == "1", T("ui.bookings.everyone"), "")),
        rx.table.cell(d["note"]),
        rx.table.cell(row_form(d["day"], rx.el.input(type="hidden", name="everyone", value=d["everyone"]),
                               rx.button(T("ui.bookings.delete"), size="1", variant="soft", color_scheme="red", type="submit"),
                               on_submit=S.clear_day)),
    )


def hours_tab() -> rx.Component:
    return rx.vstack(
        _field("ui.bookings.f.provider", _select(S.resource, S.providers, S.pick_resource, "bk-hours-provider"),
               "bk-hours-provider"),
        rx.card(rx.form(rx.vstack(
            rx.text(T("ui.bookings.hours_hint"), size="1", color_scheme="gray"),
            *[rx.hstack(rx.text(T(f"ui.bookings.wd.{d}"), width="3rem"),
                        rx.input(name=d, default_value=S.week[d], key=S.resource + "-" + d, placeholder="10:00-19:00",
                                 width="20rem", id=f"bk-week-{d}"), align="center") for d in WEEKDAYS],
            rx.button(T("ui.save"), type="submit", id="bk-week-save"), spacing="2"),
            on_submit=S.save_week, reset_on_submit=False), width="100%"),
        rx.card(rx.form(rx.flex(
            _field("ui.bookings.f.day", date_input(name="day", id="bk-special-day"), "bk-special-day"),
            _field("ui.bookings.f.kind", rx.select.root(
                rx.select.trigger(id="bk-special-kind"),
                rx.select.content(rx.select.item(T("ui.bookings.day_off"), value="off"),
                                  rx.select.item(T("ui.bookings.special_hours"), value="hours")),
                name="kind", default_value="off"), "bk-special-kind"),
            _field("ui.bookings.f.hours", rx.input(name="hours", placeholder="10:00-15:00", id="bk-special-hours"),
                   "bk-special-hours"),
            _field("ui.bookings.f.note", rx.input(name="note", id="bk-special-note"), "bk-special-note"),
            rx.el.label(rx.checkbox(name="everyone"), rx.text(T("ui.bookings.holiday_everyone"), size="2"),
                        style={"display": "inline-flex", "gap": "0.35rem"}),
            rx.button(T("ui.bookings.add_day"), type="submit"),
            spacing="3", wrap="wrap", align="end"), on_submit=S.add_day), width="100%"),
        _error(S.hours_error),
        rx.table.root(rx.table.body(rx.foreach(S.special_days, _special_day)), width="100%"),
        spacing="3", width="100%",
    )


def tabs() -> rx.Component:
    return rx.tabs.root(
        rx.tabs.list(rx.tabs.trigger(T("ui.bookings.tab.calendar"), value="calendar", id="bk-tab-calendar"),
                     rx.cond(S.can_manage, rx.tabs.trigger(T("ui.bookings.tab.services"), value="services", id="bk-tab-services")),
                     rx.cond(S.can_manage, rx.tabs.trigger(T("ui.bookings.tab.hours"), value="hours", id="bk-tab-hours",
                                                           on_click=S.open_hours))),
        rx.tabs.content(rx.vstack(month_grid(), day_list(), rx.cond(S.can_manage, new_booking()), spacing="3",
                                  width="100%"), value="calendar", padding_top="1rem"),
        rx.tabs.content(services_tab(), value="services", padding_top="1rem"),
        rx.tabs.content(hours_tab(), value="hours", padding_top="1rem"),
        value=S.tab, on_change=S.set_tab, width="100%",
    )
