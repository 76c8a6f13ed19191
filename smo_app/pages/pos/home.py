"""/pos — the POS shell: seller, shift state, sign-out."""
import reflex as rx

from smo_app import routes
from smo_app.components.common import T, guarded
from smo_app.components.pos import pos_frame
from smo_app.components.registry import page
from smo_app.state.session import SessionState


def _who() -> rx.Component:
    return rx.hstack(
        rx.badge(rx.icon("lock", size=14), T("ui.pos.shift_closed"), color_scheme="gray", size="3", id="shift-state"),
        rx.text(T("ui.pos.seller"), ":", color_scheme="gray"),
        rx.text(SessionState.staff_name, weight="bold", size="4", id="pos-seller"),
        rx.link(rx.button(rx.icon("user"), T("ui.nav.profile"), size="3", variant="soft", color_scheme="gray"),
                href=routes.POS_PROFILE, id="pos-profile-link"),
        rx.button(rx.icon("log-out"), T("ui.sign_out"), size="3", variant="soft", color_scheme="gray", on_click=SessionState.sign_out_pos, id="pos-sign-out"),
        align="center",
        spacing="3",
    )


@page(routes.POS, title="smo — POS", on_load=SessionState.guard_pos)
def pos_home() -> rx.Component:
    return guarded(
        routes.POS,
        pos_frame(
            rx.center(
                rx.vstack(rx.icon("lock", size=40, color="var(--gray-9)"), rx.heading(T("ui.pos.shift_closed"), size="6", as_="h2"),
                          rx.text(T("ui.pos.signed_in_text"), color_scheme="gray", size="4", id="pos-status"),
                          align="center", spacing="3", max_width="40rem", text_align="center"),
                height="60%",
            ),
            right=_who(),
        ),
    )
