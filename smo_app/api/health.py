"""GET /api/health: database reachable, migrations current, outbox backlog, bot sidecar running/online
(``services/messaging/health.py``, called through the seam).

The bot being down does not make the web app unhealthy (503 is for the database); ``bot`` says it."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from smo_app.api.deps import PublicCalls
from smo_app.services.messaging.health import HealthOut, health_report

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(calls: PublicCalls) -> JSONResponse:
    out = await calls(health_report, readonly=True)
    report = out.value if out.ok else HealthOut(error="unexpected")
    bot = report.bot
    body: dict = {"status": "ok" if report.healthy else "degraded", "database": report.database,
                  "migrations_current": report.migrations_current, "outbox": report.outbox,
                  "bot": {"running": bot.running, "online": bot.online,
                          "last_beat": bot.last_beat.isoformat() if bot.last_beat else None}}
    if report.error:
        body["error"] = report.error
    return JSONResponse(body, status_code=200 if report.healthy else 503)
