"""/admin/promotions — promo codes, gift certificates, tracking links (CR4–CR6)."""
import reflex as rx

from smo_app.components.backoffice import admin_page
from smo_app.components.promotions_view import promotions_view
from smo_app.routes import AREAS_BY_KEY
from smo_app.state.promotions import PromotionsState

_AREA = AREAS_BY_KEY["promotions"]


@admin_page(_AREA.route, perm=_AREA.perm, title_key="ui.nav.promotions", on_load=PromotionsState.load)
def promotions() -> rx.Component:
    return promotions_view()
