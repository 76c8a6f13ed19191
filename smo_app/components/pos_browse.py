"""The sale screen's left panel below the search: the favourites, or a category's products."""
from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from smo_app.components.common import T
from smo_app.state.pos_browse import PosBrowseState as B
from smo_app.state.pos_sale import PosState


def _chip(label, category_id, **props) -> rx.Component:
    return rx.button(label, on_click=B.choose(category_id), size="2", radius="full",
                     variant=rx.cond(B.category_id == category_id, "solid", "soft"), class_name="pos-category", **props)


def browse_panel(tile: Callable[[rx.Var], rx.Component]) -> rx.Component:
    return rx.vstack(
        rx.flex(_chip(T("ui.pos.favourites_tab"), 0, id="pos-category-fav"),
                rx.foreach(B.categories, lambda c: _chip(c["name"], c["id"].to(int))),
                wrap="wrap", gap="2", id="pos-categories", aria_label=T("ui.pos.categories")),
        rx.cond(B.category_id == 0,
                rx.grid(rx.foreach(PosState.favourites, tile), columns="2", spacing="2", width="100%",
                        id="pos-favourites"),
                rx.grid(rx.foreach(B.items, tile), columns="2", spacing="2", width="100%", id="pos-category-items")),
        width="100%", on_mount=B.load,
    )
