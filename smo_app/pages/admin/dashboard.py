"""/admin — the dashboard shell: greeting, role, the areas this role can open."""
import reflex as rx

from smo_app import routes
from smo_app.components import styles
from smo_app.components.analytics import summary_block
from smo_app.components.backoffice import AREA_ICONS, admin_page
from smo_app.components.common import T
from smo_app.state.session import SessionState


def _tile(area: routes.Area) -> rx.Component:
    return rx.cond(
        SessionState.allowed.contains(area.route),
        rx.link(rx.card(rx.hstack(rx.icon(AREA_ICONS[area.key], size=18), rx.text(T(f"ui.nav.{area.key}"), weight="medium"),
                                  align="center")), href=area.route, underline="none"),
    )


@admin_page(routes.ADMIN, perm="backoffice.access", title_key="ui.nav.dashboard")
def dashboard() -> rx.Component:
    return rx.vstack(
        rx.heading(T("ui.dashboard.hello"), ", ", SessionState.staff_name, size="5", id="greeting"),
        rx.hstack(rx.text(T("ui.dashboard.role"), ":"), rx.badge(T("role." + SessionState.staff_role), color_scheme=styles.ACCENT, size="2"), align="center"),
        summary_block(),
        rx.text(T("ui.dashboard.areas"), weight="bold", margin_top="1rem"),
        rx.grid(*[_tile(a) for a in routes.AREAS], columns="3", spacing="3", width="100%"),
        spacing="3",
        width="100%",
    )
