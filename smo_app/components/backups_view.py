"""View of /admin/backups (owner): back up now, the settings, the history with downloads."""
from __future__ import annotations

import reflex as rx

from smo_app.components.common import T
from smo_app.state.backups import BackupsState, OffsiteLine, RunLine


def _field(name: str, label: str, control: rx.Component, hint: rx.Component | None = None) -> rx.Component:
    return rx.vstack(rx.el.label(T(label), html_for=f"backup-{name}", style={"font_weight": "500"}), control,
                     *([hint] if hint is not None else []), spacing="1")


def settings_form() -> rx.Component:
    box = {"max_width": "12rem"}
    return rx.card(rx.form(rx.vstack(
        rx.heading(T("ui.backups.settings"), size="4", as_="h2"),
        rx.hstack(
            _field("daily_at", "ui.backups.daily_at",
                   rx.input(name="daily_at", id="backup-daily_at", default_value=BackupsState.daily_at,
                            key=BackupsState.daily_at, placeholder="03:30", max_length=5, input_mode="numeric",
                            style=box, aria_invalid=BackupsState.form_field == "daily_at"),
                   rx.text(T("ui.backups.daily_hint"), size="1", color_scheme="gray")),
            _field("keep_days", "ui.backups.keep_days",
                   rx.input(name="keep_days", id="backup-keep_days", default_value=BackupsState.keep_days,
                            key=BackupsState.keep_days, input_mode="numeric", max_length=3, style=box,
                            aria_invalid=BackupsState.form_field == "keep_days")),
            wrap="wrap", spacing="4"),
        rx.hstack(rx.checkbox(name="send_admins", id="backup-send_admins", default_checked=BackupsState.send_admins,
                              key=BackupsState.send_admins.to_string()),
                  rx.el.label(T("ui.backups.send_admins"), html_for="backup-send_admins"), align="center"),
        _field("passphrase", "ui.backups.passphrase",
               rx.input(name="passphrase", id="backup-passphrase", type="password", max_length=200,
                        auto_complete="new-password", style={"max_width": "20rem"},
                        aria_invalid=BackupsState.form_field == "passphrase"),
               rx.text(rx.cond(BackupsState.has_passphrase, T("ui.backups.passphrase_set"), T("ui.backups.passphrase_none")),
                       size="1", color_scheme="gray", id="backup-passphrase-state")),
        rx.cond(BackupsState.has_passphrase, rx.hstack(
            rx.checkbox(name="remove_passphrase", id="backup-remove_passphrase"),
            rx.el.label(T("ui.backups.passphrase_remove"), html_for="backup-remove_passphrase"), align="center")),
        rx.cond(BackupsState.form_error != "", rx.callout(BackupsState.form_error, icon="triangle-alert",
                                                          color_scheme="red", role="alert", id="backup-form-error")),
        rx.button(T("ui.backups.save"), type="submit", id="backup-save"),
        spacing="3", align="start"), on_submit=BackupsState.save, reset_on_submit=False), width="100%")


def _offsite_field(line: OffsiteLine) -> rx.Component:
    return rx.vstack(
        rx.el.label(line["label"], html_for="backup-offsite-" + line["name"], style={"font_weight": "500"}),
        rx.input(name=line["name"], id="backup-offsite-" + line["name"], default_value=line["value"],
                 key=line["name"] + line["value"], type=rx.cond(line["secret"], "password", "text"),
                 auto_complete="off", max_length=200, disabled=line["from_env"], style={"width": "22rem", "max_width": "100%"},
                 aria_invalid=BackupsState.offsite_error != "",
                 on_blur=lambda value: BackupsState.remember_offsite(line["name"], value)),
        rx.cond(line["state"] != "", rx.text(line["state"], size="1", color_scheme="gray",
                                             id="backup-offsite-state-" + line["name"])),
        spacing="1")


def offsite_form() -> rx.Component:
    """The off-site bucket: the set-up (the secret key never shown back), save, check connection."""
    return rx.card(rx.form(rx.vstack(
        rx.heading(T("ui.backups.offsite"), size="4", as_="h2"),
        rx.text(T("ui.backups.offsite_hint"), size="2", color_scheme="gray"),
        rx.badge(rx.cond(BackupsState.offsite_on, T("ui.backups.offsite.on"), T("ui.backups.offsite.off")),
                 color_scheme=rx.cond(BackupsState.offsite_on, "green", "gray"), id="backup-offsite-on"),
        rx.flex(rx.foreach(BackupsState.offsite, _offsite_field), wrap="wrap", spacing="4"),
        rx.hstack(rx.checkbox(name="forget_keys", id="backup-offsite-forget"),
                  rx.el.label(T("ui.backups.offsite.forget"), html_for="backup-offsite-forget"), align="center"),
        rx.cond(BackupsState.offsite_error != "", rx.callout(BackupsState.offsite_error, icon="triangle-alert",
                                                             color_scheme="red", role="alert", id="backup-offsite-error")),
        rx.cond(BackupsState.check_result != "",
                rx.callout(BackupsState.check_result, icon=rx.cond(BackupsState.check_ok, "check", "triangle-alert"),
                           color_scheme=rx.cond(BackupsState.check_ok, "green", "red"), id="backup-offsite-check-result")),
        rx.hstack(rx.button(T("ui.backups.offsite.save"), type="submit", id="backup-offsite-save"),
                  rx.button(T("ui.backups.offsite.check"), type="button", variant="soft",
                            on_click=BackupsState.check_offsite, id="backup-offsite-check"), spacing="3"),
        spacing="3", align="start"), on_submit=BackupsState.save_offsite, reset_on_submit=False), width="100%")


def _file_link(label, href, id_) -> rx.Component:
    """A link the browser follows itself (``reload_document``: the client-side router would take the
    click as a page change), saving the answer as a file."""
    return rx.el.a(label, href=href, download="", reload_document=True, id=id_,
                   style={"color": "var(--accent-11)", "white_space": "nowrap"})


def _run(line: RunLine) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(line["when"], white_space="nowrap")), rx.table.cell(line["kind"]),
        rx.table.cell(rx.vstack(
            rx.badge(line["status"], color_scheme=rx.cond(line["failed"], "red", rx.cond(line["ok"], "green", "gray"))),
            rx.cond(line["error"] != "", rx.text(line["error"], size="1", color_scheme="red")), spacing="1")),
        rx.table.cell(rx.text(line["size"], white_space="nowrap")), rx.table.cell(line["duration"]),
        rx.table.cell(line["contents"]), rx.table.cell(line["sent"]),
        rx.table.cell(rx.text(line["offsite"], size="1", color_scheme=rx.cond(line["upload_failed"], "red", "gray"))),
        rx.table.cell(rx.cond(line["downloadable"],
                              _file_link(T("ui.backups.download"), "/api/backups/" + line["id"].to_string(),
                                         "backup-download-" + line["id"].to_string()),
                              rx.cond(line["removed"], rx.text(T("ui.backups.removed"), size="1", color_scheme="gray")))),
        class_name="backup-run")


def history() -> rx.Component:
    heads = ("ui.backups.when", "ui.backups.kind", "ui.backups.result", "ui.backups.size", "ui.backups.duration",
             "ui.backups.contents", "ui.backups.sent", "ui.backups.offsite_col", "")
    return rx.card(rx.vstack(
        rx.hstack(rx.heading(T("ui.backups.history"), size="4", as_="h2"), rx.spacer(),
                  _file_link(T("ui.backups.logs"), "/api/backups/logs", "backup-logs"),
                  width="100%", align="center"),
        rx.cond(BackupsState.runs.length() == 0, rx.text(T("ui.backups.empty"), color_scheme="gray", id="backup-empty"),
                rx.box(rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(k) if k else "") for k in heads])),
                    rx.table.body(rx.foreach(BackupsState.runs, _run)), variant="surface", width="100%"),
                    overflow_x="auto", width="100%")),
        spacing="3", align="start", width="100%"), width="100%", id="backup-history")


def backups_view() -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.text(T("ui.backups.hint"), size="2", color_scheme="gray"), rx.spacer(),
                  rx.button(rx.cond(BackupsState.running, T("ui.backups.running"), T("ui.backups.now")),
                            on_click=BackupsState.back_up_now(BackupsState.attempt), loading=BackupsState.running,
                            disabled=BackupsState.running, id="backup-now"),
                  width="100%", align="center", wrap="wrap", spacing="3"),
        history(), settings_form(), offsite_form(), spacing="4", width="100%")
