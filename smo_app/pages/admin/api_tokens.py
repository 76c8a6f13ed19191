"""/admin/api-tokens — owner and admin issue and revoke staff API tokens."""
import reflex as rx

from smo_app import routes
from smo_app.components.api_tokens import create_form, secret_dialog, token_table, webhooks_card
from smo_app.components.backoffice import admin_page
from smo_app.components.common import T
from smo_app.state.api_tokens import ApiTokensState


@admin_page(routes.API_TOKENS, perm="staff.manage", title_key="ui.api_tokens.title", on_load=ApiTokensState.load)
def api_tokens() -> rx.Component:
    return rx.vstack(
        create_form(),
        rx.heading(T("ui.api_tokens.title"), size="4", margin_top="1rem"),
        token_table(),
        webhooks_card(),
        secret_dialog(),
        spacing="3",
        width="100%",
    )
