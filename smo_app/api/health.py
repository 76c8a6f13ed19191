"""GET /api/health: database reachable, migrations current, outbox backlog."""
from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from smo_app import migrations
from smo_app.db import get_engine, session_scope
from smo_app.services.messaging.outbox import backlog

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/health")
def health() -> JSONResponse:
    body: dict = {"status": "ok", "database": False, "migrations_current": False, "outbox": {}}
    try:
        engine = get_engine()
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        body["database"] = True
        body["migrations_current"] = migrations.is_current(engine)
        with session_scope() as session:
            body["outbox"] = backlog(session)
    except Exception as exc:  # noqa: BLE001 - health reports, never raises
        log.exception("health check failed")
        body["error"] = type(exc).__name__
    healthy = body["database"] and body["migrations_current"]
    body["status"] = "ok" if healthy else "degraded"
    return JSONResponse(body, status_code=200 if healthy else 503)
