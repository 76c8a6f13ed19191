"""View of /admin/erp: the MoySklad connection form (owner) and the sync panel."""
from __future__ import annotations

import reflex as rx

from smo_app.components.common import T
from smo_app.state.erp import ConflictLine, ErpState, RunLine


def _select(name: str, label: str, options, value, key: str = "id") -> rx.Component:
    return rx.vstack(
        rx.text(T(label), size="2", weight="medium"),
        rx.el.select(
            rx.el.option(T("ui.erp.choose"), value=""),
            rx.foreach(options, lambda o: rx.el.option(o["name"], value=o[key])),
            name=name, value=value, on_change=lambda v: ErpState.set_field(name, v), aria_label=T(label),
            id=f"erp-{name}", style={"padding": "0.4rem", "min_width": "16rem", "border": "1px solid var(--gray-7)",
                                     "border_radius": "6px"},
        ),
        spacing="1",
    )


def _check(name: str, label: str, checked) -> rx.Component:
    return rx.hstack(rx.checkbox(name=name, default_checked=checked, id=f"erp-{name}"),
                     rx.el.label(T(label), html_for=f"erp-{name}"), align="center")


def connection_form() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading(T("ui.erp.connection"), size="4", as_="h2"),
        rx.text(T("ui.erp.connection_hint"), size="2", color_scheme="gray"),
        rx.form(rx.vstack(
            rx.vstack(rx.el.label(T("ui.erp.token"), html_for="erp-token", style={"font_weight": "500"}),
                      rx.input(name="token", id="erp-token", type="password", width="100%", max_width="24rem", max_length=500,
                               placeholder=rx.cond(ErpState.token_masked != "", ErpState.token_masked,
                                                   T("ui.erp.token_placeholder"))),
                      rx.cond(ErpState.token_from_env, rx.text(T("ui.erp.token_env"), size="1", color_scheme="gray")),
                      spacing="1"),
            rx.hstack(rx.button(T("ui.erp.check"), type="submit", variant="soft", id="erp-check"), spacing="2"),
            spacing="2", align="start"),
            on_submit=ErpState.check, reset_on_submit=False),
        rx.form(rx.vstack(
            rx.el.input(type="hidden", name="token", id="erp-token-save"),
            rx.hstack(_select("store_id", "ui.erp.store", ErpState.stores, ErpState.store_id),
                      _select("price_type", "ui.erp.price_type", ErpState.price_types, ErpState.price_type),
                      wrap="wrap", spacing="4"),
            rx.hstack(_select("organization_id", "ui.erp.organization", ErpState.organizations, ErpState.organization_id),
                      _select("agent_id", "ui.erp.agent", ErpState.agents, ErpState.agent_id),
                      wrap="wrap", spacing="4"),
            rx.vstack(
                rx.text(T("ui.erp.token_kind"), size="2", weight="medium"),
                rx.el.select(rx.el.option(T("ui.erp.token_kind.user"), value="user"),
                             rx.el.option(T("ui.erp.token_kind.solution"), value="solution"),
                             name="token_kind", value=ErpState.token_kind,
                             on_change=lambda v: ErpState.set_field("token_kind", v), id="erp-token-kind",
                             aria_label=T("ui.erp.token_kind"),
                             style={"padding": "0.4rem", "border": "1px solid var(--gray-7)", "border_radius": "6px",
                                    "max_width": "100%"}),
                spacing="1"),
            rx.text(T("ui.erp.ownership"), size="2", color_scheme="gray"),
            _check("shop_owns_descriptions", "ui.erp.shop_owns_descriptions", ErpState.shop_owns_descriptions),
            _check("new_items_hidden", "ui.erp.new_items_hidden", ErpState.new_items_hidden),
            _check("push_orders", "ui.erp.push_orders", ErpState.push_orders),
            _check("enabled", "ui.erp.enabled", ErpState.enabled),
            rx.text(T("ui.erp.webhook_hint"), size="1", color_scheme="gray"),
            rx.code(ErpState.webhook_url, id="erp-webhook-url", style={"word_break": "break-all"}),
            rx.cond(ErpState.form_error != "", rx.callout(ErpState.form_error, icon="triangle-alert", color_scheme="red",
                                                          role="alert", id="erp-form-error")),
            rx.button(T("ui.save"), type="submit", id="erp-save"),
            spacing="3", align="start"),
            on_submit=ErpState.save, reset_on_submit=False,
            # the token typed above goes with the settings
            on_mount=rx.call_script("""
              const f = document.getElementById('erp-token-save'); const t = document.getElementById('erp-token');
              if (f && t) { t.addEventListener('input', () => { f.value = t.value; }); }""")),
        spacing="3", align="start", width="100%"),
        width="100%", id="erp-connection")


def _run(line: RunLine) -> rx.Component:
    return rx.table.row(rx.table.cell(line["when"]), rx.table.cell(line["kind"]), rx.table.cell(line["status"]),
                        rx.table.cell(line["changed"]), rx.table.cell(line["requests"]),
                        rx.table.cell(line["throttled"]), rx.table.cell(rx.text(line["error"], size="1")),
                        class_name="erp-run")


def _conflict(line: ConflictLine) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(line["when"], size="1", white_space="nowrap")),
        rx.table.cell(rx.vstack(rx.text(line["reason"], weight="medium"), rx.text(line["detail"], size="1"), spacing="1")),
        rx.table.cell(rx.form(rx.hstack(
            rx.input(type="hidden", name="id", value=line["id"].to_string()),
            rx.input(name="note", placeholder=T("ui.dead_letters.note"), aria_label=T("ui.dead_letters.note"), size="1",
                     width="14rem", max_length=500),
            rx.button(T("ui.erp.resolved"), type="submit", size="1", variant="soft"), spacing="2"),
            on_submit=ErpState.dismiss, reset_on_submit=True)),
        class_name="erp-conflict")


def status_panel() -> rx.Component:
    heads = ("ui.erp.when", "ui.erp.kind", "ui.erp.status", "ui.erp.changes", "ui.erp.requests", "ui.erp.throttled",
             "ui.erp.error")
    return rx.card(rx.vstack(
        rx.hstack(rx.heading(T("ui.erp.panel"), size="4", as_="h2"), rx.spacer(),
                  rx.button(rx.cond(ErpState.syncing, T("ui.erp.syncing"), T("ui.erp.sync_now")),
                            on_click=ErpState.sync_now, loading=ErpState.syncing, disabled=ErpState.syncing,
                            id="erp-sync-now"), width="100%", align="center", wrap="wrap"),
        rx.grid(
            rx.text(T("ui.erp.last_full"), weight="medium"), rx.text(ErpState.last_full, id="erp-last-full"),
            rx.text(T("ui.erp.last_incremental"), weight="medium"), rx.text(ErpState.last_incremental,
                                                                            id="erp-last-incremental"),
            rx.text(T("ui.erp.linked"), weight="medium"), rx.text(ErpState.linked_items, id="erp-linked"),
            rx.text(T("ui.erp.pushed"), weight="medium"), rx.text(ErpState.pushed_orders, id="erp-pushed"),
            columns="2", spacing="2", width="100%"),
        rx.cond(ErpState.last_error != "", rx.callout(ErpState.last_error, icon="triangle-alert", color_scheme="red",
                                                      role="alert", id="erp-last-error")),
        rx.heading(T("ui.erp.conflicts"), size="3", as_="h3"),
        rx.cond(ErpState.conflicts.length() == 0, rx.text(T("ui.erp.no_conflicts"), color_scheme="gray", size="2"),
                rx.table.root(rx.table.body(rx.foreach(ErpState.conflicts, _conflict)), variant="surface", width="100%")),
        rx.heading(T("ui.erp.runs"), size="3", as_="h3"),
        rx.box(rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(k)) for k in heads])),
            rx.table.body(rx.foreach(ErpState.runs, _run)), variant="surface", width="100%"),
            overflow_x="auto", width="100%"),
        spacing="3", align="start", width="100%"),
        width="100%", id="erp-panel")


def erp_view() -> rx.Component:
    return rx.vstack(status_panel(), rx.cond(ErpState.can_configure, connection_form()), spacing="4", width="100%")
