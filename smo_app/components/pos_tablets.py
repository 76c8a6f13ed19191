"""The tablet's pieces of the POS: naming the tablet once, whose shift this is (and a notice when
the seller joined it), a shift closed on another tablet, parking and resuming tickets, the clock
that keeps the screen in step with the other tablets."""
from __future__ import annotations

import reflex as rx

from smo_app.components.common import T, field_label
from smo_app.state.pos_sale import PosState

BIG = "3"
POLL_MS = 2000


def ticker() -> rx.Component:
    """Every two seconds: a shift closed elsewhere, a cart changed elsewhere (cheap read)."""
    return rx.moment(interval=POLL_MS, on_change=PosState.tick, display="none")


def device_form() -> rx.Component:
    return rx.center(
        rx.card(rx.vstack(
            rx.heading(T("ui.pos.device_title"), size="6", as_="h2"),
            rx.text(T("ui.pos.device_hint"), color_scheme="gray", size="2"),
            rx.cond(PosState.naming_registers.length() > 1,
                    rx.select.root(rx.select.trigger(aria_label=T("ui.pos.register")),
                                   rx.select.content(rx.foreach(PosState.naming_registers, lambda r: rx.select.item(
                                       r["name"], value=r["id"]))),
                                   value=PosState.naming_register, on_change=PosState.set_naming_register, size=BIG)),
            field_label("ui.pos.device_name", "pos-device-name"),
            rx.input(id="pos-device-name", value=PosState.device_name_text, on_change=PosState.set_device_name_text,
                     size=BIG, max_length=64),
            rx.button(rx.icon("tablet"), T("ui.pos.device_save"), on_click=PosState.name_device, size=BIG,
                      id="pos-device-save", width="100%"),
            spacing="3", width="24rem",
        )),
        height="70%",
    )


def tablet_badges() -> rx.Component:
    """In the top bar: whose shift on which register, and this tablet's name."""
    return rx.hstack(
        rx.cond(PosState.shift_label != "", rx.text(PosState.shift_label, size="2", weight="medium", id="pos-shift-of")),
        rx.cond(PosState.device_name != "", rx.badge(rx.icon("tablet", size=14), PosState.device_name, size="2",
                                                      color_scheme="gray", id="pos-device")),
        spacing="2", align="center",
    )


def notices() -> rx.Component:
    return rx.fragment(
        rx.cond(PosState.closed_elsewhere & ~PosState.shift_open,
                rx.callout(T("ui.pos.shift_closed_elsewhere"), icon="lock", color_scheme="amber", width="100%",
                           id="pos-closed-elsewhere", role="alert")),
        rx.cond(PosState.shift_open & (PosState.joined_notice != ""),
                rx.callout(PosState.joined_notice, icon="users", size="1", width="100%", id="pos-joined")),
    )


def _parked_row(p) -> rx.Component:
    return rx.hstack(
        rx.text(p["text"], size="2", flex="1"),
        rx.button(rx.icon("play"), T("ui.pos.resume"), on_click=PosState.resume(p["id"]), size="2", variant="soft",
                  class_name="pos-resume"),
        width="100%", align="center", class_name="pos-parked-row",
    )


def park_menu() -> rx.Component:
    """A button by the cart: park this cart under a name; the register's parked tickets to resume."""
    return rx.popover.root(
        rx.popover.trigger(rx.button(rx.icon("pause"), T("ui.pos.parked"), " (", PosState.parked.length(), ")",
                                     size="2", variant="soft", id="pos-parked-open")),
        rx.popover.content(rx.vstack(
            rx.hstack(
                rx.input(placeholder=T("ui.pos.park_name"), value=PosState.park_name,
                         on_change=PosState.set_park_name, size="2", width="100%", id="pos-park-name",
                         aria_label=T("ui.pos.park_name"), max_length=64),
                rx.button(rx.icon("pause"), T("ui.pos.park"), on_click=PosState.park, size="2", id="pos-park",
                          disabled=PosState.lines.length() == 0),
                width="100%",
            ),
            rx.divider(),
            rx.cond(PosState.parked.length() > 0,
                    rx.vstack(rx.foreach(PosState.parked, _parked_row), width="100%", spacing="1", id="pos-parked"),
                    rx.text(T("ui.pos.parked_none"), size="2", color_scheme="gray")),
            width="26rem", spacing="2",
        )),
    )
