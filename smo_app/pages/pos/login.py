"""/pos/login — seller tiles, then a large PIN pad (tablet, 1024×768 landscape)."""
import reflex as rx

from smo_app import routes
from smo_app.components.common import T
from smo_app.components.pos import pin_pad, pos_frame, seller_tile
from smo_app.components.registry import page
from smo_app.state.pos import PosLoginState


def _choose() -> rx.Component:
    return rx.vstack(
        rx.heading(T("ui.pos.choose_seller"), size="7"),
        rx.cond(PosLoginState.sellers.length() == 0, rx.text(T("ui.pos.no_sellers"))),
        rx.flex(rx.foreach(PosLoginState.sellers, seller_tile), wrap="wrap", spacing="4", justify="center"),
        align="center",
        spacing="5",
        padding_top="2rem",
    )


def _pin() -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.avatar(fallback=PosLoginState.chosen_name.split(" ")[0][:1], size="7", radius="full"),
            rx.heading(PosLoginState.chosen_name, size="6", id="pos-chosen"),
            rx.text(T("ui.pos.enter_pin"), size="4", color_scheme="gray"),
            rx.cond(PosLoginState.message != "", rx.callout(PosLoginState.message, icon="triangle-alert", color_scheme="red", role="alert", id="pos-error")),
            rx.button(rx.icon("arrow-left"), T("ui.pos.back"), variant="ghost", size="3", on_click=PosLoginState.back),
            align="center",
            spacing="4",
            width="22rem",
        ),
        pin_pad(),
        justify="center",
        align="center",
        spacing="9",
        height="100%",
    )


@page(routes.POS_LOGIN, title="smo — POS", on_load=PosLoginState.open)
def pos_login() -> rx.Component:
    return pos_frame(rx.cond(PosLoginState.chosen == "", _choose(), _pin()))
