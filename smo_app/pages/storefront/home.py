"""/ — the Mini App shell: search and categories say honestly that the catalog comes next."""
import reflex as rx

from smo_app import routes
from smo_app.components import styles
from smo_app.components.common import T
from smo_app.components.registry import page
from smo_app.components.storefront import soon, store_frame
from smo_app.state.storefront import StoreState


def _catalog() -> rx.Component:
    return rx.vstack(
        rx.input(rx.input.slot(rx.icon("search")), placeholder=T("ui.store.search"), disabled=True, size="3", width="100%",
                 radius="full", background=styles.TG_SECONDARY_BG),
        rx.text(T("ui.store.categories"), weight="bold", size="3", margin_top="0.5rem"),
        rx.callout.root(
            rx.callout.icon(rx.icon("construction")),
            rx.callout.text(rx.text(T("ui.store.catalog_soon_title"), weight="bold"), rx.text(T("ui.store.catalog_soon_text"))),
            color_scheme="amber",
            id="catalog-soon",
        ),
        spacing="3",
        padding_top="0.5rem",
    )


@page(routes.STOREFRONT, title="smo", on_load=StoreState.open)
def storefront() -> rx.Component:
    return store_frame(
        rx.match(
            StoreState.tab,
            ("cart", soon("ui.store.cart_soon", "shopping-cart")),
            ("orders", soon("ui.store.orders_soon", "package")),
            ("profile", soon("ui.store.profile_soon", "user")),
            _catalog(),
        )
    )
