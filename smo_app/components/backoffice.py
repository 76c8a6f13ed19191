"""The backoffice shell: header, role-filtered sidebar, and the ``admin_page`` template."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from smo_app import routes
from smo_app.components import styles
from smo_app.components.common import T, demo_banner, guarded, lang_switch, title_bar
from smo_app.components.registry import page
from smo_app.state.session import SessionState


def _nav_link(route: str, key: str, icon: str, current: str) -> rx.Component:
    active = route == current
    return rx.link(
        rx.hstack(rx.icon(icon, size=16), rx.text(T(f"ui.nav.{key}"), size="2"), spacing="2", align="center"),
        href=route,
        id=f"nav-{key}",
        underline="none",
        color_scheme="gray" if not active else styles.ACCENT,
        high_contrast=not active,
        weight="bold" if active else "regular",
        padding="0.4rem 0.6rem",
        border_radius="8px",
        background="var(--accent-a3)" if active else "transparent",
        width="100%",
    )


AREA_ICONS = {
    "orders": "shopping-bag", "catalog": "book-open", "warehouse": "warehouse", "customers": "users",
    "promotions": "percent", "broadcasts": "megaphone", "support": "life-buoy", "bookings": "calendar-clock",
    "analytics": "chart-column", "settings": "settings", "erp": "refresh-cw", "backups": "archive", "audit": "scroll-text", "staff": "id-card",
    "api_tokens": "key-round",
    "dead_letters": "inbox", "pos_sales": "receipt", "payments": "credit-card",
}


def sidebar(current: str) -> rx.Component:
    links = [_nav_link(routes.ADMIN, "dashboard", "layout-dashboard", current)]
    for area in routes.AREAS:
        links.append(rx.cond(SessionState.allowed.contains(area.route), _nav_link(area.route, area.key, AREA_ICONS[area.key], current)))
    return rx.vstack(*links, spacing="1", width=styles.SIDEBAR_WIDTH, min_width=styles.SIDEBAR_WIDTH,
                     padding="1rem 0.75rem", border_right="1px solid var(--gray-a5)", min_height="calc(100vh - 3.5rem)",
                     id="sidebar", role="navigation", aria_label=T("ui.backoffice"))


# On a phone (≤ 768 px) the sidebar is a drawer behind the menu button (a checkbox the menu button and
# the scrim are labels of: no event, nothing to keep in step), the header keeps its icons, tables
# scroll inside their own box with cells on one line, grids take the columns that fit, and figures
# never break across lines. The order card's dialog follows the same rules.
PHONE_CSS = """
.metric-value { white-space: nowrap; font-variant-numeric: tabular-nums; }
.bo-menu, .bo-scrim, .bo-drawer-toggle { display: none; }
@media (max-width: 768px) {
  .bo-menu { display: inline-flex; align-items: center; justify-content: center; width: 2.25rem; height: 2.25rem;
             border-radius: var(--radius-2); cursor: pointer; color: var(--gray-12); }
  .bo-menu:hover { background: var(--gray-a3); }
  .bo-header { padding-left: 0.5rem !important; padding-right: 0.5rem !important; gap: var(--space-2) !important; }
  .bo-header .rt-Heading, .bo-header #staff-name, .bo-header #staff-role, .bo-label { display: none; }
  #sidebar { display: none; }
  .bo-drawer-toggle:checked ~ .bo-body #sidebar {
    display: flex; position: fixed; top: 0; left: 0; bottom: 0; z-index: 60; min-height: 100vh; overflow-y: auto;
    background: var(--color-panel-solid); box-shadow: var(--shadow-5); }
  .bo-drawer-toggle:checked ~ .bo-body .bo-scrim { display: block; position: fixed; inset: 0; z-index: 50;
    background: var(--black-a8); }
  .bo-main { padding: 0.75rem !important; min-width: 0; }
  .bo-main .rt-Flex.rt-r-fd-row, #order-card .rt-Flex.rt-r-fd-row { flex-wrap: wrap; }
  .bo-main .rt-Grid, #order-card .rt-Grid {
    grid-template-columns: repeat(auto-fill, minmax(min(100%, 10.5rem), 1fr)) !important; }
  .bo-main .rt-Grid.bo-keep-grid { grid-template-columns: repeat(7, minmax(0, 1fr)) !important; }
  .bo-main .rt-TableRoot, .bo-main form, .bo-main .rt-BaseCard, .bo-main .rt-CalloutRoot, .bo-main .js-plotly-plot {
    max-width: calc(100vw - 1.5rem); }
  #order-card { max-width: calc(100vw - 2rem) !important; }
  #order-card .rt-TableRoot, #order-card form { max-width: 100%; }
  .bo-main .rt-TableCell, .bo-main .rt-TableColumnHeaderCell, .bo-main .rt-TableRowHeaderCell,
  #order-card .rt-TableCell, #order-card .rt-TableColumnHeaderCell { white-space: nowrap; }
  .bo-main .metric-value { font-size: var(--font-size-4); }
  #order-card { padding: var(--space-3); }
}
"""


def header() -> rx.Component:
    menu = rx.el.label(rx.icon("menu", size=20), html_for="bo-drawer", class_name="bo-menu", id="bo-menu",
                       role="button", custom_attrs={"aria-label": T("ui.nav.menu"), "aria-controls": "sidebar"})
    return title_bar(
        "store", "ui.backoffice",
        rx.text(SessionState.staff_name, weight="medium", id="staff-name"),
        rx.badge(T("role." + SessionState.staff_role), color_scheme=styles.ACCENT, id="staff-role"),
        lang_switch(),
        rx.link(rx.button(rx.icon("user", size=16), rx.el.span(T("ui.nav.profile"), class_name="bo-label"),
                          variant="soft", color_scheme="gray", size="2", aria_label=T("ui.nav.profile")),
                href=routes.PROFILE, id="profile-link"),
        rx.button(rx.icon("log-out", size=16), rx.el.span(T("ui.sign_out"), class_name="bo-label"), variant="soft",
                  color_scheme="gray", size="2", on_click=SessionState.sign_out_backoffice, id="sign-out",
                  aria_label=T("ui.sign_out")),
        title_size="4", spacing="3", height="3.5rem", padding_x="1.25rem",
        lead=menu, class_name="bo-header",
    )


def layout(route: str, title_key: str, content: rx.Component) -> rx.Component:
    return guarded(
        route,
        rx.box(
            rx.el.style(PHONE_CSS),
            demo_banner(T("ui.demo_banner")),
            header(),
            rx.el.input(type="checkbox", id="bo-drawer", class_name="bo-drawer-toggle",
                        custom_attrs={"aria-hidden": "true", "tabIndex": "-1"}),
            rx.hstack(
                sidebar(route),
                rx.el.label(html_for="bo-drawer", class_name="bo-scrim", custom_attrs={"aria-hidden": "true"}),
                rx.box(
                    rx.heading(T(title_key), size="6", margin_bottom="1rem", id="page-title"),
                    content,
                    padding="1.5rem",
                    width="100%",
                    max_width=styles.PAGE_MAX_WIDTH,
                    class_name="bo-main",
                ),
                align="start",
                spacing="0",
                class_name="bo-body",
            ),
        ),
    )


def admin_page(route: str, *, perm: str, title_key: str, on_load: Any = None) -> Callable:
    """``@admin_page(routes.STAFF, perm="staff.manage", title_key=..., on_load=StaffState.load)``.

    Registers the page with the guard first in ``on_load``; the view renders inside the shell
    only after the server granted the route.
    """

    def decorator(view: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        events = [SessionState.guard_backoffice(route, perm)]
        if on_load is not None:
            events.append(on_load)

        def render() -> rx.Component:
            return layout(route, title_key, view())

        render.__name__ = view.__name__
        return page(route, title="smo", on_load=events)(render)

    return decorator
