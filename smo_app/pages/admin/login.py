"""/admin/login — username and password."""
import reflex as rx

from smo_app import routes
from smo_app.components.common import T, field_label, lang_switch
from smo_app.components.registry import page
from smo_app.state.login import LoginState


@page(routes.ADMIN_LOGIN, title="smo — sign in", on_load=LoginState.open)
def login() -> rx.Component:
    return rx.center(
        rx.card(
            rx.form(
                rx.vstack(
                    rx.hstack(rx.heading(T("ui.login.title"), size="6"), rx.spacer(), lang_switch(), width="100%", align="center"),
                    rx.text(T("ui.login.subtitle"), color_scheme="gray", size="2"),
                    field_label("ui.login.username", "username"),
                    rx.input(id="username", name="username", auto_complete="username", size="3", width="100%", auto_focus=True),
                    field_label("ui.login.password", "password"),
                    rx.input(id="password", name="password", type="password", auto_complete="current-password", size="3", width="100%"),
                    rx.cond(LoginState.message != "", rx.callout(LoginState.message, icon="triangle-alert", color_scheme="red", role="alert", id="login-error", width="100%")),
                    rx.button(T("ui.login.submit"), type="submit", size="3", width="100%", id="login-submit"),
                    rx.hstack(rx.link(T("ui.login.to_pos"), href=routes.POS_LOGIN), rx.spacer(), rx.link(T("ui.login.to_storefront"), href=routes.STOREFRONT), width="100%"),
                    spacing="3",
                ),
                on_submit=LoginState.submit,
                reset_on_submit=False,
            ),
            width="24rem",
            size="4",
        ),
        min_height="100vh",
        background="var(--gray-2)",
    )
