"""What every /api/v1 route shares: errors as ``{"code", "message"}`` in the caller's language, the
HTTP status a refusal gets, idempotency keys on POST, opaque page cursors."""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from smo_app.api.deps import ApiRefused, BoundCalls, get_api_lang
from smo_app.calling import Result
from smo_app.i18n import error_text, t
from smo_app.services.core import shop_locale
from smo_app.services.staff import api_tokens

PREFIX = "/api/v1"
# A shop day the API takes: the screens' calendars never reach outside these years either
ShopDay = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]


class ErrorOut(BaseModel):
    code: str
    message: str


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 409, 422, 429, 500)
}


def status_of(out: Result[Any]) -> int:
    if out.signed_out:
        return 401
    if out.unexpected:
        return 500
    return {"common.forbidden": 403, "common.not_found": 404, "api.idempotency_in_progress": 409}.get(out.code, 422)


class Refused(Exception):
    """A service's refusal on its way to the client (raised by :func:`value`)."""

    def __init__(self, out: Result[Any]) -> None:
        self.out = out


def value(out: Result[Any]) -> Any:
    """The service's value, or the refusal answered as JSON with its status."""
    if not out.ok:
        raise Refused(out)
    return out.value


def _lang(request: Request) -> str:
    return get_api_lang(request) or shop_locale.cached().language


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


def refusal_response(out: Result[Any], request: Request | None = None) -> JSONResponse:
    status = status_of(out)
    if status == 401:
        return error_response(401, "api.token_invalid", t("api.token_invalid", _lang(request) if request else None))
    return error_response(status, out.code or "common.unexpected_error", out.error)


def add_error_handlers(app: FastAPI) -> None:
    """JSON errors for /api/v1 (the rest of /api keeps FastAPI's own)."""
    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> JSONResponse:
        return refusal_response(exc.out, request)

    @app.exception_handler(ApiRefused)
    async def _api_refused(request: Request, exc: ApiRefused) -> JSONResponse:
        return error_response(exc.status, exc.code, error_text(exc, _lang(request)))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        if not request.url.path.startswith(PREFIX):
            return await request_validation_exception_handler(request, exc)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        detail = f"{where}: {first.get('msg', '')}".strip(": ")
        return error_response(422, "api.bad_request", t("api.bad_request", _lang(request), detail=detail))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if not request.url.path.startswith(PREFIX):
            return await http_exception_handler(request, exc)
        code = "common.not_found" if exc.status_code == 404 else "api.bad_request"
        return error_response(exc.status_code, code, t(code, _lang(request), detail=str(exc.detail)))


async def idempotent(request: Request, public: BoundCalls, secret: str,
                     run: Callable[[], Awaitable[Result[Any]]], status: int = 200) -> Response:
    """A POST: with an ``Idempotency-Key`` already answered for this token, that first answer again
    (``Idempotent-Replay: true``); one still running, 409; else take the key, run the service and keep
    its answer (success or refusal) under the key — a server error frees the key for a retry."""
    key = request.headers.get("idempotency-key", "").strip()
    route = f"{request.method} {request.url.path}"
    if len(key) > 128:
        return error_response(422, "api.idempotency_key_invalid", t("api.idempotency_key_invalid", _lang(request)))
    if key:
        prior = await public(api_tokens.claim_key, secret=secret, key=key, route=route)
        if not prior.ok:
            return refusal_response(prior, request)
        if prior.value is not None:
            return Response(prior.value.body, status_code=prior.value.status_code, media_type="application/json",
                            headers={"Idempotent-Replay": "true"})
    out = await run()
    response = JSONResponse(jsonable_encoder(out.value), status_code=status) if out.ok else refusal_response(out, request)
    if key:
        keep = response.status_code not in (401, 429, 500)
        await public(api_tokens.remember_answer, secret=secret, key=key,
                     status_code=response.status_code if keep else None, body=response.body.decode() if keep else "")
    return response


def encode_cursor(page: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"p": page}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, request: Request) -> int:
    """The page an opaque cursor names (1 without one); a cursor that is not ours is refused."""
    if not cursor:
        return 1
    try:
        page = int(json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["p"])
    except (ValueError, KeyError, TypeError, binascii.Error, json.JSONDecodeError):
        page = 0
    if page < 1 or page > 1_000_000:
        raise ApiRefused(422, "api.cursor_invalid")
    return page
