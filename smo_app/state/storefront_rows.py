"""The Mini App's services' answers as the rows and field values its states show (money formatted
in the customer's language). Plain functions, no Reflex: the storefront states use them, and the
first screen the API sends ahead of the websocket is made of the same fields
(:mod:`smo_app.state.storefront_first_paint`)."""
from __future__ import annotations

from typing import Any

from smo_app.money import format_money
from smo_app.services.catalog import browse
from smo_app.services.catalog.first_screen import FIRST_PAGE, FirstScreenOut
from smo_app.services.catalog.products import CategoryOut


def money(minor: int | None, lang: str) -> str:
    return "" if minor is None else format_money(minor, lang=lang)


def tile_row(t: browse.StoreProductOut, lang: str) -> dict[str, str]:
    return {
        "id": str(t.id), "name": t.name, "photo": t.photo or "", "price": money(t.price_minor, lang),
        "old_price": money(t.old_price_minor, lang), "discount": f"−{t.discount_pct}%" if t.discount_pct else "",
        "stock": t.stock, "only_left": str(t.only_left or ""), "suspended": "1" if t.suspended else "",
    }


def _flatten(categories: list[CategoryOut], depth: int = 0) -> list[dict[str, str]]:
    out = []
    for c in categories:
        out.append({"id": str(c.id), "name": c.name, "depth": str(depth)})
        out.extend(_flatten(c.children, depth + 1))
    return out


def catalog_fields(out: browse.StoreCatalogOut, lang: str) -> dict[str, Any]:
    """A catalog page as :class:`~smo_app.state.storefront.StoreState` field values."""
    return {"categories": _flatten(out.categories), "tiles": [tile_row(t, lang) for t in out.products],
            "has_more": out.has_more, "vacation": out.vacation, "vacation_message": out.vacation_message,
            "preorder": out.preorder, "wholesale": out.wholesale}


def first_paint_fields(screen: FirstScreenOut, lang: str) -> dict[str, Any]:
    """The first screen as field values of ``StoreState`` (and its parent): the shop's name and,
    for a signed-in customer, the customer, the catalog's first page and the cart count."""
    fields: dict[str, Any] = {"shop_name": screen.shop_name}
    if not screen.signed_in or screen.catalog is None:
        return fields
    fields.update(signed_in=True, customer_name=screen.customer_name, phase="ready", screen="catalog", history=[],
                  category_id=0, query="", shown=FIRST_PAGE, cart_count=screen.cart_count,
                  **catalog_fields(screen.catalog, lang))
    return fields
