"""Mini App screens of the "Book" tab: services, the month with free days highlighted and the day's
slots, contacts, the confirmation (deposit, .ics), and "My bookings" with cancel and reschedule."""
from __future__ import annotations

import reflex as rx

from smo_app.components import styles
from smo_app.components.common import row_form
from smo_app.components.storefront import ST, back_button, notice, tg_button
from smo_app.components.storefront_payment import copy_row, file_button
from smo_app.state.storefront_booking import DEPOSIT_PROOF_INPUT, BookingFlowState as B

STATE_COLORS = {"pending": "amber", "confirmed": "green", "completed": "blue", "cancelled": "gray", "no_show": "red"}


def _state_badge(row) -> rx.Component:
    return rx.badge(row["state_text"], color_scheme=rx.match(row["state"], *STATE_COLORS.items(), "gray"),
                    custom_attrs={"data-state": row["state"]})


def _service_card(s) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.cond(s["photo"] != "", rx.image(src=s["photo"], width="100%", height="8rem", object_fit="cover",
                                               border_radius="8px")),
            rx.hstack(rx.text(s["name"], weight="bold"), rx.spacer(),
                      rx.text(s["price"], weight="medium", white_space="nowrap"), width="100%"),
            rx.text(s["description"], size="2", color=styles.TG_HINT),
            rx.text(s["meta"], size="1", color=styles.TG_HINT),
            rx.cond(s["deposit"] != "", rx.text(ST("ui.sf.booking.deposit") + " " + s["deposit"], size="1")),
            spacing="1", width="100%", align="start",
        ),
        on_click=B.pick_service(s["id"]), cursor="pointer", width="100%", role="link",
        custom_attrs={"data-service": s["id"]},
    )


def bookings_screen() -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.heading(ST("ui.sf.booking.title"), size="5", as_="h2"), rx.spacer(),
                  rx.button(ST("ui.sf.booking.mine"), variant="soft", size="2", on_click=B.show_mine, id="sf-my-bookings"),
                  width="100%", align="center"),
        notice(),
        rx.cond(B.services.length() == 0, rx.text(ST("ui.sf.booking.none"), color=styles.TG_HINT, padding_y="2rem"),
                rx.vstack(rx.foreach(B.services, _service_card), spacing="2", width="100%", id="sf-services")),
        spacing="3", width="100%", align="start",
    )


def _day(d) -> rx.Component:
    free = d["free"] == "1"
    return rx.button(
        d["label"], on_click=B.pick_day(d["iso"]), disabled=d["in_month"] != "1", size="2", width="100%",
        variant=rx.cond(B.day == d["iso"], "solid", rx.cond(free, "soft", "ghost")),
        opacity=rx.cond(d["in_month"] == "1", "1", "0.35"),
        custom_attrs={"data-day": d["iso"], "data-free": d["free"]},
    )


def _format_choice() -> rx.Component:
    return rx.cond(B.service["format"] == "both", rx.segmented_control.root(
        rx.segmented_control.item(ST("ui.bookings.format.offline"), value="offline", id="sf-format-offline"),
        rx.segmented_control.item(ST("ui.bookings.format.online"), value="online", id="sf-format-online"),
        value=B.fmt, on_change=B.pick_format, width="100%"))


def booking_days_screen() -> rx.Component:
    return rx.vstack(
        back_button(),
        rx.heading(B.service["name"], size="5", as_="h2"),
        notice(),
        _format_choice(),
        rx.hstack(rx.button("‹", variant="ghost", on_click=B.shift_month(-1), id="sf-month-prev"),
                  rx.text(B.month_title, weight="medium"),
                  rx.button("›", variant="ghost", on_click=B.shift_month(1), id="sf-month-next"),
                  justify="between", width="100%", align="center"),
        rx.grid(*[rx.text(ST(f"ui.bookings.wd.{d}"), size="1", text_align="center", color=styles.TG_HINT) for d in range(7)],
                rx.foreach(B.days, _day), columns="7", spacing="1", width="100%", id="sf-month"),
        rx.cond(B.day != "", rx.vstack(
            rx.text(ST("ui.sf.booking.times_in") + " " + B.zone, size="1", color=styles.TG_HINT),
            rx.cond(B.slots.length() == 0,
                    rx.vstack(rx.text(ST("ui.bookings.no_slots"), size="2"),
                              rx.button(ST("ui.sf.booking.wait"), variant="soft", on_click=B.join_waitlist, width="100%",
                                        id="sf-waitlist"), width="100%"),
                    rx.grid(rx.foreach(B.slots, lambda s: rx.button(
                        s["label"], variant="outline", on_click=B.pick_slot(s["iso"]),
                        disabled=(B.service["format"] == "both") & (B.fmt == ""),
                        custom_attrs={"data-slot": s["label"]})), columns="4", spacing="2", width="100%", id="sf-slots")),
            rx.cond((B.service["format"] == "both") & (B.fmt == ""), rx.text(ST("ui.sf.booking.pick_format"), size="1")),
            spacing="2", width="100%")),
        spacing="3", width="100%", align="start",
    )


def booking_contact_screen() -> rx.Component:
    return rx.vstack(
        back_button(),
        rx.heading(B.service["name"], size="5", as_="h2"),
        rx.text(B.day_text + " " + B.slot_label + " (" + B.zone + ")", weight="medium", id="sf-booking-when"),
        rx.form(rx.vstack(
            rx.input(name="contact_name", placeholder=ST("ui.sf.contact_name"), default_value=B.contact_name,
                     width="100%", id="sf-booking-name"),
            rx.hstack(rx.input(name="phone", placeholder=ST("ui.sf.phone"), value=B.phone, on_change=B.set_phone,
                               input_mode="tel", width="100%", id="sf-booking-phone"),
                      rx.button(ST("ui.sf.share_phone"), type="button", variant="soft", on_click=B.request_contact,
                                id="sf-booking-share-phone"), width="100%"),
            rx.cond(B.step_error != "", rx.callout(B.step_error, icon="triangle-alert", color_scheme="red", width="100%",
                                                   id="sf-booking-error")),
            tg_button(ST("ui.sf.booking.confirm"), type="submit", id="sf-booking-submit"),
            spacing="3", width="100%"), on_submit=B.book, reset_on_submit=False, width="100%"),
        spacing="3", width="100%", align="start",
    )


def _deposit_transfer() -> rx.Component:
    """The shop's transfer details for the deposit and the screenshot's button (after "transfer")."""
    t = B.deposit_transfer
    return rx.cond(t.length() > 0, rx.vstack(
        rx.text(ST("ui.pay.transfer_title"), weight="medium"),
        rx.hstack(rx.text(ST("ui.pay.transfer_sum"), size="2"), rx.spacer(),
                  rx.text(t["amount"], size="3", weight="bold", id="transfer-deposit-sum"), width="100%"),
        *[copy_row(ST(f"ui.pay.transfer_{f}"), t[f], ST("ui.pay.copy"), f"deposit-{f}")
          for f in ("recipient", "bank", "account", "comment")],
        rx.cond(t["sbp_link"] != "", rx.link(ST("ui.pay.sbp_open"), href=t["sbp_link"], is_external=True)),
        file_button(DEPOSIT_PROOF_INPUT, ST("ui.sf.booking.transfer_send"), B.send_deposit_proof, B.proof_busy,
                    "booking-deposit-proof-button"),
        width="100%", spacing="2", padding="0.75rem", border_radius="8px", border="1px solid var(--gray-a6)",
        id="booking-deposit-transfer"))


def booking_done_screen() -> rx.Component:
    b = B.booked
    return rx.vstack(
        rx.heading(rx.cond(b["state"] == "pending", ST("ui.sf.booking.held"), ST("ui.sf.booking.done")), size="5", as_="h2",
                   id="sf-booking-done"),
        notice(),
        rx.card(rx.vstack(
            rx.text(b["service"], weight="bold"),
            rx.text(b["day"] + " " + b["time"] + " (" + b["zone"] + ")"),
            rx.text(rx.cond(b["format"] == "online", ST("ui.bookings.format.online"), b["place"]), size="2"),
            rx.badge(b["state_text"], custom_attrs={"data-state": b["state"]}, id="sf-booking-state"),
            spacing="1", align="start"), width="100%"),
        rx.cond((b["state"] == "pending") & (b["review"] != "1"), rx.vstack(
            rx.text(ST("ui.sf.booking.pay_deposit") + " " + b["deposit"], weight="medium"),
            rx.foreach(B.deposit_methods, lambda m: rx.button(m["label"], on_click=B.pay_deposit(m["key"]), size="3",
                                                              width="100%", height="auto", min_height="2.75rem",
                                                              white_space="normal", padding_y="0.5rem",
                                                              custom_attrs={"data-method": m["key"]})),
            _deposit_transfer(),
            rx.button(ST("ui.sf.booking.check_paid"), variant="soft", size="3", width="100%", on_click=B.check_deposit,
                      id="sf-booking-check"),
            spacing="2", width="100%")),
        rx.cond(b["review"] == "1", rx.callout(ST("ui.bookings.proof_waiting"), icon="clock", color_scheme="blue",
                                               width="100%", id="sf-booking-proof-waiting")),
        rx.button(ST("ui.sf.booking.ics"), variant="soft", on_click=B.download_ics(b["id"]), width="100%",
                  id="sf-booking-ics"),
        rx.button(ST("ui.sf.booking.mine"), variant="ghost", on_click=B.show_mine, width="100%"),
        spacing="3", width="100%", align="start",
    )


def _mine_row(m) -> rx.Component:
    return rx.card(rx.vstack(
        rx.hstack(rx.text(m["service"], weight="bold"), rx.spacer(), _state_badge(m), width="100%"),
        rx.text(m["when"] + " (" + m["zone"] + ")", size="2"),
        rx.cond(m["reason"] != "", rx.text(m["reason"], size="1", color=styles.TG_HINT)),
        rx.cond(m["open"] == "1", rx.vstack(
            rx.hstack(rx.button(ST("ui.sf.booking.reschedule"), size="1", variant="soft", on_click=B.reschedule(m["id"])),
                      rx.button(ST("ui.sf.booking.ics"), size="1", variant="ghost", on_click=B.download_ics(m["id"]))),
            row_form(m["id"], rx.hstack(rx.input(name="reason", placeholder=ST("ui.sf.booking.reason"), size="1", width="100%"),
                                        rx.button(ST("ui.sf.booking.cancel"), size="1", color_scheme="red", type="submit",
                                                  custom_attrs={"data-cancel": m["id"]}), width="100%"),
                     on_submit=B.cancel_mine, width="100%"),
            spacing="2", width="100%")),
        spacing="1", width="100%", align="start"), width="100%", custom_attrs={"data-booking": m["id"]})


def my_bookings_screen() -> rx.Component:
    return rx.vstack(
        back_button(),
        rx.heading(ST("ui.sf.booking.mine"), size="5", as_="h2"),
        notice(),
        rx.cond(B.mine.length() == 0, rx.text(ST("ui.sf.booking.none_mine"), color=styles.TG_HINT),
                rx.vstack(rx.foreach(B.mine, _mine_row), spacing="2", width="100%", id="sf-mine")),
        spacing="3", width="100%", align="start",
    )
