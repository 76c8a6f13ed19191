"""GET /api/backups/<run id>: a finished backup's archive; GET /api/backups/logs: the logs as a zip.
For the owner signed in to the backoffice (the session cookie, resolved by ``deps.StaffCalls``);
each download is audited by the service."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, Response

from smo_app.api.deps import StaffCalls
from smo_app.services.backup import runs

router = APIRouter(tags=["backups"])
REFUSALS = {"common.forbidden": 403, "common.not_found": 404}
PRIVATE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


def _refuse(out) -> None:
    if out.signed_out:
        raise HTTPException(status_code=401)
    if not out.ok:
        raise HTTPException(status_code=REFUSALS.get(out.code, 500))


@router.get("/backups/logs")
async def logs(calls: StaffCalls) -> Response:
    out = await calls(runs.logs_archive)
    _refuse(out)
    name, content = out.value
    return Response(content=content, media_type="application/zip",
                    headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/backups/{run_id}")
async def archive(run_id: int, calls: StaffCalls) -> FileResponse:
    out = await calls(runs.archive_path, run_id=run_id)
    _refuse(out)
    return FileResponse(out.value, media_type="application/zip", filename=out.value.name, headers=PRIVATE)
