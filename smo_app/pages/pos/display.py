"""/pos/display?register=…[&device=…] — the customer-facing screen: the cart, the total, the change,
a QR code to join the loyalty programme in the Mini App."""
import reflex as rx

from smo_app import routes
from smo_app.components.common import guarded
from smo_app.components.pos_tablets import display_view
from smo_app.components.registry import page
from smo_app.state.pos_display import PosDisplayState
from smo_app.state.session import SessionState


@page(routes.POS_DISPLAY, title="smo — POS", on_load=[SessionState.guard_pos, PosDisplayState.load])
def pos_display() -> rx.Component:
    return guarded(routes.POS, display_view())
