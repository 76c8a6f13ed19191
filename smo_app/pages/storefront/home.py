"""/ — the Mini App: one route whose screens follow the customer (catalog, product, cart, checkout,
my orders, an order, my bonuses, booking a service and my bookings); Telegram's BackButton walks back through them."""
import reflex as rx

from smo_app import routes
from smo_app.components.registry import page
from smo_app.pages.storefront import blank  # noqa: F401  (registered only for the load benchmark)
from smo_app.components.storefront import first_screen_slot, history_sync, store_frame, tab_bar
from smo_app.components.storefront_account import bonuses_screen, order_screen, orders_screen
from smo_app.components.storefront_booking import (
    booking_contact_screen, booking_days_screen, booking_done_screen, bookings_screen, my_bookings_screen,
)
from smo_app.components.storefront_cart import cart_screen, checkout_screen
from smo_app.components.storefront_catalog import catalog_screen, outside_screen, product_screen, refused_screen
from smo_app.state.storefront import StoreState
from smo_app.state.storefront_account import AccountState
from smo_app.state.storefront_booking import BookingFlowState
from smo_app.state.storefront_cart import CartState


def _screens() -> rx.Component:
    return rx.fragment(history_sync(), rx.match(
        StoreState.screen,
        ("product", product_screen()),
        ("cart", cart_screen()),
        ("checkout", checkout_screen()),
        ("orders", orders_screen()),
        ("order", order_screen()),
        ("bonuses", bonuses_screen()),
        ("bookings", bookings_screen()),
        ("booking_days", booking_days_screen()),
        ("booking_contact", booking_contact_screen()),
        ("booking_done", booking_done_screen()),
        ("my_bookings", my_bookings_screen()),
        catalog_screen(),
    ))


@page(routes.STOREFRONT, title="smo", on_load=StoreState.open)
def storefront() -> rx.Component:
    return store_frame(
        rx.match(
            StoreState.phase,
            ("ready", _screens()),
            ("refused", refused_screen()),
            ("outside", outside_screen()),
            ("demo", outside_screen()),
            rx.fragment(first_screen_slot(), rx.center(rx.spinner(size="3"), min_height="60vh", id="sf-loading")),
        ),
        footer=rx.cond(StoreState.phase == "ready",
                       tab_bar(CartState.show_cart, AccountState.show_orders, AccountState.show_bonuses,
                               BookingFlowState.show_bookings)),
    )
