"""POST /api/storefront/orders/<order id>/payment-proof: the customer's screenshot of a manual transfer;
POST /api/storefront/bookings/<booking id>/deposit-proof: the same for a booking's deposit.

The Mini App sends the file from a plain file input (``window.smoTg.uploadProof`` in the page's
bridge), so its route loads no upload widget. Who the customer is comes from the session cookie,
resolved by the calling seam as for a websocket event (``deps.CustomerCalls``); the request must
also carry ``X-Smo-Request: 1`` (a header a page on another site cannot add without asking first),
on top of the cookie's SameSite=Lax. The service (``payments.manual.submit_proof``) checks the
file — size, an image by its bytes — and the order (``bookings.deposit_proofs.submit_deposit_proof``:
the booking); the answer is ``{"ok": true}`` or
``{"ok": false, "message": <translated>}`` (401 without a live session).
"""
from __future__ import annotations

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import JSONResponse

from smo_app.api.deps import CustomerCalls, CustomerLang
from smo_app.i18n import t
from smo_app.services.bookings.deposit_proofs import submit_deposit_proof
from smo_app.services.payments.manual import MAX_PROOF_BYTES, submit_proof

router = APIRouter(tags=["storefront"])
REQUEST_HEADER = "x-smo-request"


@router.post("/storefront/orders/{order_id}/payment-proof")
async def payment_proof(order_id: int, request: Request, calls: CustomerCalls, lang: CustomerLang,
                        file: UploadFile | None = File(None)) -> JSONResponse:
    return await _accept(request, calls, lang, file, submit_proof, order_id=order_id)


@router.post("/storefront/bookings/{booking_id}/deposit-proof")
async def deposit_proof(booking_id: int, request: Request, calls: CustomerCalls, lang: CustomerLang,
                        file: UploadFile | None = File(None)) -> JSONResponse:
    return await _accept(request, calls, lang, file, submit_deposit_proof, booking_id=booking_id)


async def _accept(request: Request, calls: CustomerCalls, lang: str, file: UploadFile | None, service,
                  **target) -> JSONResponse:
    if request.headers.get(REQUEST_HEADER) != "1":
        return JSONResponse({"ok": False, "message": t("common.unexpected_error", lang)}, status_code=403)
    content = await file.read(MAX_PROOF_BYTES + 1) if file is not None else b""
    filename = (file.filename if file is not None else "") or "proof"
    out = await calls(service, filename=filename, content=content, **target)
    if out.signed_out:
        return JSONResponse({"ok": False, "message": t("ui.sf.session_over", lang)}, status_code=401)
    return JSONResponse({"ok": True} if out.ok else {"ok": False, "message": out.error})
