"""View pieces of the staff page."""
from __future__ import annotations

import reflex as rx

from smo_app.components import styles
from smo_app.components.common import T, labeled
from smo_app.state.staff import StaffRow, StaffState



def _role_select(value, on_change, disabled=False, trigger_id: str | None = None, **props) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(min_width="9rem", aria_label=T("ui.staff.role"), **({"id": trigger_id} if trigger_id else {})),
        rx.select.content(rx.foreach(StaffState.assignable, lambda r: rx.select.item(T("role." + r), value=r))),
        value=value,
        on_change=on_change,
        disabled=disabled,
        **props,
    )


def create_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.text(T("ui.staff.create"), weight="bold"),
                rx.flex(
                    labeled("ui.staff.username", rx.input(name="username", id="staff-username"), "staff-username"),
                    labeled("ui.staff.full_name", rx.input(name="full_name", id="staff-full-name"), "staff-full-name"),
                    labeled("ui.staff.role", _role_select(StaffState.form_role, StaffState.set_form_role, trigger_id="staff-role-new"),
                           "staff-role-new"),
                    labeled("ui.staff.password", rx.input(name="password", type="password", id="staff-password",
                                                         auto_complete="new-password"), "staff-password"),
                    labeled("ui.staff.pin", rx.input(name="pin", input_mode="numeric", id="staff-pin", max_length=6, width="7rem"),
                           "staff-pin"),
                    rx.button(rx.icon("user-plus", size=16), T("ui.staff.add"), type="submit", id="staff-add", align_self="end",
                              loading=StaffState.busy),
                    spacing="3",
                    wrap="wrap",
                    align="end",
                ),
                rx.cond(StaffState.form_error != "", rx.callout(StaffState.form_error, icon="triangle-alert", color_scheme="red", role="alert", id="staff-form-error")),
                spacing="3",
            ),
            on_submit=StaffState.create,
            reset_on_submit=False,
        ),
        width="100%",
    )


def _row(row: StaffRow) -> rx.Component:
    status = rx.cond(
        row["is_active"],
        rx.cond(row["locked"], rx.badge(T("ui.staff.locked"), color_scheme="red"), rx.badge(T("ui.staff.active"), color_scheme="green")),
        rx.badge(T("ui.staff.inactive"), color_scheme="gray"),
    )
    return rx.table.row(
        rx.table.cell(rx.text(row["full_name"], weight="medium"), rx.text(row["username"], size="1", color_scheme="gray")),
        rx.table.cell(
            rx.cond(
                row["manageable"],
                _role_select(row["role"], lambda r: StaffState.change_role(row["id"], r)),
                rx.badge(T("role." + row["role"]), color_scheme=styles.ACCENT),
            )
        ),
        rx.table.cell(status),
        rx.table.cell(rx.cond(row["has_pin"], rx.icon("check", size=16), rx.text("—"))),
        rx.table.cell(
            rx.cond(
                row["manageable"],
                rx.hstack(
                    rx.cond(
                        row["is_active"],
                        rx.button(T("ui.staff.deactivate"), size="1", variant="soft", color_scheme="red", on_click=StaffState.set_active(row["id"], False)),
                        rx.button(T("ui.staff.activate"), size="1", variant="soft", color_scheme="green", on_click=StaffState.set_active(row["id"], True)),
                    ),
                    rx.button(T("ui.staff.reset_pin"), size="1", variant="soft", on_click=StaffState.open_pin_dialog(row["id"], row["full_name"])),
                    rx.cond(
                        row["has_password"],
                        rx.button(T("ui.staff.reset_password"), size="1", variant="soft",
                                  on_click=StaffState.open_password_dialog(row["id"], row["full_name"])),
                    ),
                ),
            )
        ),
        id="staff-row-" + row["username"],
    )


def staff_table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                *[rx.table.column_header_cell(T(k)) for k in ("ui.staff.full_name", "ui.staff.role", "ui.staff.status", "ui.staff.has_pin", "ui.staff.actions")]
            )
        ),
        rx.table.body(rx.foreach(StaffState.rows, _row)),
        variant="surface",
        width="100%",
        id="staff-table",
    )


def pin_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(
                rx.cond(StaffState.secret_kind == "password", T("ui.staff.reset_password_title"), T("ui.staff.reset_pin_title"))
                .to(str).replace("{name}", StaffState.pin_target_name)
            ),
            rx.form(
                rx.vstack(
                    rx.cond(
                        StaffState.secret_kind == "password",
                        rx.input(name="secret", type="password", auto_complete="new-password", id="reset-secret-input", auto_focus=True,
                                 aria_label=T("ui.staff.password")),
                        rx.input(name="secret", input_mode="numeric", max_length=6, id="reset-secret-input", auto_focus=True,
                                 aria_label=T("ui.staff.pin")),
                    ),
                    rx.cond(StaffState.pin_error != "", rx.callout(StaffState.pin_error, icon="triangle-alert", color_scheme="red", role="alert", id="reset-secret-error")),
                    rx.hstack(
                        rx.button(T("ui.cancel"), type="button", variant="soft", color_scheme="gray", on_click=StaffState.close_pin_dialog),
                        rx.button(T("ui.save"), type="submit", id="reset-secret-save"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=StaffState.reset_pin,
            ),
        ),
        open=StaffState.pin_dialog_open,
        on_open_change=lambda _open: StaffState.close_pin_dialog(),
    )


def _secret_input(name: str, label_key: str, input_id: str, **props) -> rx.Component:
    return labeled(label_key, rx.input(name=name, id=input_id, **props), input_id)


def role_dialog() -> rx.Component:
    """A role change that needs more than the role: the person's password (backoffice) or PIN (the till)
    when they have none yet, and the acting owner's password for making or removing an owner."""
    S = StaffState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(
                S.role_mode == "deactivate",
                T("ui.staff.deactivate_owner_title").to(str).replace("{name}", S.role_target_name),
                T("ui.staff.role_title").to(str).replace("{name}", S.role_target_name),
            )),
            rx.cond(S.role_mode == "role",
                    rx.text(T("ui.staff.role_new"), ": ", T("role." + S.role_new), weight="medium", id="role-dialog-new")),
            rx.cond(S.role_asks.contains("confirm"), rx.callout(
                rx.cond(S.role_mode == "deactivate", T("ui.staff.owner_remove_warning"), T("ui.staff.owner_warning")),
                icon="shield-alert", color_scheme="amber")),
            rx.form(
                rx.vstack(
                    rx.cond(S.role_asks.contains("password"), _secret_input(
                        "password", "ui.staff.new_password_for_role", "role-password", type="password",
                        auto_complete="new-password")),
                    rx.cond(S.role_asks.contains("pin"), _secret_input(
                        "pin", "ui.staff.new_pin_for_role", "role-pin", input_mode="numeric", max_length=6, width="7rem")),
                    rx.cond(S.role_asks.contains("confirm"), _secret_input(
                        "confirm_password", "ui.staff.your_password", "role-confirm-password", type="password",
                        auto_complete="current-password")),
                    rx.cond(S.role_error != "", rx.callout(S.role_error, icon="triangle-alert", color_scheme="red",
                                                           role="alert", id="role-dialog-error")),
                    rx.hstack(
                        rx.button(T("ui.cancel"), type="button", variant="soft", color_scheme="gray",
                                  on_click=S.close_role_dialog),
                        rx.button(rx.cond(S.role_mode == "deactivate", T("ui.staff.deactivate"), T("ui.save")),
                                  type="submit", id="role-dialog-save", loading=S.busy,
                                  color_scheme=rx.cond(S.role_mode == "deactivate", "red", styles.ACCENT)),
                        justify="end", width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=S.confirm_role,
                reset_on_submit=True,
            ),
            id="role-dialog",
        ),
        open=S.role_dialog_open,
        on_open_change=lambda _open: S.close_role_dialog(),
    )
