"""The Mini App shell (390×844): header, content, Telegram theme."""
from __future__ import annotations

import reflex as rx

from smo_app.components import styles
from smo_app.components.common import T, lang_switch
from smo_app.state.storefront import TELEGRAM_INIT, TELEGRAM_JS, StoreState

def store_header() -> rx.Component:
    return rx.hstack(
        rx.heading(rx.cond(StoreState.shop_name != "", StoreState.shop_name, T("ui.shop_name")), size="4", color=styles.TG_TEXT, id="shop-name"),
        rx.spacer(),
        lang_switch(),
        align="center",
        padding="0.75rem 1rem",
        position="sticky",
        top="0",
        background=styles.TG_BG,
        z_index="10",
        width="100%",
    )


def store_frame(*children) -> rx.Component:
    return rx.box(
        rx.script(src=TELEGRAM_JS),
        rx.script(TELEGRAM_INIT),
        rx.box(
            store_header(),
            rx.box(*children, padding="0 1rem 2rem 1rem"),
            max_width=styles.STOREFRONT_MAX_WIDTH,
            margin="0 auto",
            min_height="100vh",
            background=styles.TG_BG,
            color=styles.TG_TEXT,
        ),
        background=styles.TG_SECONDARY_BG,
        min_height="100vh",
    )
