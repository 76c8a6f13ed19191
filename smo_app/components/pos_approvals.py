"""The approval box of the sale screen: the manager's PIN on a pad (the manager picked from a
list), or a request in Telegram when it can reach someone — with a countdown and a way back."""
from __future__ import annotations

import reflex as rx

from smo_app.components.common import T
from smo_app.components.pos_keypad import keypad, pin_dots
from smo_app.state.pos_approvals import PIN_MAX
from smo_app.state.pos_approvals import PosApprovalState as A
from smo_app.state.pos_sale import PosState


def _approver(a) -> rx.Component:
    return rx.button(rx.avatar(fallback=a["initials"], size="2", radius="full"), a["name"],
                     on_click=A.choose(a["username"], a["name"]), variant="surface", color_scheme="gray", size="3",
                     class_name="approver")


def pin_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("key-round"), T("ui.pos.approve_by_pin"), size="2", id="pos-approve-pin")),
        rx.dialog.content(
            rx.dialog.title(T("ui.pos.who_approves")),
            rx.cond(
                A.chosen == "",
                rx.flex(rx.foreach(A.approvers, _approver), wrap="wrap", gap="2", id="approvers"),
                rx.vstack(
                    rx.hstack(rx.button(rx.icon("arrow-left"), T("ui.pos.go_back"), on_click=A.unchoose, size="2",
                                        variant="ghost", id="approver-back"),
                              rx.text(T("ui.pos.pin_of").replace("{name}", A.chosen_name), weight="bold",
                                      id="approver-chosen"), align="center"),
                    pin_dots(A.pin_len, PIN_MAX),
                    keypad(A.press, A.backspace, A.submit, enter_disabled=A.pin_len < 4, prefix="mgr-pin",
                           enter_label="ui.pos.approve_pin"),
                    align="center", spacing="3", width="100%",
                ),
            ),
            rx.cond(A.message != "", rx.text(A.message, color_scheme="red", id="approval-message", size="2")),
            rx.dialog.close(rx.button(T("ui.close"), variant="soft", color_scheme="gray", size="2",
                                      margin_top="0.75rem")),
            max_width="24rem",
        ),
        open=A.pad_open, on_open_change=A.set_pad_open,
    )


def approval_box() -> rx.Component:
    return rx.cond(
        PosState.needs_approval,
        rx.callout.root(rx.vstack(
            rx.text(T("ui.pos.needs_approval"), weight="bold"),
            rx.cond(PosState.approval_status == "denied", rx.text(T("ui.pos.denied"), color_scheme="red",
                                                                   id="approval-denied")),
            rx.cond(PosState.approval_status == "expired", rx.text(T("ui.pos.expired"), color_scheme="red")),
            rx.cond(
                A.waiting,
                rx.hstack(
                    rx.spinner(size="2"),
                    rx.vstack(rx.text(T("ui.pos.waiting_left").replace("{left}", A.left_text), id="approval-waiting"),
                              rx.text(A.wait_note, size="1", color_scheme="gray", id="approval-note"), spacing="0"),
                    rx.button(T("ui.pos.go_back"), on_click=A.stop_waiting, size="2", variant="soft",
                              id="approval-stop"),
                    pin_dialog(), align="center", spacing="3", wrap="wrap"),
                rx.hstack(
                    pin_dialog(),
                    rx.cond(A.telegram_ok,
                            rx.button(rx.icon("send"), T("ui.pos.ask_telegram"), on_click=A.ask_telegram, size="2",
                                      variant="soft", id="pos-ask-approval"),
                            rx.text(A.telegram_why_not, size="1", color_scheme="gray", id="approval-no-telegram")),
                    align="center", spacing="3", wrap="wrap"),
            ),
            spacing="2", on_mount=A.open_ways,
        ), color_scheme="amber", width="100%", id="pos-approval"),
        rx.cond(PosState.approval_status == "approved",
                rx.badge(rx.icon("check"), T("ui.pos.approved"), color_scheme="green", id="approval-approved")),
    )
