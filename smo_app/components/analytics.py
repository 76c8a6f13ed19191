"""View pieces of the analytics page and the summary block of /admin."""
from __future__ import annotations

import reflex as rx

from smo_app.components.common import T, date_input
from smo_app.state.analytics import AbcRowView, AnalyticsState, DayRowView, ManualRowView, MetricView, SummaryState

TREND_COLORS = {"up": "green", "down": "red", "flat": "gray"}


def _metric(m: MetricView) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(T(m["label_key"]), size="2", color_scheme="gray"),
            rx.heading(m["value"], size="5", class_name="metric-value"),
            rx.cond(m["change"] != "",
                    rx.text(m["change"], " ", T("ui.analytics.vs_previous"), size="1",
                            color_scheme=rx.match(m["trend"], ("up", "green"), ("down", "red"), "gray"))),
            spacing="1",
        ),
        id="metric-" + m["key"],
    )


def summary_block() -> rx.Component:
    """The express summary; loads itself when shown, renders nothing for roles without analytics."""
    return rx.box(
        rx.cond(
            SummaryState.metrics.length() > 0,
            rx.vstack(
                rx.text(T("ui.analytics.summary"), weight="bold"),
                rx.grid(rx.foreach(SummaryState.metrics, _metric), columns="4", spacing="3", width="100%"),
                spacing="2", width="100%",
            ),
        ),
        on_mount=SummaryState.load_summary,
        id="analytics-summary",
        width="100%",
    )


def _field(label_key: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(T(label_key), size="2", weight="medium"), control, spacing="1")


def period_controls() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.button(T("ui.analytics.this_month"), variant="soft", on_click=AnalyticsState.preset("this_month"), id="preset-this-month"),
            rx.button(T("ui.analytics.last_month"), variant="soft", on_click=AnalyticsState.preset("last_month"), id="preset-last-month"),
            rx.button(T("ui.analytics.last_30"), variant="soft", on_click=AnalyticsState.preset("last_30"), id="preset-last-30"),
            rx.form(
                rx.hstack(
                    date_input(name="month", type="month", id="period-month", aria_label="month"),
                    rx.button(T("ui.analytics.show"), type="submit", variant="outline", id="period-month-apply"),
                    spacing="2",
                ),
                on_submit=AnalyticsState.apply_month, reset_on_submit=False,
            ),
            spacing="2", wrap="wrap", align="center",
        ),
        rx.form(
            rx.flex(
                _field("ui.analytics.from", date_input(name="date_from", id="period-from",
                                                     key=AnalyticsState.date_from, default_value=AnalyticsState.date_from)),
                _field("ui.analytics.to", date_input(name="date_to", id="period-to",
                                                   key=AnalyticsState.date_to, default_value=AnalyticsState.date_to)),
                rx.button(T("ui.analytics.show"), type="submit", id="period-apply"),
                spacing="3", wrap="wrap", align="end",
            ),
            on_submit=AnalyticsState.apply_period, reset_on_submit=False,
        ),
        rx.cond(AnalyticsState.period_error != "",
                rx.callout(AnalyticsState.period_error, color_scheme="red", size="1", id="period-error")),
        spacing="3", width="100%",
    )


def _day_row(d: DayRowView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(d["day"]), rx.table.cell(d["revenue"]), rx.table.cell(d["storefront"]), rx.table.cell(d["pos"]),
        rx.table.cell(d["b2b"]), rx.table.cell(d["bookings"]), rx.table.cell(d["manual"]), rx.table.cell(d["orders"]), rx.table.cell(d["average_check"]),
        class_name="day-row",
    )


def revenue_section() -> rx.Component:
    headers = ["ui.analytics.day", "ui.analytics.revenue", "ui.analytics.channel.storefront", "ui.analytics.channel.pos",
               "ui.analytics.channel.b2b", "ui.analytics.channel.bookings", "ui.analytics.channel.manual", "ui.analytics.orders", "ui.analytics.average_check"]
    return rx.vstack(
        rx.hstack(
            rx.heading(T("ui.analytics.revenue_by_day"), size="4"),
            rx.spacer(),
            rx.text(T("ui.analytics.line"), size="2"),
            rx.segmented_control.root(
                rx.segmented_control.item(T("ui.analytics.line.orders"), value="orders"),
                rx.segmented_control.item(T("ui.analytics.line.average_check"), value="average_check"),
                value=AnalyticsState.line, on_change=AnalyticsState.set_line, size="1", id="chart-line",
            ),
            width="100%", align="center",
        ),
        rx.cond(AnalyticsState.period_label != "", rx.text(AnalyticsState.period_label, " · ", T("ui.analytics.total"), ": ",
                AnalyticsState.total_revenue, " · ", T("ui.analytics.orders"), ": ", AnalyticsState.total_orders,
                id="period-total", weight="medium")),
        rx.box(rx.plotly(data=AnalyticsState.figure, width="100%"), width="100%", id="revenue-chart"),
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(h)) for h in headers])),
                rx.table.body(rx.foreach(AnalyticsState.days, _day_row)),
                size="1", width="100%", id="revenue-table",
            ),
            max_height="24rem", overflow_y="auto", width="100%",
        ),
        spacing="3", width="100%",
    )


def files_section() -> rx.Component:
    return rx.vstack(
        rx.heading(T("ui.analytics.files"), size="4"),
        rx.hstack(
            rx.button(rx.icon("file-spreadsheet", size=16), T("ui.analytics.pnl_file"), on_click=AnalyticsState.download_pnl, id="download-pnl"),
            rx.button(rx.icon("file-spreadsheet", size=16), T("ui.analytics.abc_file"), variant="soft", on_click=AnalyticsState.download_abc, id="download-abc"),
            rx.button(rx.icon("file-spreadsheet", size=16), T("ui.analytics.stock_file"), variant="soft", on_click=AnalyticsState.download_stock, id="download-stock"),
            rx.button(rx.icon("file-spreadsheet", size=16), T("ui.analytics.moves_file"), variant="soft", on_click=AnalyticsState.download_moves, id="download-moves"),
            spacing="2", wrap="wrap",
        ),
        spacing="2", width="100%",
    )


def _abc_row(r: AbcRowView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r["rank"]), rx.table.cell(r["name"]), rx.table.cell(r["qty"]), rx.table.cell(r["revenue"]),
        rx.table.cell(r["share"]),
        rx.table.cell(rx.badge(r["klass"], color_scheme=rx.match(r["klass"], ("A", "green"), ("B", "amber"), "gray"))),
        class_name="abc-row",
    )


def abc_section() -> rx.Component:
    headers = ["ui.analytics.product", "ui.analytics.qty", "ui.analytics.revenue", "ui.analytics.share", "ui.analytics.class"]
    return rx.vstack(
        rx.heading(T("ui.analytics.abc"), size="4"),
        rx.cond(
            AnalyticsState.abc_rows.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(rx.table.row(rx.table.column_header_cell("#"),
                                                 *[rx.table.column_header_cell(T(h)) for h in headers])),
                    rx.table.body(rx.foreach(AnalyticsState.abc_rows, _abc_row)),
                    size="1", width="100%", id="abc-table",
                ),
                max_height="20rem", overflow_y="auto", width="100%",
            ),
            rx.text(T("ui.analytics.abc_empty"), color_scheme="gray"),
        ),
        spacing="2", width="100%",
    )


def _manual_row(r: ManualRowView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r["day"]), rx.table.cell(r["amount"]), rx.table.cell(r["note"]), rx.table.cell(r["who"]),
        rx.table.cell(rx.cond(AnalyticsState.can_manual,
                              rx.button(T("ui.analytics.manual_delete"), size="1", variant="soft", color_scheme="red",
                                        on_click=AnalyticsState.delete_manual(r["id"])))),
        class_name="manual-row",
    )


def manual_section() -> rx.Component:
    return rx.vstack(
        rx.heading(T("ui.analytics.manual"), size="4"),
        rx.cond(
            AnalyticsState.can_manual,
            rx.form(
                rx.flex(
                    _field("ui.analytics.manual_day", date_input(name="day", id="manual-day")),
                    _field("ui.analytics.manual_amount", rx.input(name="amount", id="manual-amount", width="9rem")),
                    _field("ui.analytics.manual_note", rx.input(name="note", id="manual-note", width="20rem")),
                    rx.button(T("ui.analytics.manual_add"), type="submit", id="manual-add"),
                    spacing="3", wrap="wrap", align="end",
                ),
                on_submit=AnalyticsState.add_manual, reset_on_submit=False,
            ),
        ),
        rx.cond(AnalyticsState.manual_error != "",
                rx.callout(AnalyticsState.manual_error, color_scheme="red", size="1", id="manual-error")),
        rx.cond(
            AnalyticsState.manual_rows.length() > 0,
            rx.table.root(
                rx.table.header(rx.table.row(
                    rx.table.column_header_cell(T("ui.analytics.manual_day")),
                    rx.table.column_header_cell(T("ui.analytics.manual_amount")),
                    rx.table.column_header_cell(T("ui.analytics.manual_note")),
                    rx.table.column_header_cell(T("ui.analytics.who")),
                    rx.table.column_header_cell(""),
                )),
                rx.table.body(rx.foreach(AnalyticsState.manual_rows, _manual_row)),
                size="1", width="100%", id="manual-table",
            ),
            rx.text(T("ui.analytics.manual_empty"), color_scheme="gray"),
        ),
        spacing="2", width="100%",
    )
