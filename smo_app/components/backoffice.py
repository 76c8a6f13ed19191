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
    "promotions": "percent", "broadcasts": "megaphone", "support": "life-buoy", "bookings": "calendar",
    "analytics": "chart-column", "settings": "settings", "erp": "refresh-cw", "backups": "archive", "audit": "scroll-text", "staff": "id-card",
    "api_tokens": "key-round", "bookings": "calendar-clock",
    "dead_letters": "inbox", "pos_sales": "receipt", "payments": "credit-card",
}


def sidebar(current: str) -> rx.Component:
    links = [_nav_link(routes.ADMIN, "dashboard", "layout-dashboard", current)]
    for area in routes.AREAS:
        links.append(rx.cond(SessionState.allowed.contains(area.route), _nav_link(area.route, area.key, AREA_ICONS[area.key], current)))
    return rx.vstack(*links, spacing="1", width=styles.SIDEBAR_WIDTH, min_width=styles.SIDEBAR_WIDTH,
                     padding="1rem 0.75rem", border_right="1px solid var(--gray-a5)", min_height="calc(100vh - 3.5rem)",
                     id="sidebar", role="navigation", aria_label=T("ui.backoffice"))


def header() -> rx.Component:
    return title_bar(
        "store", "ui.backoffice",
        rx.text(SessionState.staff_name, weight="medium", id="staff-name"),
        rx.badge(T("role." + SessionState.staff_role), color_scheme=styles.ACCENT, id="staff-role"),
        lang_switch(),
        rx.link(rx.button(rx.icon("user", size=16), T("ui.nav.profile"), variant="soft", color_scheme="gray", size="2"),
                href=routes.PROFILE, id="profile-link"),
        rx.button(rx.icon("log-out", size=16), T("ui.sign_out"), variant="soft", color_scheme="gray", size="2",
                  on_click=SessionState.sign_out_backoffice, id="sign-out"),
        title_size="4", spacing="3", height="3.5rem", padding_x="1.25rem",
    )


def layout(route: str, title_key: str, content: rx.Component) -> rx.Component:
    return guarded(
        route,
        rx.box(
            demo_banner(T("ui.demo_banner")),
            header(),
            rx.hstack(
                sidebar(route),
                rx.box(
                    rx.heading(T(title_key), size="6", margin_bottom="1rem", id="page-title"),
                    content,
                    padding="1.5rem",
                    width="100%",
                    max_width=styles.PAGE_MAX_WIDTH,
                ),
                align="start",
                spacing="0",
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
