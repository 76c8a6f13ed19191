"""The staff REST API (IN7): ``/api/v1/…`` over the same services and permission checks as the
backoffice screens, called through the seam as a staff API token (``api/deps.py``: ``token_calls``)."""
from __future__ import annotations

from fastapi import APIRouter, FastAPI

from smo_app.api.deps import TokenBuckets
from smo_app.api.v1 import analytics, catalog, common, customers, orders, stock

router = APIRouter(prefix=common.PREFIX)
for module in (orders, stock, catalog, customers, analytics):
    router.include_router(module.router)


def mount(app: FastAPI, *, buckets: TokenBuckets | None = None) -> None:
    """The v1 routes, their JSON errors and the per-token rate limit on ``app``."""
    app.state.api_buckets = buckets or TokenBuckets()
    common.add_error_handlers(app)
    app.include_router(router)
