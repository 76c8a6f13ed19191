"""The /api application: health, webhooks, the Mini App's first screen and uploads; REST v1 joins
as routers. Routes get who calls through ``smo_app/api/deps.py`` and never import a Reflex state."""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool

from smo_app.api import (
    backups, health, payment_proofs, payments, pos, storefront, storefront_page, storefront_proof, support_photos, uploads,
    webhooks, webhooks_cdek, webhooks_moysklad,
)
from smo_app.api import v1
from smo_app.api.deps import FirstPaintView, TokenBuckets, get_seam, route


API_DESCRIPTION = (
    "The staff REST API lives under `/api/v1`. Send a token from the backoffice (API tokens) as "
    "`Authorization: Bearer smo_…`; each route needs one scope (`x:write` includes `x:read`), and the token "
    "acts as its staff member, never beyond their role. Money is in kopecks. Errors are "
    '`{"code", "message"}` in `?lang=` or `Accept-Language` (ru, en). A POST with an `Idempotency-Key` '
    "header answers a repeat with the first answer. Calls are rate-limited per token (HTTP 429)."
)


def create_api(*, first_paint: FirstPaintView | None = None, api_buckets: TokenBuckets | None = None) -> FastAPI:
    """The API app. ``first_paint``: how the page's state store takes the Mini App's first screen —
    the web app passes ``smo_app.state.storefront_first_paint`` (smo_app/smo_app.py); without it
    ``GET /`` serves the built page as built and the first-paint route answers no data.
    ``api_buckets``: the staff API's per-token rate limit (default 120 calls a minute, bursts of 60)."""
    api = FastAPIOffline(  # Swagger UI and Redoc from the package's own assets: the docs work offline
        title="smo API",
        version="1",
        description=API_DESCRIPTION,
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url="/api/redoc",
        static_url="/api/docs-assets",
        swagger_ui_oauth2_redirect_url="/api/docs/oauth2-redirect",
    )
    api.state.first_paint = first_paint
    api.add_exception_handler(webhooks.BodyTooLarge, webhooks.too_large)
    api.add_exception_handler(Exception, unexpected_error)
    api.include_router(health.router, prefix="/api")
    api.include_router(webhooks_moysklad.router, prefix="/api")  # before the generic /webhooks/{provider}
    api.include_router(webhooks_cdek.router, prefix="/api")
    api.include_router(webhooks.router, prefix="/api")
    api.include_router(uploads.router, prefix="/api")
    api.include_router(payments.router, prefix="/api")
    api.include_router(payment_proofs.router, prefix="/api")
    api.include_router(support_photos.router, prefix="/api")
    api.include_router(backups.router, prefix="/api")
    api.include_router(pos.router, prefix="/api")
    api.include_router(storefront.router, prefix="/api")
    api.include_router(storefront_proof.router, prefix="/api")
    v1.mount(api, buckets=api_buckets)  # the staff REST API (/api/v1)
    api.include_router(storefront_page.router)  # GET /: before the frontend's static files
    payments.register_payment_sources()
    return api


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """A route that broke outside a service call (the seam reports those itself): logged and reported
    to the owner with the route, once per place an hour; the caller gets a plain 500 without details."""
    seam = request.app.dependency_overrides.get(get_seam, get_seam)()
    await run_in_threadpool(seam.report, exc, context=route(request))
    return JSONResponse({"ok": False, "error": "internal error"}, status_code=500)
