"""POST /api/storefront/orders/<order id>/payment-proof: the customer's screenshot of a manual transfer.

The Mini App sends the file from a plain file input (``window.smoTg.uploadProof`` in the page's
bridge), so its route loads no upload widget. Who the customer is comes from the session cookie,
resolved as for a websocket event; the request must also carry ``X-Smo-Request: 1`` (a header a
page on another site cannot add without asking first), on top of the cookie's SameSite=Lax.
The service (``payments.manual.submit_proof``) checks the file — size, an image by its bytes — and
the order; the answer is ``{"ok": true}`` or ``{"ok": false, "message": <translated>}``.
"""
from __future__ import annotations

import logging

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from smo_app.i18n import error_text, t

router = APIRouter(tags=["storefront"])
log = logging.getLogger(__name__)
REQUEST_HEADER = "x-smo-request"


@router.post("/storefront/orders/{order_id}/payment-proof")
async def payment_proof(order_id: int, request: Request, file: UploadFile | None = File(None)) -> JSONResponse:
    from smo_app.services.payments.manual import MAX_PROOF_BYTES
    from smo_app.state.customer_session import LANG_COOKIE, TOKEN_COOKIE, shop_language

    lang = shop_language(request.cookies.get(LANG_COOKIE))
    if request.headers.get(REQUEST_HEADER) != "1":
        return JSONResponse({"ok": False, "message": t("common.unexpected_error", lang)}, status_code=403)
    content = await file.read(MAX_PROOF_BYTES + 1) if file is not None else b""
    filename = (file.filename if file is not None else "") or "proof"
    token = request.cookies.get(TOKEN_COOKIE) or ""
    status, body = await run_in_threadpool(_submit, token, order_id, filename, content, lang)
    return JSONResponse(body, status_code=status)


def _submit(token: str, order_id: int, filename: str, content: bytes, lang: str) -> tuple[int, dict]:
    from smo_app.services.core.errors import DomainError
    from smo_app.services.payments.manual import submit_proof
    from smo_app.state.customer_session import NotSignedIn, run_as_customer

    try:
        run_as_customer(token, submit_proof, {"order_id": order_id, "filename": filename, "content": content},
                        readonly=False)
    except NotSignedIn:
        return 401, {"ok": False, "message": t("ui.sf.session_over", lang)}
    except DomainError as exc:
        return 200, {"ok": False, "message": error_text(exc, lang)}
    except Exception:  # noqa: BLE001 - the customer gets a message, the log the trace
        log.exception("payment proof upload failed")
        return 200, {"ok": False, "message": t("common.unexpected_error", lang)}
    return 200, {"ok": True}
