"""View of the warehouse page: overview, write-off, supply wizard, inventory count, variant dialog."""
from __future__ import annotations

import reflex as rx

from smo_app.components.common import T
from smo_app.components.ops import card, empty_state, error_box, field, listing, pager, tab_panels
from smo_app.state.warehouse import CountLine, MoveLine, StockLine, SupplyItem, WarehouseState

S = WarehouseState
LEVEL_COLORS = {"red": "red", "yellow": "amber", "green": "green"}


def _level_badge(level) -> rx.Component:
    return rx.match(level, *[(k, rx.badge(T(f"ui.wh.level.{k}"), color_scheme=c)) for k, c in LEVEL_COLORS.items()],
                    rx.badge(level))


def _stock_row(r: StockLine) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r["variant_id"]), rx.table.cell(rx.text(r["name"], weight="medium")),
        rx.table.cell(rx.text(r["qty"], class_name="stock-qty")), rx.table.cell(r["cost"]), rx.table.cell(r["value"]),
        rx.table.cell(r["price"]), rx.table.cell(_level_badge(r["level"])),
        on_click=S.open_variant(r["variant_id"], r["name"], r["qty"]), cursor="pointer",
        class_name="stock-row", custom_attrs={"data-variant": r["variant_id"]},
    )


def _sum(key: str) -> rx.Component:
    return rx.card(rx.text(T(f"ui.wh.sum.{key}"), size="1", color_scheme="gray"),
                   rx.text(S.sums[key], size="4", weight="bold", id=f"wh-sum-{key}"), min_width="10rem")


def _overview() -> rx.Component:
    heads = ("id", "name", "qty", "cost", "value", "price", "level")
    return rx.vstack(
        rx.flex(_sum("rows"), _sum("units"), _sum("value"), _sum("retail"), spacing="3", wrap="wrap"),
        rx.flex(
            rx.form(rx.hstack(rx.input(name="q", placeholder=T("ui.wh.search"), id="wh-search", width="14rem"),
                              rx.button(rx.icon("search", size=14), type="submit", aria_label="search")),
                    on_submit=S.filter, reset_on_submit=False),
            rx.segmented_control.root(
                *[rx.segmented_control.item(T(f"ui.wh.level.{k}"), " (", S.counts[k].to_string(), ")", value=k)
                  for k in ("all", "red", "yellow", "green")],
                value=S.level, on_change=S.set_level, size="1",
            ),
            rx.spacer(),
            rx.button(rx.icon("qr-code", size=14), T("ui.wh.qr"), variant="soft", on_click=S.download_qr, id="wh-qr"),
            rx.button(rx.icon("sheet", size=14), T("ui.wh.valuation"), variant="soft", on_click=S.download_valuation,
                      id="wh-valuation"),
            spacing="2", wrap="wrap", width="100%", align="center",
        ),
        error_box(S.message, "wh-error"),
        listing([f"ui.wh.col.{h}" for h in heads], S.lines, _stock_row, "stock-table", empty_state("ui.wh.empty", "stock-empty")),
        pager(S.page.to_string() + " / " + S.pages.to_string(), S.page > 1, S.page < S.pages, S.go(-1), S.go(1), "wh-pager"),
        spacing="3", width="100%",
    )


def _lines_form(id_prefix: str, on_submit, button_key: str, hint_key: str) -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text(T(hint_key), size="2", color_scheme="gray"),
            rx.text_area(name="lines", placeholder="12 3\n15 1", rows="6", width="100%", id=f"{id_prefix}-lines",
                         font_family="monospace"),
            rx.input(name="comment", placeholder=T("ui.wh.comment"), width="100%", id=f"{id_prefix}-comment"),
            rx.button(T(button_key), type="submit", id=f"{id_prefix}-submit"),
            spacing="2", width="100%",
        ),
        on_submit=on_submit, reset_on_submit=False, width="100%",
    )


def _write_off() -> rx.Component:
    return card("ui.wh.writeoff", _lines_form("writeoff", S.write_off, "ui.wh.writeoff_go", "ui.wh.writeoff_hint"),
                error_box(S.writeoff_error, "writeoff-error"))


def _count_row(c: CountLine) -> rx.Component:
    return rx.table.row(
        rx.table.cell(c["variant_id"]), rx.table.cell(c["name"]), rx.table.cell(c["expected"]), rx.table.cell(c["counted"]),
        rx.table.cell(rx.text(c["difference"], color=rx.cond(c["difference"] < 0, "var(--red-11)",
                                                              rx.cond(c["difference"] > 0, "var(--green-11)", "inherit")),
                              weight="bold")),
    )


def _count() -> rx.Component:
    return card(
        "ui.wh.count",
        _lines_form("count", S.count_preview, "ui.wh.count_preview", "ui.wh.count_hint"),
        error_box(S.count_error, "count-error"),
        rx.cond(
            S.count_lines.length() > 0,
            rx.vstack(
                rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(f"ui.wh.count_col.{h}"))
                                                   for h in ("id", "name", "expected", "counted", "difference")])),
                    rx.table.body(rx.foreach(S.count_lines, _count_row)), size="1", width="100%", id="count-preview",
                ),
                rx.hstack(rx.button(T("ui.wh.count_apply"), on_click=S.count_apply, id="count-apply"),
                          rx.button(T("ui.cancel"), variant="soft", color_scheme="gray", on_click=S.count_cancel)),
                spacing="2", width="100%",
            ),
        ),
    )


def _supply_item(item: SupplyItem) -> rx.Component:
    return rx.table.row(
        rx.table.cell(item["variant_id"]), rx.table.cell(item["name"]), rx.table.cell(item["qty"]),
        rx.table.cell(rx.input(name="price_" + item["variant_id"].to_string(), placeholder="0", width="8rem",
                               id="supply-price-" + item["variant_id"].to_string())),
    )


def _supply() -> rx.Component:
    step1 = rx.vstack(
        rx.text(T("ui.wh.step1"), weight="medium"),
        rx.cond(
            S.suppliers.length() > 0,
            rx.select.root(rx.select.trigger(min_width="16rem", id="supply-supplier"),
                           rx.select.content(rx.foreach(S.suppliers, lambda s: rx.select.item(s["name"], value=s["id"]))),
                           value=S.supplier_id, on_change=S.set_supplier),
            empty_state("ui.wh.no_suppliers", "suppliers-empty"),
        ),
        rx.form(rx.hstack(rx.input(name="name", placeholder=T("ui.wh.supplier_name"), id="supplier-name"),
                          rx.input(name="contact", placeholder=T("ui.wh.supplier_contact"), id="supplier-contact"),
                          rx.button(rx.icon("plus", size=14), T("ui.wh.add_supplier"), type="submit", variant="soft",
                                    id="supplier-add", loading=S.busy), wrap="wrap"),
                on_submit=S.add_supplier, reset_on_submit=False),
        rx.button(T("ui.wh.next"), on_click=S.supply_next, id="supply-next"),
        spacing="3", width="100%",
    )
    step2 = rx.form(
        rx.vstack(
            rx.text(T("ui.wh.step2"), weight="medium"),
            rx.text_area(name="lines", placeholder="12 10\n15 4", rows="6", width="100%", id="supply-lines",
                         font_family="monospace"),
            rx.hstack(rx.button(T("ui.wh.back"), type="button", variant="soft", color_scheme="gray", on_click=S.supply_back),
                      rx.button(T("ui.wh.next"), type="submit", id="supply-items-next")),
            spacing="3", width="100%",
        ),
        on_submit=S.supply_items_next, reset_on_submit=False, width="100%",
    )
    step3 = rx.form(
        rx.vstack(
            rx.text(T("ui.wh.step3"), weight="medium"),
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(f"ui.wh.supply_col.{h}"))
                                               for h in ("id", "name", "qty", "batch_price")])),
                rx.table.body(rx.foreach(S.supply_items, _supply_item)), size="1", width="100%",
            ),
            rx.input(name="comment", placeholder=T("ui.wh.comment"), width="100%"),
            rx.hstack(rx.button(T("ui.wh.back"), type="button", variant="soft", color_scheme="gray", on_click=S.supply_back),
                      rx.button(T("ui.wh.receive"), type="submit", id="supply-receive", loading=S.busy)),
            spacing="3", width="100%",
        ),
        on_submit=S.supply_receive, reset_on_submit=False, width="100%",
    )
    return card(
        "ui.wh.supply",
        rx.text(T("ui.wh.step"), " ", S.supply_step, " / 3", size="1", color_scheme="gray"),
        rx.match(S.supply_step, (1, step1), (2, step2), step3),
        error_box(S.supply_error, "supply-error"),
    )


def _move_row(m: MoveLine) -> rx.Component:
    return rx.table.row(rx.table.cell(m["when"]), rx.table.cell(m["kind"]), rx.table.cell(m["delta"]),
                        rx.table.cell(m["qty_after"]), rx.table.cell(m["cost"]), rx.table.cell(m["actor"]),
                        rx.table.cell(m["comment"]))


def _variant_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(S.variant_name),
            rx.vstack(
                rx.hstack(rx.text(T("ui.wh.on_hand"), ": ", S.variant_qty, weight="bold"),
                          rx.cond(S.variant_waiting > 0, rx.badge(T("ui.wh.waiting"), ": ", S.variant_waiting,
                                                                   color_scheme="blue", id="wh-waiting"))),
                rx.form(
                    rx.hstack(
                        field("ui.wh.new_qty", rx.input(name="qty", default_value=S.variant_qty.to_string(), width="6rem",
                                                        key=S.variant_id.to_string() + S.variant_qty.to_string(), id="wh-new-qty")),
                        field("ui.wh.comment", rx.input(name="comment", width="18rem")),
                        rx.button(T("ui.save"), type="submit", id="wh-qty-save"),
                        align="end", spacing="3", wrap="wrap",
                    ),
                    on_submit=S.save_quantity, reset_on_submit=False,
                ),
                error_box(S.variant_error, "variant-error"),
                rx.text(T("ui.wh.history"), weight="bold"),
                rx.cond(
                    S.moves.length() > 0,
                    rx.table.root(
                        rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(f"ui.wh.move_col.{h}")) for h in
                                                       ("when", "kind", "delta", "after", "cost", "actor", "comment")])),
                        rx.table.body(rx.foreach(S.moves, _move_row)), size="1", width="100%", id="moves-table"),
                    rx.text(T("ui.wh.no_moves"), size="2", color_scheme="gray"),
                ),
                rx.dialog.close(rx.button(T("ui.close"), variant="soft", color_scheme="gray", on_click=S.close_variant)),
                spacing="3", width="100%",
            ),
            max_width="56rem",
        ),
        open=S.variant_open, on_open_change=lambda _o: S.close_variant(),
    )


def warehouse_view() -> rx.Component:
    return rx.vstack(
        tab_panels("wh-tab", [("overview", "ui.wh.tab.overview", _overview()), ("supply", "ui.wh.tab.supply", _supply()),
                              ("writeoff", "ui.wh.tab.writeoff", _write_off()), ("count", "ui.wh.tab.count", _count())],
                   S.tab, S.set_tab),
        _variant_dialog(),
        spacing="3", width="100%",
    )
