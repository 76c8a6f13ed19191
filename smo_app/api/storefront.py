"""GET /api/storefront/first-paint: the Mini App's first screen over plain HTTP.

The page asks for it while its HTML is parsed (smo_app/components/storefront.FIRST_PAINT_FETCH), in
parallel with loading the JS and connecting the websocket, and applies it to its state store if
the websocket has not opened the shop yet. Who the customer is comes from the session cookie,
resolved on the server by the calling seam exactly as for a websocket event (``VisitorCalls``:
without a live session only the shop's name comes back). Read-only (the session's last-seen stamp
aside), never cached.

The answer is in the page's state-store terms (Reflex's delta: state name → field + FIELD_MARKER →
value). The API imports no state: the web app hands ``create_api(first_paint=…)`` the module that
knows those terms (``smo_app/state/storefront_first_paint.py``, a ``deps.FirstPaintView``); without
it the answer carries no data and the websocket opens the shop.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from smo_app.api.deps import FirstPaint, FirstPaintView, VisitorCalls
from smo_app.calling import BoundCalls
from smo_app.cookies import CUSTOMER_LANG, customer_language
from smo_app.services.catalog.first_screen import first_screen

router = APIRouter(tags=["storefront"])
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FirstScreen:
    """The first screen for one request: as the page's state fields and as their delta."""

    lang: str
    shop_name: str = ""  # "" when it could not be read
    fields: dict[str, Any] = field(default_factory=dict)
    delta: dict[str, dict[str, Any]] = field(default_factory=dict)


async def read_first_screen(calls: BoundCalls, view: FirstPaintView | None, chosen_lang: str | None) -> FirstScreen:
    """The first screen in the customer's chosen language, else the shop's (as its settings say now)."""
    out = await calls(first_screen, readonly=True)
    if not out.ok:  # the page still opens; its websocket says what is wrong (the seam logged it)
        return FirstScreen(lang=customer_language(chosen_lang))
    lang = customer_language(chosen_lang, out.value.shop_language)
    if view is None:
        return FirstScreen(lang=lang, shop_name=out.value.shop_name)
    fields = view.fields(out.value, lang)
    return FirstScreen(lang=lang, shop_name=out.value.shop_name, fields=fields, delta=view.delta(fields))


@router.get("/storefront/first-paint")
async def first_paint(request: Request, calls: VisitorCalls, view: FirstPaint) -> JSONResponse:
    screen = await read_first_screen(calls, view, request.cookies.get(CUSTOMER_LANG))
    return JSONResponse({"delta": screen.delta}, headers={"Cache-Control": "no-store"})
