"""/pos — the till: open a shift, then sell (search, scan, favourites, cart, customer, payment)."""
import reflex as rx

from smo_app import routes
from smo_app.components.common import guarded
from smo_app.components.pos import pos_frame
from smo_app.components.pos_sale import open_shift_form, sale_screen, top_bar
from smo_app.components.pos_offline import offline_support
from smo_app.components.pos_tablets import device_form, tablet_strip, ticker
from smo_app.components.registry import page
from smo_app.state.pos_sale import PosState
from smo_app.state.session import SessionState


@page(routes.POS, title="smo — POS", on_load=[SessionState.guard_pos, PosState.load])
def pos_home() -> rx.Component:
    body = rx.cond(PosState.needs_device, device_form(),
                   rx.cond(PosState.shift_open, sale_screen(), rx.box(tablet_strip(), open_shift_form(), height="100%", width="100%")))
    return guarded(routes.POS, pos_frame(body, ticker(), offline_support(), right=top_bar()))
