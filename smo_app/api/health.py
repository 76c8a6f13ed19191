"""GET /api/health: database reachable, migrations current, outbox backlog, bot sidecar running/online.

The bot being down does not make the web app unhealthy (503 is for the database); ``bot`` says it."""
from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from smo_app import migrations
from smo_app.db import get_engine, session_scope
from smo_app.services.messaging.outbox import backlog
from smo_app.services.messaging.presence import sidecar_status

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/health")
def health() -> JSONResponse:
    body: dict = {"status": "ok", "database": False, "migrations_current": False, "outbox": {},
                  "bot": {"running": False, "online": False, "last_beat": None}}
    try:
        engine = get_engine()
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        body["database"] = True
        body["migrations_current"] = migrations.is_current(engine)
        with session_scope() as session:
            body["outbox"] = backlog(session)
            bot = sidecar_status(session)
            body["bot"] = {"running": bot.running, "online": bot.online,
                           "last_beat": bot.last_beat.isoformat() if bot.last_beat else None}
    except Exception as exc:  # noqa: BLE001 - health reports, never raises
        log.exception("health check failed")
        body["error"] = type(exc).__name__
    healthy = body["database"] and body["migrations_current"]
    body["status"] = "ok" if healthy else "degraded"
    return JSONResponse(body, status_code=200 if healthy else 503)
