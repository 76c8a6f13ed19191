"""/admin/profile — the signed-in staff member's profile: link or unlink their Telegram account."""
import reflex as rx

from smo_app import routes
from smo_app.components.backoffice import admin_page
from smo_app.components.profile import telegram_panel
from smo_app.state.profile import ProfileState


@admin_page(routes.PROFILE, perm="backoffice.access", title_key="ui.nav.profile", on_load=ProfileState.load_backoffice)
def profile() -> rx.Component:
    return telegram_panel()
