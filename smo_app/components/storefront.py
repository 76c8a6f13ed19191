"""The Mini App shell (390×844): header, content, bottom navigation, Telegram theme."""
from __future__ import annotations

import reflex as rx

from smo_app.components import styles
from smo_app.components.common import T, lang_switch
from smo_app.state.storefront import TELEGRAM_INIT, TELEGRAM_JS, StoreState

_TAB_ICONS = {"catalog": "layout-grid", "cart": "shopping-cart", "orders": "package", "profile": "user"}


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


def bottom_nav() -> rx.Component:
    def item(tab: str) -> rx.Component:
        active = StoreState.tab == tab
        return rx.vstack(
            rx.icon(_TAB_ICONS[tab], size=22),
            rx.text(T(f"ui.store.tab.{tab}"), size="1"),
            on_click=StoreState.open_tab(tab),
            role="button",
            cursor="pointer",
            align="center",
            justify="center",
            spacing="1",
            color=rx.cond(active, styles.TG_BUTTON, styles.TG_HINT),
            flex="1",
            height="3.75rem",
            id=f"tab-{tab}",
        )

    return rx.hstack(
        *[item(t) for t in _TAB_ICONS],
        position="fixed",
        bottom="0",
        left="50%",
        transform="translateX(-50%)",
        width="100%",
        max_width=styles.STOREFRONT_MAX_WIDTH,
        padding_bottom="env(safe-area-inset-bottom)",
        background=styles.TG_BG,
        border_top="1px solid var(--gray-a4)",
        spacing="0",
        id="bottom-nav",
    )


def soon(text_key: str, icon: str) -> rx.Component:
    return rx.center(
        rx.vstack(rx.icon(icon, size=40, color=styles.TG_HINT), rx.text(T(text_key), color=styles.TG_HINT, text_align="center"), align="center"),
        padding="3rem 1.5rem",
    )


def store_frame(*children) -> rx.Component:
    return rx.box(
        rx.script(src=TELEGRAM_JS),
        rx.script(TELEGRAM_INIT),
        rx.box(
            store_header(),
            rx.box(*children, padding="0 1rem 5rem 1rem"),
            bottom_nav(),
            max_width=styles.STOREFRONT_MAX_WIDTH,
            margin="0 auto",
            min_height="100vh",
            background=styles.TG_BG,
            color=styles.TG_TEXT,
        ),
        background=styles.TG_SECONDARY_BG,
        min_height="100vh",
    )
