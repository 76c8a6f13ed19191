"""A touch keypad for the POS dialogs (a manager's PIN, a quantity, a discount): big keys, no
typing needed; the caller says what a digit, the back key and the enter key do."""
from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from smo_app.components.common import T

KEY = "4.25rem"
ROWS = ("123", "456", "789")


def keypad(on_digit: Callable[[str], rx.event.EventSpec], on_back, on_enter, *, enter_disabled=False,
           extra: str = "", prefix: str = "key", enter_label: str = "ui.pos.apply_entry") -> rx.Component:
    """Digits 0–9 (and ``extra``, e.g. "," for amounts), ⌫ and ✓; ids ``<prefix>-<digit>``."""
    def key(label, on_click, **props):
        props.setdefault("variant", "surface")
        return rx.button(label, on_click=on_click, width=KEY, height="3.5rem", font_size="1.5rem", size="3", **props)

    rows = [rx.hstack(*[key(d, on_digit(d), id=f"{prefix}-{d}") for d in row], spacing="2") for row in ROWS]
    last = [key(rx.icon("delete", size=22), on_back, color_scheme="gray", id=f"{prefix}-back",
                aria_label=T("ui.pos.backspace")),
            key("0", on_digit("0"), id=f"{prefix}-0")]
    if extra:
        last.append(key(extra, on_digit(extra), id=f"{prefix}-sep"))
    last.append(key(rx.icon("check", size=22), on_enter, variant="solid", id=f"{prefix}-enter",
                    aria_label=T(enter_label), disabled=enter_disabled))
    return rx.vstack(*rows, rx.hstack(*last, spacing="2"), spacing="2", align="center")


def pin_dots(length: rx.Var, max_len: int = 6) -> rx.Component:
    return rx.hstack(*[rx.box(width="0.9rem", height="0.9rem", border_radius="50%",
                              background=rx.cond(length > i, "var(--accent-9)", "var(--gray-a5)"))
                       for i in range(max_len)], spacing="3", aria_hidden="true")
