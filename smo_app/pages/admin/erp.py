"""/admin/erp — MoySklad: the sync panel (owner, admin) and the connection (owner)."""
import reflex as rx

from smo_app.components.backoffice import admin_page
from smo_app.components.erp_view import erp_view
from smo_app.routes import AREAS_BY_KEY
from smo_app.state.erp import ErpState

_AREA = AREAS_BY_KEY["erp"]


@admin_page(_AREA.route, perm=_AREA.perm, title_key="ui.nav.erp", on_load=ErpState.load)
def erp() -> rx.Component:
    return erp_view()
