"""The staff profile's Telegram panel, shared by the backoffice and the POS profile pages."""
from __future__ import annotations

import reflex as rx

from smo_app.components.common import T
from smo_app.state.profile import ProfileState


def telegram_panel() -> rx.Component:
    code = rx.cond(
        ProfileState.code_command != "",
        rx.vstack(
            rx.text(ProfileState.tr["ui.profile.code_hint"].replace("{until}", ProfileState.code_until), size="2"),
            rx.code(ProfileState.code_command, id="profile-link-command", size="3"),
            rx.cond(ProfileState.deep_link != "",
                    rx.link(rx.button(rx.icon("send", size=16), T("ui.profile.open_link")),
                            href=ProfileState.deep_link, is_external=True, id="profile-deep-link"),
                    rx.text(T("ui.profile.no_bot_username"), size="1", color_scheme="gray")),
            rx.button(T("ui.profile.refresh"), variant="soft", size="2", on_click=ProfileState.refresh,
                      id="profile-refresh"),
            spacing="2", align="start",
        ),
    )
    return rx.card(
        rx.vstack(
            rx.heading(T("ui.profile.telegram"), size="4"),
            rx.cond(ProfileState.message != "",
                    rx.callout(ProfileState.message, icon="triangle-alert", color_scheme="red", role="alert")),
            rx.cond(ProfileState.notice != "", rx.callout(ProfileState.notice, icon="check", color_scheme="green")),
            rx.cond(
                ProfileState.linked,
                rx.vstack(
                    rx.text(ProfileState.tr["ui.profile.linked"].replace("{id}", ProfileState.telegram_id),
                            id="profile-telegram-state"),
                    rx.button(T("ui.profile.unlink"), color_scheme="red", variant="soft",
                              on_click=ProfileState.unlink, id="profile-unlink"),
                    spacing="2", align="start",
                ),
                rx.vstack(
                    rx.text(T("ui.profile.not_linked"), id="profile-telegram-state"),
                    rx.button(T("ui.profile.get_code"), on_click=ProfileState.get_code, id="profile-get-code"),
                    code,
                    spacing="2", align="start",
                ),
            ),
            spacing="3", align="start",
        ),
        max_width="40rem",
    )
