"""/admin/backups — the owner's backups: back up now, daily time, history and downloads."""
import reflex as rx

from smo_app.components.backoffice import admin_page
from smo_app.components.backups_view import backups_view
from smo_app.routes import AREAS_BY_KEY
from smo_app.state.backups import BackupsState

_AREA = AREAS_BY_KEY["backups"]


@admin_page(_AREA.route, perm=_AREA.perm, title_key="ui.nav.backups", on_load=BackupsState.load)
def backups() -> rx.Component:
    return backups_view()
