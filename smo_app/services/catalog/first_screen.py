"""The Mini App's first screen as one read (ST2): the shop's name and, for a signed-in customer,
the catalog's first page and the number of units in their cart.

The page gets it three ways, all through the calling seam with an optional customer
(``CustomerCaller(token, optional=True)``: a dead cookie is nobody, not an error): over the
websocket when the page opens (``StoreState.open``), ahead of the scripts in the served HTML
(``GET /``) and over plain HTTP from a development frontend (``GET /api/storefront/first-paint``).
"""
from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import Session

from smo_app.services.catalog.browse import StoreCatalogOut, store_catalog
from smo_app.services.core import shop_locale
from smo_app.services.core.actor import Actor
from smo_app.services.core.shop_config import get_config
from smo_app.services.sales.carts import cart_units

FIRST_PAGE = 20  # tiles on the first screen (and per "show more")


class FirstScreenOut(BaseModel):
    shop_name: str
    shop_language: str  # the owner's setting (else SMO_LANGUAGE): a customer who chose none reads this
    customer_name: str | None = None  # None: nobody signed in — the page shows only the shop's name
    catalog: StoreCatalogOut | None = None
    cart_count: int = 0  # units in the customer's cart (the tab's badge)

    @property
    def signed_in(self) -> bool:
        return self.customer_name is not None


def first_screen(session: Session, *, actor: Actor | None, limit: int = FIRST_PAGE) -> FirstScreenOut:
    """Read-only. ``actor``: the customer behind the session cookie, or None (no live session)."""
    shop = {"shop_name": get_config(session).shop_name, "shop_language": shop_locale.shop_language(session)}
    if actor is None or not actor.is_customer:
        return FirstScreenOut(**shop)
    catalog = store_catalog(session, actor=actor, limit=limit)
    return FirstScreenOut(**shop, customer_name=actor.name, catalog=catalog, cart_count=cart_units(session, actor=actor))
