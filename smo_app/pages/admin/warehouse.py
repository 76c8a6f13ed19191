"""/admin/warehouse — stock overview, write-off, supplies, inventory count, QR sheet (WH3–WH8)."""
import reflex as rx

from smo_app.components.backoffice import admin_page
from smo_app.components.warehouse_view import warehouse_view
from smo_app.routes import AREAS_BY_KEY
from smo_app.state.warehouse import WarehouseState

_AREA = AREAS_BY_KEY["warehouse"]


@admin_page(_AREA.route, perm=_AREA.perm, title_key="ui.nav.warehouse", on_load=WarehouseState.load)
def warehouse() -> rx.Component:
    return warehouse_view()
