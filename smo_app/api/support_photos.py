"""GET /api/support/photos/<message id>: a photo a customer (or an operator) sent in a support
conversation, read back from Telegram, for staff who may answer support (the backoffice's cookie,
``deps.StaffCalls``). Served as the image it is, ``nosniff``, no scripts, kept by the browser only
privately for a while."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from smo_app.api.deps import StaffCalls
from smo_app.api.inline_files import inline_file
from smo_app.services.support.admin import photo

router = APIRouter(tags=["support"])
REFUSALS = {"common.forbidden": 403, "common.not_found": 404, "support.photo_unavailable": 404}


@router.get("/support/photos/{message_id}")
async def support_photo(message_id: int, calls: StaffCalls) -> Response:
    out = await calls(photo, readonly=True, message_id=message_id)
    return inline_file(out, REFUSALS, cache_control="private, max-age=3600")
