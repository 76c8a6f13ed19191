"""/admin/audit — the audit log for owner and admin."""
import reflex as rx

from smo_app import routes
from smo_app.components.audit import audit_filters, audit_pager, audit_table
from smo_app.components.backoffice import admin_page
from smo_app.state.audit import AuditState


@admin_page(routes.AUDIT, perm="audit.view", title_key="ui.audit.title", on_load=AuditState.load)
def audit() -> rx.Component:
    return rx.vstack(audit_filters(), audit_table(), audit_pager(), spacing="3", width="100%")
