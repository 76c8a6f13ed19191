"""/pos/shift — cash in/out with a reason, the X report, closing with the counted cash (Z report)."""
import reflex as rx

from smo_app import routes
from smo_app.components.common import guarded
from smo_app.components.pos import pos_frame
from smo_app.components.pos_sale import shift_page_body, top_bar
from smo_app.components.registry import page
from smo_app.state.pos_shift import PosShiftState
from smo_app.state.session import SessionState


@page(routes.POS_SHIFT, title="smo — POS", on_load=[SessionState.guard_pos, PosShiftState.load])
def pos_shift() -> rx.Component:
    return guarded(routes.POS, pos_frame(shift_page_body(), right=top_bar()))
