"""/admin/catalog — category tree, products, the product editor, Excel import/export (CA1–CA3)."""
import reflex as rx

from smo_app.components.backoffice import admin_page
from smo_app.components.catalog_view import catalog_view
from smo_app.routes import AREAS_BY_KEY
from smo_app.state.catalog_editor import ProductEditorState

_AREA = AREAS_BY_KEY["catalog"]


@admin_page(_AREA.route, perm=_AREA.perm, title_key="ui.nav.catalog", on_load=ProductEditorState.load_page)
def catalog() -> rx.Component:
    return catalog_view()
