"""A file staff look at in the page (a transfer's screenshot, a support photo), answered the same
way: 401 signed out, a refusal's status by its code, else the bytes inline with ``nosniff`` and no
scripts."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import HTTPException
from fastapi.responses import Response

from smo_app.calling import Result


def inline_file(out: Result, refusals: dict[str, int], *, cache_control: str,
                file_of: Callable[[Any], tuple[str, bytes]] = lambda value: value) -> Response:
    """``file_of(out.value)`` is ``(content type, bytes)``."""
    if out.signed_out:
        raise HTTPException(status_code=401)
    if not out.ok:
        raise HTTPException(status_code=refusals.get(out.code, 500))
    content_type, content = file_of(out.value)
    return Response(content=content, media_type=content_type,
                    headers={"X-Content-Type-Options": "nosniff", "Cache-Control": cache_control,
                             "Content-Security-Policy": "default-src 'none'", "Content-Disposition": "inline"})
