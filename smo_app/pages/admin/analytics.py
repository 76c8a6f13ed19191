"""/admin/analytics — summary, revenue by day (chart + table), ABC, manual entries and the files."""
import reflex as rx

from smo_app import routes
from smo_app.components.analytics import abc_section, files_section, manual_section, period_controls, revenue_section, summary_block
from smo_app.components.backoffice import admin_page
from smo_app.state.analytics import AnalyticsState


@admin_page(routes.ANALYTICS, perm="analytics.view", title_key="ui.nav.analytics", on_load=AnalyticsState.load)
def analytics() -> rx.Component:
    return rx.vstack(summary_block(), rx.divider(), period_controls(), revenue_section(), files_section(), abc_section(),
                     manual_section(), spacing="5", width="100%")
