"""/pos/returns — find the original sale, return some or all of its lines."""
import reflex as rx

from smo_app import routes
from smo_app.components.common import guarded
from smo_app.components.pos import pos_frame
from smo_app.components.pos_returns import returns_view
from smo_app.components.pos_sale import top_bar
from smo_app.components.pos_tablets import device_form
from smo_app.components.registry import page
from smo_app.state.pos_sale import PosState
from smo_app.state.session import SessionState


@page(routes.POS_RETURNS, title="smo — POS", on_load=[SessionState.guard_pos, PosState.ensure_tablet])
def pos_returns() -> rx.Component:
    # a browser that has not named its tablet names (or picks) it first: an exchange sells this
    # tablet's own cart, never the register's shared one
    body = rx.cond(PosState.needs_device, device_form(), returns_view())
    return guarded(routes.POS, pos_frame(body, right=top_bar()))
