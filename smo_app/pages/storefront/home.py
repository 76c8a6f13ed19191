"""/ — the Mini App's front page: the shop greets the customer and leads to its bot."""
import reflex as rx

from smo_app import routes
from smo_app.components import styles
from smo_app.components.common import T
from smo_app.components.registry import page
from smo_app.components.storefront import store_frame
from smo_app.state.storefront import StoreState


def _welcome() -> rx.Component:
    # No <p> inside <p> here (rx.callout.text is a <p>): the browser would reshape the
    # server-rendered HTML and React would report a hydration mismatch on every load.
    return rx.vstack(
        rx.icon("store", size=40, color=styles.TG_BUTTON),
        rx.heading(T("ui.store.welcome_title"), size="5", as_="h2", id="store-welcome"),
        rx.text(T("ui.store.welcome_text"), color=styles.TG_HINT),
        rx.link(
            rx.hstack(rx.icon("send", size=16), rx.text(T("ui.store.write_to_bot"), as_="span"), align="center",
                      justify="center", spacing="2"),
            href=StoreState.bot_url, is_external=True, underline="none", width="100%", padding="0.75rem",
            border_radius="10px", background=styles.TG_BUTTON, color=styles.TG_BUTTON_TEXT, weight="medium",
        ),
        align="center",
        text_align="center",
        spacing="4",
        padding="2.5rem 0.5rem",
    )


@page(routes.STOREFRONT, title="smo", on_load=StoreState.open)
def storefront() -> rx.Component:
    return store_frame(_welcome())
