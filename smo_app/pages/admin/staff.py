"""/admin/staff — owner and admin manage staff accounts."""
import reflex as rx

from smo_app import routes
from smo_app.components.backoffice import admin_page
from smo_app.components.common import T
from smo_app.components.staff import create_form, pin_dialog, role_dialog, staff_table
from smo_app.state.staff import StaffState


@admin_page(routes.STAFF, perm="staff.manage", title_key="ui.staff.title", on_load=StaffState.load)
def staff() -> rx.Component:
    return rx.vstack(
        create_form(),
        rx.heading(T("ui.staff.title"), size="4", margin_top="1rem"),
        staff_table(),
        pin_dialog(),
        role_dialog(),
        spacing="3",
        width="100%",
    )
