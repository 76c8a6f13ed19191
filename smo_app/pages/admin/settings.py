"""/admin/settings — the owner's shop settings (SE1)."""
import reflex as rx

from smo_app.components.backoffice import admin_page
from smo_app.components.settings_view import settings_view
from smo_app.routes import AREAS_BY_KEY
from smo_app.state.settings import SettingsState

_AREA = AREAS_BY_KEY["settings"]


@admin_page(_AREA.route, perm=_AREA.perm, title_key="ui.nav.settings", on_load=SettingsState.load)
def settings() -> rx.Component:
    return settings_view()
