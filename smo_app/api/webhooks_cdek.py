"""``POST /api/webhooks/cdek?token=…``: CDEK's ``ORDER_STATUS`` notices (the URL we subscribed with
carries a token derived from the shop's secret key). Stored raw and applied in one go
(``services/sales/carrier_status``): 200 when applied, repeated or dead-lettered; 400 for a wrong token
or shape; 500 when a later delivery may succeed."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from smo_app.api.deps import PublicCalls
from smo_app.api.webhooks import read_body
from smo_app.services.sales import carrier_status

router = APIRouter(tags=["webhooks"])
MAX_BODY = 64 * 1024


@router.post("/webhooks/cdek")
async def cdek(request: Request, calls: PublicCalls) -> JSONResponse:
    body = await read_body(request, MAX_BODY)
    out = await calls(carrier_status.receive_status, token=request.query_params.get("token", ""), body=body)
    if not out.ok:
        bad = out.code in ("webhook.rejected", "webhook.bad_event")
        return JSONResponse({"ok": False, "error": "rejected" if bad else "failed"}, status_code=400 if bad else 500)
    return JSONResponse({"ok": out.value != "failed", "outcome": out.value}, status_code=500 if out.value == "failed" else 200)
