"""/pos/returns — find the original sale, return some or all of its lines."""
import reflex as rx

from smo_app import routes
from smo_app.components.common import guarded
from smo_app.components.pos import pos_frame
from smo_app.components.pos_returns import returns_view
from smo_app.components.pos_sale import top_bar
from smo_app.components.registry import page
from smo_app.state.session import SessionState


@page(routes.POS_RETURNS, title="smo — POS", on_load=SessionState.guard_pos)
def pos_returns() -> rx.Component:
    return guarded(routes.POS, pos_frame(returns_view(), right=top_bar()))
