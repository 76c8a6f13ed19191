"""The /api application: health now; REST v1 and webhooks are added as routers."""
from __future__ import annotations

from fastapi import FastAPI

from smo_app.api import health, payment_proofs, payments, storefront, storefront_page, storefront_proof, uploads, webhooks


def create_api() -> FastAPI:
    api = FastAPI(
        title="smo API",
        version="1",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    api.include_router(health.router, prefix="/api")
    api.include_router(webhooks.router, prefix="/api")
    api.include_router(uploads.router, prefix="/api")
    api.include_router(payments.router, prefix="/api")
    api.include_router(payment_proofs.router, prefix="/api")
    api.include_router(storefront.router, prefix="/api")
    api.include_router(storefront_proof.router, prefix="/api")
    api.include_router(storefront_page.router)  # GET /: before the frontend's static files
    payments.register_payment_sources()
    return api
