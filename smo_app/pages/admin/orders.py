"""/admin/orders — order lists, the order card, delivery, pick list, courier handoff, B2B entry;
/admin/orders/pick — the printable pick list."""
import reflex as rx

from smo_app.components.backoffice import admin_page
from smo_app.components.common import guarded
from smo_app.components.orders_view import orders_view, pick_list_view
from smo_app.components.registry import page
from smo_app.routes import AREAS_BY_KEY
from smo_app.state.order_card import OrderCardState
from smo_app.state.orders import PICK_LIST, PickListState
from smo_app.state.session import SessionState

_AREA = AREAS_BY_KEY["orders"]


@admin_page(_AREA.route, perm=_AREA.perm, title_key="ui.nav.orders", on_load=OrderCardState.load_page)
def orders() -> rx.Component:
    return orders_view()


@page(PICK_LIST, title="smo", on_load=[SessionState.guard_backoffice(PICK_LIST, "orders.view"), PickListState.load])
def pick_list() -> rx.Component:
    return guarded(PICK_LIST, pick_list_view())
