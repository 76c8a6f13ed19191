"""View pieces of the API tokens page."""
from __future__ import annotations

import reflex as rx

from smo_app.components.common import T, form_card, labeled
from smo_app.state.api_tokens import ApiTokensState, HookView, TokenView



def _scope_box(scope) -> rx.Component:
    return rx.el.label(
        rx.checkbox(checked=ApiTokensState.chosen_scopes.contains(scope),
                    on_change=lambda on: ApiTokensState.toggle_scope(scope, on), id="scope-" + scope.to(str)),
        rx.code(scope),
        style={"display": "inline-flex", "gap": "0.35rem", "align_items": "center", "margin_right": "1rem"},
    )


def create_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.text(T("ui.api_tokens.intro"), size="2", color_scheme="gray"),
                rx.flex(
                    labeled("ui.api_tokens.f.name", rx.input(name="name", id="token-name", max_length=64), "token-name"),
                    labeled("ui.api_tokens.f.staff", rx.select.root(
                        rx.select.trigger(id="token-staff", min_width="14rem"),
                        rx.select.content(rx.foreach(ApiTokensState.staff_choices,
                                                     lambda c: rx.select.item(c.label, value=c.id))),
                        value=ApiTokensState.form_staff, on_change=ApiTokensState.set_form_staff), "token-staff"),
                    labeled("ui.api_tokens.f.days", rx.input(name="days", id="token-days", default_value="90",
                                                            input_mode="numeric", width="7rem"), "token-days"),
                    spacing="3", wrap="wrap", align="end",
                ),
                rx.text(T("ui.api_tokens.f.scopes"), size="2", weight="medium"),
                rx.flex(rx.foreach(ApiTokensState.scope_names, _scope_box), wrap="wrap", spacing="2"),
                rx.cond(ApiTokensState.form_error != "", rx.callout(ApiTokensState.form_error, icon="triangle-alert",
                                                                    color_scheme="red", role="alert", id="token-form-error")),
                rx.hstack(rx.button(rx.icon("key-round", size=16), T("ui.api_tokens.create"), type="submit", id="token-create"),
                          rx.link(T("ui.api_tokens.docs"), href="/api/docs", is_external=True, size="2"),
                          align="center", spacing="4"),
                spacing="3",
            ),
            on_submit=ApiTokensState.create,
            reset_on_submit=False,
        ),
        width="100%",
    )


def secret_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(ApiTokensState.secret_name),
            rx.text(rx.cond(ApiTokensState.secret_is_hook, T("ui.webhooks.secret_once"), T("ui.api_tokens.secret_once")),
                    size="2"),
            rx.code(ApiTokensState.secret, id="token-secret", style={"word_break": "break-all", "display": "block",
                                                                      "padding": "0.5rem", "margin": "0.5rem 0"}),
            rx.button(T("ui.api_tokens.secret_done"), on_click=ApiTokensState.forget_secret, id="token-secret-done"),
        ),
        open=ApiTokensState.secret != "",
    )


def _state_badge(row: TokenView) -> rx.Component:
    return rx.match(
        row.state,
        ("active", rx.badge(T("ui.api_tokens.state.active"), color_scheme="green")),
        ("revoked", rx.badge(T("ui.api_tokens.state.revoked"), color_scheme="red")),
        rx.badge(T("ui.api_tokens.state.expired"), color_scheme="gray"),
    )


def _row(row: TokenView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row.name, weight="medium"), rx.code(row.prefix, size="1")),
        rx.table.cell(row.staff_name),
        rx.table.cell(rx.text(row.scopes, size="1")),
        rx.table.cell(row.expires),
        rx.table.cell(row.used),
        rx.table.cell(_state_badge(row)),
        rx.table.cell(rx.cond(row.state != "revoked",
                              rx.button(T("ui.api_tokens.revoke"), size="1", variant="soft", color_scheme="red",
                                        on_click=ApiTokensState.revoke(row.id)))),
        id="token-row-" + row.id.to(str),
    )


def token_table() -> rx.Component:
    return rx.cond(
        ApiTokensState.rows.length() > 0,
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(f"ui.api_tokens.col.{c}"))
                                           for c in ("name", "staff", "scopes", "expires", "used", "state")],
                                         rx.table.column_header_cell(""))),
            rx.table.body(rx.foreach(ApiTokensState.rows, _row)),
            width="100%",
        ),
        rx.text(T("ui.api_tokens.empty"), color_scheme="gray"),
    )


def _event_box(event) -> rx.Component:
    return rx.el.label(
        rx.checkbox(checked=ApiTokensState.chosen_events.contains(event),
                    on_change=lambda on: ApiTokensState.toggle_event(event, on), id="event-" + event.to(str)),
        rx.code(event),
        style={"display": "inline-flex", "gap": "0.35rem", "align_items": "center", "margin_right": "1rem"},
    )


def _hook_row(hook: HookView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(hook.url, size="1")),
        rx.table.cell(rx.text(hook.events, size="1")),
        rx.table.cell(rx.button(T("ui.webhooks.remove"), size="1", variant="soft", color_scheme="red",
                                on_click=ApiTokensState.remove_hook(hook.id))),
    )


def webhooks_card() -> rx.Component:
    return form_card(
        "ui.webhooks.title", "ui.webhooks.intro",
        rx.flex(labeled("ui.webhooks.f.url", rx.input(name="url", id="hook-url", width="28rem", max_length=500,
                                                      placeholder="https://"), "hook-url"),
                rx.flex(rx.foreach(ApiTokensState.hook_events, _event_box), wrap="wrap", spacing="2"),
                rx.button(T("ui.webhooks.add"), type="submit", id="hook-add"),
                spacing="3", wrap="wrap", align="end"),
        rx.cond(ApiTokensState.hook_error != "", rx.callout(ApiTokensState.hook_error, icon="triangle-alert",
                                                            color_scheme="red", role="alert", id="hook-error")),
        rx.cond(ApiTokensState.hooks.length() > 0,
                rx.table.root(rx.table.body(rx.foreach(ApiTokensState.hooks, _hook_row)), width="100%"),
                rx.text(T("ui.webhooks.empty"), color_scheme="gray", size="2")),
        on_submit=ApiTokensState.add_hook,
    )
