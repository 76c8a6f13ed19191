"""/admin/dead-letters — failed provider events and calls; owner and admin resolve, managers read."""
import reflex as rx

from smo_app import routes
from smo_app.components.backoffice import admin_page
from smo_app.components.common import T
from smo_app.state.dead_letters import DeadLetterLine, DeadLetterState


def _resolve_cell(line: DeadLetterLine) -> rx.Component:
    dismiss_form = rx.form(
        rx.hstack(
            rx.input(type="hidden", name="id", value=line["id"].to_string()),
            rx.input(name="note", placeholder=T("ui.dead_letters.note"), aria_label=T("ui.dead_letters.note"),
                     size="1", width="14rem", max_length=500),
            rx.button(T("ui.dead_letters.dismiss"), type="submit", size="1", variant="soft"),
            spacing="2",
        ),
        on_submit=DeadLetterState.dismiss,
        reset_on_submit=True,
    )
    return rx.cond(
        line["resolved"],
        rx.vstack(rx.badge(line["resolution"], color_scheme="gray"), rx.text(line["note"], size="1"), spacing="1"),
        rx.cond(DeadLetterState.can_resolve, dismiss_form, rx.badge(T("ui.dead_letters.open"), color_scheme="amber")),
    )


def _line(line: DeadLetterLine) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(line["when"], size="1", white_space="nowrap")),
        rx.table.cell(line["provider"]),
        rx.table.cell(rx.code(line["reference"])),
        rx.table.cell(rx.vstack(rx.text(line["reason"], weight="medium"),
                                rx.text(line["detail"], size="1", color_scheme="gray"), spacing="1")),
        rx.table.cell(_resolve_cell(line)),
        class_name="dead-letter-row",
    )


@admin_page(routes.DEAD_LETTERS, perm="dead_letters.view", title_key="ui.dead_letters.title", on_load=DeadLetterState.load)
def dead_letters() -> rx.Component:
    return rx.vstack(
        rx.text(T("ui.dead_letters.intro"), color_scheme="gray", size="2"),
        rx.hstack(
            rx.switch(checked=DeadLetterState.show_resolved, on_change=DeadLetterState.set_show_resolved,
                      aria_label=T("ui.dead_letters.show_resolved")),
            rx.text(T("ui.dead_letters.show_resolved"), size="2"),
            align="center",
        ),
        rx.cond(DeadLetterState.message != "", rx.callout(DeadLetterState.message, icon="triangle-alert", color_scheme="red", role="alert")),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(k)) for k in (
                "ui.dead_letters.when", "ui.dead_letters.provider", "ui.dead_letters.reference",
                "ui.dead_letters.reason", "ui.dead_letters.resolution")])),
            rx.table.body(rx.foreach(DeadLetterState.lines, _line)),
            variant="surface",
            width="100%",
        ),
        rx.cond(DeadLetterState.lines.length() == 0, rx.text(T("ui.dead_letters.empty"), color_scheme="gray")),
        spacing="3",
        width="100%",
    )
