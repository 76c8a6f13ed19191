"""/admin/support — managers and up: the tickets' queue, a conversation and the reply; the owner's settings."""
import reflex as rx

from smo_app import routes
from smo_app.components.backoffice import admin_page
from smo_app.components.support_view import conversation, queue_table, queue_tabs, settings_card
from smo_app.state.support import SupportState


@admin_page(routes.SUPPORT, perm="support.manage", title_key="ui.support.title", on_load=SupportState.load)
def support() -> rx.Component:
    return rx.vstack(
        queue_tabs(),
        rx.cond(SupportState.ticket_id > 0, conversation(), queue_table()),
        rx.cond(SupportState.can_settings, settings_card()),
        spacing="4",
        width="100%",
    )
