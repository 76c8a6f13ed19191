"""/admin/customers — search, customer card, bonus and discount edits, exports (CR1–CR3)."""
import reflex as rx

from smo_app.components.backoffice import admin_page
from smo_app.components.customers_view import customers_view
from smo_app.routes import AREAS_BY_KEY
from smo_app.state.customers import CustomersState

_AREA = AREAS_BY_KEY["customers"]


@admin_page(_AREA.route, perm=_AREA.perm, title_key="ui.nav.customers", on_load=CustomersState.load)
def customers() -> rx.Component:
    return customers_view()
