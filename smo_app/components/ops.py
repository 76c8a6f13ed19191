"""Small view pieces shared by the backoffice operation pages (catalog, warehouse, customers,
promotions, settings): labelled fields, an error callout, an empty state, a prev/next pager, a table, tabs."""
from __future__ import annotations

import reflex as rx

from smo_app.components.common import T


def field(label_key: str, control: rx.Component, **props) -> rx.Component:
    return rx.vstack(rx.text(T(label_key), size="2", weight="medium"), control, spacing="1", **props)


def error_box(message: rx.Var, id: str) -> rx.Component:
    """A red callout; several lines (row-level errors) each on their own line."""
    return rx.cond(
        message != "",
        rx.callout(rx.text(message, white_space="pre-line"), icon="triangle-alert", color_scheme="red", role="alert",
                   id=id, width="100%"),
    )


def empty_state(key: str, id: str) -> rx.Component:
    """What to do next when a list is empty."""
    return rx.callout(T(key), icon="info", color_scheme="gray", id=id, width="100%")


def pager(page: rx.Var, has_prev: rx.Var, has_next: rx.Var, on_prev, on_next, id: str) -> rx.Component:
    return rx.hstack(
        rx.button(rx.icon("chevron-left", size=16), T("ui.audit.prev"), size="1", variant="soft", disabled=~has_prev,
                  on_click=on_prev, id=f"{id}-prev"),
        rx.text(page, size="2", id=f"{id}-page"),
        rx.button(T("ui.audit.next"), rx.icon("chevron-right", size=16), size="1", variant="soft", disabled=~has_next,
                  on_click=on_next, id=f"{id}-next"),
        align="center",
        spacing="3",
    )


def data_table(heads: list[str] | tuple[str, ...], rows: rx.Var, render, id: str) -> rx.Component:
    """A table: a header cell per i18n key in ``heads``, a row per item of ``rows`` drawn by ``render``."""
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(key)) for key in heads])),
        rx.table.body(rx.foreach(rows, render)), variant="surface", width="100%", id=id,
    )


def listing(heads: list[str] | tuple[str, ...], rows: rx.Var, render, id: str, empty: rx.Component) -> rx.Component:
    """:func:`data_table` while ``rows`` has any, else ``empty`` (what to do next)."""
    return rx.cond(rows.length() > 0, data_table(heads, rows, render, id), empty)


def inline_form(*controls: rx.Component, on_submit, **form_props) -> rx.Component:
    """A one-row form above a list: its labelled fields and buttons side by side, wrapping."""
    return rx.form(rx.flex(*controls, spacing="3", wrap="wrap", align="end"), on_submit=on_submit, reset_on_submit=False,
                   **form_props)


def form_dialog(title_key: str, *children: rx.Component, open: rx.Var, on_close, on_submit, submit_key: str,
                submit_id: str, **content_props) -> rx.Component:
    """A dialog holding one form: ``children``, then Close and the submit button. Closing it (the
    button, Esc, a click outside) calls ``on_close``."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(T(title_key)),
            rx.form(
                rx.vstack(
                    *children,
                    rx.hstack(rx.button(T("ui.close"), variant="soft", color_scheme="gray", type="button", on_click=on_close),
                              rx.button(T(submit_key), type="submit", id=submit_id), justify="end", width="100%"),
                    spacing="3", width="100%",
                ),
                on_submit=on_submit, reset_on_submit=False,
            ),
            **content_props,
        ),
        open=open, on_open_change=lambda _o: on_close(),
    )


def tab_panels(id_prefix: str, panels: list[tuple[str, str, rx.Component]], value: rx.Var, on_change) -> rx.Component:
    """Tabs from ``(value, title key, panel)`` triples; a trigger's id is ``{id_prefix}-{value}``."""
    return rx.tabs.root(
        rx.tabs.list(*[rx.tabs.trigger(T(key), value=k, id=f"{id_prefix}-{k}") for k, key, _ in panels]),
        *[rx.tabs.content(panel, value=k, padding_top="1rem") for k, _, panel in panels],
        value=value, on_change=on_change, width="100%",
    )


def card(title_key: str, *children, **props) -> rx.Component:
    return rx.card(rx.vstack(rx.text(T(title_key), weight="bold"), *children, spacing="3", width="100%"), width="100%",
                   **props)

