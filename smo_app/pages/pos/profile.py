"""/pos/profile — a seller's profile at the till: link or unlink their Telegram account."""
import reflex as rx

from smo_app import routes
from smo_app.components.common import T, guarded
from smo_app.components.pos import pos_frame
from smo_app.components.profile import telegram_panel
from smo_app.components.registry import page
from smo_app.state.profile import ProfileState
from smo_app.state.session import SessionState


@page(routes.POS_PROFILE, title="smo — POS", on_load=[SessionState.guard_pos, ProfileState.load_pos])
def pos_profile() -> rx.Component:
    # guard_pos grants the POS as a whole (routes.POS): the profile is part of it
    return guarded(
        routes.POS,
        pos_frame(
            rx.vstack(rx.heading(T("ui.nav.profile"), size="6", id="page-title"), telegram_panel(), spacing="4"),
            right=rx.hstack(
                rx.text(SessionState.staff_name, weight="bold", size="4"),
                rx.link(rx.button(rx.icon("arrow-left"), T("ui.pos.title"), size="3", variant="soft"), href=routes.POS,
                        id="pos-back"),
                align="center", spacing="3",
            ),
        ),
    )
