"""POST /api/pos/offline-sales: a sale the tablet made without a connection, sent by the page's
script (``assets/pos_offline.js``) when the connection returns.

The seller behind the POS session cookie (SameSite=Strict: only the shop's own pages send it).
Answers ``200 {"ok": true, "sale_id", "total_minor"}`` (a resend: the first sale), ``409 {"ok":
false, "code", "error"}`` when the sale is refused (the script keeps it and shows the reason), 401
when the seller is signed out (kept, sent after sign-in); the page adds ``X-Smo-Request: 1``."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse

from smo_app.api.deps import PosCalls
from smo_app.api.storefront_proof import REQUEST_HEADER
from smo_app.services.pos.offline import submit_offline_sale

router = APIRouter(tags=["pos"])


@router.post("/pos/offline-sales")
async def offline_sale(request: Request, calls: PosCalls, sale: dict[str, Any] = Body(...)) -> JSONResponse:
    if request.headers.get(REQUEST_HEADER) != "1":  # only the shop's own page (SameSite cookie, and this)
        return JSONResponse({"ok": False, "code": "common.forbidden", "error": ""}, status_code=403)
    out = await calls(submit_offline_sale, sale=sale)
    if out.signed_out:
        return JSONResponse({"ok": False, "code": "auth.signed_out", "error": out.error}, status_code=401)
    if not out.ok:
        return JSONResponse({"ok": False, "code": out.code, "error": out.error},
                            status_code=500 if out.unexpected else 409)
    return JSONResponse({"ok": True, "sale_id": out.value.sale_id, "total_minor": out.value.total_minor})
