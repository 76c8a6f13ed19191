"""View pieces of the audit page."""
from __future__ import annotations

import reflex as rx

from smo_app.components.common import T, date_input, labeled
from smo_app.components.ops import inline_form
from smo_app.state.audit import AuditLine, AuditState



def audit_filters() -> rx.Component:
    return inline_form(
        labeled("ui.audit.actor", rx.input(name="actor", id="audit-actor", width="12rem"), "audit-actor"),
        labeled(
            "ui.audit.action",
            rx.select.root(
                rx.select.trigger(min_width="14rem", id="audit-action", aria_label=T("ui.audit.action")),
                rx.select.content(
                    rx.foreach(AuditState.actions, lambda a: rx.select.item(a["label"], value=a["value"]))
                ),
                value=AuditState.f_action,
                on_change=AuditState.set_f_action,
            ),
            "audit-action",
        ),
        labeled("ui.audit.date_from", date_input(name="date_from", id="audit-from"), "audit-from"),
        labeled("ui.audit.date_to", date_input(name="date_to", id="audit-to"), "audit-to"),
        rx.button(T("ui.audit.apply"), type="submit", id="audit-apply"),
        rx.button(T("ui.audit.reset"), type="button", variant="soft", color_scheme="gray", on_click=AuditState.reset_filters),
        on_submit=AuditState.apply, width="100%",
    )


def _line(line: AuditLine) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(line["when"], size="1", white_space="nowrap")),
        rx.table.cell(line["actor"]),
        rx.table.cell(rx.text(line["action"], title=line["action_code"])),
        rx.table.cell(line["entity"]),
        rx.table.cell(rx.text(line["details"], size="1", color_scheme="gray", white_space="pre-line")),
        class_name="audit-row",
    )


def audit_table() -> rx.Component:
    return rx.vstack(
        rx.cond(AuditState.message != "", rx.callout(AuditState.message, icon="triangle-alert", color_scheme="red", role="alert")),
        rx.table.root(
            rx.table.header(
                rx.table.row(*[rx.table.column_header_cell(T(k)) for k in ("ui.audit.when", "ui.audit.actor", "ui.audit.action", "ui.audit.entity", "ui.audit.details")])
            ),
            rx.table.body(rx.foreach(AuditState.lines, _line)),
            variant="surface",
            width="100%",
            id="audit-table",
        ),
        rx.cond(AuditState.total == 0,
                rx.callout(rx.cond(AuditState.filtered, T("ui.audit.nothing_matches"), T("ui.audit.empty_log")),
                           icon="info", color_scheme="gray", id="audit-empty")),
        width="100%",
    )


def audit_pager() -> rx.Component:
    return rx.hstack(
        rx.text(T("ui.audit.total").replace("{total}", AuditState.total.to_string()), size="2", id="audit-total"),
        rx.spacer(),
        rx.button(T("ui.audit.prev"), size="1", variant="soft", disabled=AuditState.page <= 1, on_click=AuditState.go(-1)),
        rx.text(T("ui.audit.page").replace("{page}", AuditState.page.to_string()).replace("{pages}", AuditState.pages.to_string()), size="2"),
        rx.button(T("ui.audit.next"), size="1", variant="soft", disabled=AuditState.page >= AuditState.pages, on_click=AuditState.go(1)),
        width="100%",
        align="center",
    )
