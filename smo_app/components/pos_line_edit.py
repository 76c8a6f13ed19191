"""The sale screen's line editor dialog: quantity, discount in % or in ₽, on a keypad."""
from __future__ import annotations

import reflex as rx

from smo_app.components.common import T
from smo_app.components.pos_keypad import keypad
from smo_app.state.pos_line_edit import PosLineEditState as E


def _entry_label() -> rx.Var:
    return rx.match(E.mode, ("qty", T("ui.pos.qty")), ("pct", T("ui.pos.line_discount")), T("ui.pos.discount_rub"))


def line_editor() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(E.name),
            rx.segmented_control.root(
                rx.segmented_control.item(T("ui.pos.qty"), value="qty"),
                rx.segmented_control.item(T("ui.pos.discount_pct"), value="pct"),
                rx.segmented_control.item(T("ui.pos.discount_rub"), value="rub"),
                value=E.mode, on_change=E.set_mode, size="2", width="100%", id="line-mode"),
            rx.hstack(
                rx.input(value=E.entry, on_change=E.set_entry, on_key_down=E.apply_on_enter, size="3", width="8rem",
                         aria_label=_entry_label(), id="line-entry", input_mode="none", auto_focus=True),
                rx.text(E.error, color_scheme="red", size="2", id="line-entry-error", flex="1"),
                align="center", spacing="3", width="100%", margin_y="0.75rem", min_height="3rem"),
            rx.center(keypad(E.press, E.backspace, E.apply, extra=",", prefix="line-key")),
            rx.flex(rx.dialog.close(rx.button(T("ui.close"), variant="soft", color_scheme="gray", size="2")),
                    justify="end", margin_top="0.75rem"),
            max_width="24rem",
        ),
        open=E.open, on_open_change=E.set_open,
    )
