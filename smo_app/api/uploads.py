"""GET /api/uploads/<name>: product photos stored on local disk (smo_app.services.catalog.images).

Only names the storage itself generates are served, with their image type and ``nosniff``."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from smo_app.services.catalog.images import CONTENT_TYPES, LocalDiskStorage

router = APIRouter()


@router.get("/uploads/{name}")
def uploaded_image(name: str) -> FileResponse:
    path = LocalDiskStorage().path_of(name)
    if path is None:
        raise HTTPException(status_code=404)
    return FileResponse(path, media_type=CONTENT_TYPES[path.suffix.lstrip(".")],
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=86400",
                                 "Content-Security-Policy": "default-src 'none'"})
