"""GET /api/payment-proofs/<payment id>: the customer's screenshot of a manual transfer, for staff.

Signed-in backoffice staff only (the session cookie the backoffice sets; it is SameSite=Strict, so
only the shop's own pages send it), at least allowed to view orders. Served with the type sniffed
from the bytes at upload, ``nosniff``, no scripts, and never cached by the browser."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from smo_app.db import session_scope
from smo_app.models.staff import Channel
from smo_app.services.core.errors import NotFound, PermissionDenied
from smo_app.services.payments.manual import proof_of
from smo_app.services.staff import auth

router = APIRouter(tags=["payments"])
COOKIE = "smo_bo_session"  # SessionState.bo_token


@router.get("/payment-proofs/{payment_id}")
def payment_proof(payment_id: int, request: Request) -> Response:
    token = request.cookies.get(COOKIE, "")
    with session_scope(readonly=True) as s:
        staff, _stale = auth.peek_channel_session(s, token=token, channel=Channel.backoffice)
    if staff is None:
        raise HTTPException(status_code=401)
    try:
        with session_scope(readonly=True) as s:
            _name, content_type, content = proof_of(s, actor=staff.actor(), payment_id=payment_id)
    except PermissionDenied:
        raise HTTPException(status_code=403) from None
    except NotFound:
        raise HTTPException(status_code=404) from None
    return Response(content=content, media_type=content_type,
                    headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
                             "Content-Security-Policy": "default-src 'none'", "Content-Disposition": "inline"})
