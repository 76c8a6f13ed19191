"""The tablet's pieces of the POS: naming the tablet once, whose shift this is (and a notice when
the seller joined it), a shift closed on another tablet, parking and resuming tickets, the clock
that keeps the screen in step with the other tablets."""
from __future__ import annotations

import reflex as rx

from smo_app.components.common import T, field_label
from smo_app.state.pos_display import PosDisplayState as D
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
            rx.cond(PosState.known_devices.length() > 0, rx.vstack(
                rx.divider(),
                rx.text(T("ui.pos.device_existing"), size="2", color_scheme="gray"),
                rx.foreach(PosState.known_devices, lambda d: rx.button(
                    rx.icon("tablet"), d["label"], on_click=PosState.adopt_device(d["id"]), size="2", variant="soft",
                    color_scheme="gray", width="100%", class_name="pos-known-device")),
                width="100%", spacing="2")),
            spacing="3", width="24rem",
        )),
        height="70%",
    )


def tablet_strip() -> rx.Component:
    """One line above the sale: whose shift on which register (or that this seller joined it), and
    this tablet's name; a shift closed on another tablet, in its place."""
    return rx.cond(
        PosState.closed_elsewhere & ~PosState.shift_open,
        rx.callout(T("ui.pos.shift_closed_elsewhere"), icon="lock", color_scheme="amber", width="100%",
                   id="pos-closed-elsewhere", role="alert"),
        rx.hstack(
            rx.cond(PosState.shift_open & (PosState.joined_notice != ""),
                    rx.hstack(rx.icon("users", size=16), rx.text(PosState.joined_notice, size="2", id="pos-joined"),
                              align="center", spacing="1", color="var(--accent-11)"),
                    rx.cond(PosState.shift_label != "",
                            rx.text(PosState.shift_label, size="2", weight="medium", id="pos-shift-of"))),
            rx.spacer(),
            rx.cond(PosState.shift_open, park_menu()),
            rx.cond(PosState.device_name != "", rx.badge(rx.icon("tablet", size=14), PosState.device_name, size="2",
                                                          color_scheme="gray", id="pos-device")),
            width="100%", align="center", min_height="1.5rem",
        ),
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
        rx.popover.trigger(rx.button(rx.icon("pause", size=16), T("ui.pos.parked"), " (", PosState.parked.length(), ")",
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


# --------------------------------------------------------------------------- the customer display

def display_link() -> rx.Component:
    """Opens this tablet's customer display (a second window, a monitor, another tablet)."""
    return rx.link(rx.button(rx.icon("monitor"), size=BIG, variant="soft", color_scheme="gray",
                             aria_label=T("ui.pos.display"), title=T("ui.pos.display")),
                   href=PosState.display_href, is_external=True, id="pos-display-link")


def _display_line(ln) -> rx.Component:
    return rx.hstack(rx.text(ln["name"], size="6", flex="1"), rx.text(ln["qty"], size="6", color_scheme="gray"),
                     rx.text(ln["total"], size="6", weight="bold", min_width="9rem", text_align="right"),
                     width="100%", class_name="display-line", padding_y="0.5rem",
                     border_bottom="1px solid var(--gray-a4)")


def display_view() -> rx.Component:
    return rx.box(
        rx.moment(interval=1000, on_change=D.tick, display="none"),
        rx.cond(D.missing, rx.center(rx.text(T("ui.pos.display_no_register"), size="6"), height="100vh"),
                rx.hstack(
                    rx.vstack(
                        rx.heading(D.shop_name, size="8"),
                        rx.cond(D.customer != "", rx.text(D.customer, size="5", color_scheme="gray",
                                                          id="display-customer")),
                        rx.cond(D.lines.length() > 0,
                                rx.vstack(rx.foreach(D.lines, _display_line), width="100%", id="display-lines"),
                                rx.cond(D.last_total != "",
                                        rx.vstack(rx.heading(T("ui.pos.display_thanks"), size="8", id="display-thanks"),
                                                  rx.cond(D.last_change != "", rx.hstack(
                                                      rx.text(T("ui.pos.display_change"), size="7"),
                                                      rx.text(D.last_change, size="9", weight="bold",
                                                              id="display-change"), align="baseline", spacing="4"))),
                                        rx.heading(T("ui.pos.display_welcome"), size="8", color_scheme="gray",
                                                   id="display-welcome"))),
                        width="62%", spacing="4", padding="2rem", height="100vh", overflow_y="auto",
                    ),
                    rx.vstack(
                        rx.cond(D.lines.length() > 0, rx.vstack(
                            rx.text(T("ui.pos.display_total"), size="6"),
                            rx.text(D.total, size="9", weight="bold", id="display-total"),
                            rx.cond(D.has_discount, rx.text(T("ui.pos.discount"), ": ", D.discount, size="5",
                                                            color_scheme="green")),
                            align="center", spacing="2")),
                        rx.spacer(),
                        rx.cond(D.qr != "", rx.image(src=D.qr, width="14rem", height="14rem", alt=T("ui.pos.display_join"),
                                                     id="display-qr")),
                        rx.text(T("ui.pos.display_join"), size="4", text_align="center", max_width="20rem"),
                        width="38%", align="center", padding="2rem", height="100vh",
                        background="var(--gray-3)",
                    ),
                    spacing="0", width="100%",
                )),
        min_height="100vh", background="var(--color-background)",
    )
