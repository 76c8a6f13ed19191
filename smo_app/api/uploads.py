"""GET /api/uploads/<name>[?w=160|320|640]: product photos in the local image store
(``integrations.images.LocalImageStore``, the default of the image port), and their thumbnails made
with Pillow on first request. Only names the store itself generates are served, with their image
type, ``nosniff`` and a long cache lifetime (names are random: an image never changes)."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from smo_app.services.catalog.images import CONTENT_TYPES, LocalDiskStorage

router = APIRouter()
HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=31536000, immutable",
           "Content-Security-Policy": "default-src 'none'"}


@router.get("/uploads/{name}")
def uploaded_image(name: str, w: int | None = None) -> FileResponse:
    store = LocalDiskStorage()
    if w is not None:
        path = store.thumbnail_path(name, w)
        if path is None:
            raise HTTPException(status_code=404)
        return FileResponse(path, media_type="image/jpeg", headers=HEADERS)
    path = store.path_of(name)
    if path is None:
        raise HTTPException(status_code=404)
    return FileResponse(path, media_type=CONTENT_TYPES[path.suffix.lstrip(".")], headers=HEADERS)
