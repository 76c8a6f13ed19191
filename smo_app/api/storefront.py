"""GET /api/storefront/first-paint: the Mini App's first screen over plain HTTP.

The page asks for it while its HTML is parsed (smo_app/components/storefront.FIRST_PAINT_FETCH), in
parallel with loading the JS and connecting the websocket, and applies it to its state store if
the websocket has not opened the shop yet. Who the customer is comes from the session cookie,
resolved on the server exactly as for a websocket event; without a live session only the shop's
name comes back. Read-only (the session's last-seen stamp aside), never cached.
"""
from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["storefront"])
log = logging.getLogger(__name__)


@router.get("/storefront/first-paint")
def first_paint(request: Request) -> JSONResponse:
    # a plain def: FastAPI runs it in its thread pool, off the event loop
    from smo_app.state.customer_session import LANG_COOKIE, TOKEN_COOKIE, shop_language
    from smo_app.state.storefront import first_paint_delta

    token = request.cookies.get(TOKEN_COOKIE) or ""
    try:
        delta = first_paint_delta(token, shop_language(request.cookies.get(LANG_COOKIE)))
    except Exception:  # noqa: BLE001 - the websocket still opens the shop and says what is wrong
        log.exception("storefront first paint over HTTP failed")
        delta = {}
    return JSONResponse({"delta": delta}, headers={"Cache-Control": "no-store"})
