"""POS shell pieces: a tablet frame (1024×768 landscape and up), seller tiles and the PIN pad."""
from __future__ import annotations

import reflex as rx

from smo_app.components import styles
from smo_app.components.common import T, lang_switch
from smo_app.state.pos import PosLoginState, SellerTile


# On the POS the total and the pay button sit bottom right: toasts go bottom left, over the
# catalog, so they never cover what the seller must see and tap.
TOASTS_AWAY_FROM_THE_TOTAL = (
    "[data-sonner-toaster][data-x-position]{right:auto!important;left:1.5rem!important}"
)


def pos_frame(*children, right: rx.Component | None = None) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.hstack(rx.icon("monitor-smartphone", color=f"var(--{styles.ACCENT}-9)"), rx.heading(T("ui.pos.title"), size="5"), align="center"),
            rx.spacer(),
            right if right is not None else rx.fragment(),
            lang_switch(),
            align="center",
            spacing="4",
            height="4rem",
            padding_x="1.5rem",
            border_bottom="1px solid var(--gray-a5)",
            width="100%",
        ),
        rx.box(*children, padding="1.5rem", height="calc(100vh - 4rem)"),
        rx.el.style(TOASTS_AWAY_FROM_THE_TOTAL),
        min_width=styles.POS_MIN_WIDTH,
        min_height="100vh",
        background="var(--gray-2)",
    )


def seller_tile(seller: SellerTile) -> rx.Component:
    return rx.button(
        rx.vstack(
            rx.avatar(fallback=seller["initials"], size="5", radius="full"),
            rx.text(seller["full_name"], size="4", weight="medium"),
            rx.text(T("role." + seller["role"]), size="2", color_scheme="gray"),
            align="center",
            spacing="2",
        ),
        on_click=PosLoginState.choose(seller["username"], seller["full_name"]),
        variant="surface",
        color_scheme="gray",
        height="11rem",
        width="13rem",
        class_name="seller-tile",
        data_username=seller["username"],
    )


def _key(label, on_click, **props) -> rx.Component:
    props.setdefault("variant", "surface")
    return rx.button(label, on_click=on_click, size="4", width=styles.PIN_BUTTON_SIZE, height=styles.PIN_BUTTON_SIZE,
                     font_size="1.75rem", **props)


def pin_pad() -> rx.Component:
    digits = [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"]]
    rows = [rx.hstack(*[_key(d, PosLoginState.press(d), id=f"pin-{d}") for d in row], spacing="3") for row in digits]
    rows.append(
        rx.hstack(
            _key(rx.icon("delete", size=28), PosLoginState.backspace, color_scheme="gray", id="pin-back", aria_label=T("ui.pos.backspace")),
            _key("0", PosLoginState.press("0"), id="pin-0"),
            _key(rx.icon("log-in", size=28), PosLoginState.submit, color_scheme=styles.ACCENT, variant="solid", id="pin-enter",
                 aria_label=T("ui.pos.enter"), disabled=PosLoginState.pin_len < 4),
            spacing="3",
        )
    )
    dots = rx.hstack(
        *[rx.box(width="1rem", height="1rem", border_radius="50%",
                 background=rx.cond(PosLoginState.pin_len > i, f"var(--{styles.ACCENT}-9)", "var(--gray-a5)")) for i in range(6)],
        spacing="3",
        id="pin-dots",
        aria_hidden="true",
    )
    return rx.vstack(dots, *rows, align="center", spacing="3")
