"""The storefront shell: which bottom tab is open."""
import reflex as rx

from smo_app.state.session import SessionState

TABS = ("catalog", "cart", "orders", "profile")


class StoreState(SessionState):
    tab: str = "catalog"

    @rx.event
    def open_tab(self, tab: str):
        self.tab = tab if tab in TABS else "catalog"
