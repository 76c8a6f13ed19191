"""``POST /api/webhooks/moysklad?requestId=…``: MoySklad's notifications, answered within its 1.5 s.

The route stores the notification (de-duplicated on ``requestId``) and queues its processing; the
objects it names are fetched and applied by the sidecar's task worker
(``services/erp/webhooks``). 200 for a stored, repeated or ignored (sync off) notification; 400 for
one that is not MoySklad's shape; 500 only when storing failed (MoySklad sends it again).
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from smo_app.api.deps import PublicCalls
from smo_app.api.webhooks import read_body
from smo_app.services.erp import webhooks as erp_webhooks

router = APIRouter(tags=["webhooks"])
MAX_BODY = 1024 * 1024


@router.post("/webhooks/moysklad")
async def moysklad(request: Request, calls: PublicCalls) -> JSONResponse:
    body = await read_body(request, MAX_BODY)
    out = await calls(erp_webhooks.receive, request_id=request.query_params.get("requestId", ""), body=body,
                      headers=dict(request.headers))
    if not out.ok:
        return JSONResponse({"ok": False, "error": out.error}, status_code=400 if out.code == "webhook.bad_event" else 500)
    return JSONResponse({"ok": True, "outcome": out.value.outcome})
