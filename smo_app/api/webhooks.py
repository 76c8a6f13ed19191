"""POST /api/webhooks/{provider}: verify, store raw once, apply once.

A provider package registers a :class:`WebhookSource` (at start-up, e.g. in its service package's
wiring): ``verify(body, headers) -> event_id`` checks the signature/secret/freshness and returns
the provider's event id (raising :class:`WebhookRejected` otherwise); ``handler(session, event)``
applies it through services without committing. The route answers:

* 404 for a provider nobody registered; 400 when verification refuses (nothing stored);
* 429 when one sender address goes over the route's rate (``SMO_WEBHOOK_RATE_PER_SECOND``);
* 200 ``disputed`` when the provider does not confirm the notice (a dead letter, nothing stored,
  so the genuine event keeps its inbox slot); 503 when the provider could not be asked;
* 200 once the event is applied, was applied before (a replay), or is dead-lettered;
* 500 when the handler failed in a way a later try may fix, so the provider delivers again and the
  stored event is processed again on that delivery.

Storing and applying is ``services.integrations.webhooks.accept``, called through the seam
(``deps.PublicCalls``); the route only verifies and answers.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from smo_app.api.deps import PublicCalls
from smo_app.api.rate_limit import RateLimiter
from smo_app.services.integrations import webhooks
from smo_app.settings import get_settings

router = APIRouter(tags=["webhooks"])
log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024


class WebhookRejected(Exception):
    """Verification refused the request (bad signature, stale timestamp, unknown secret)."""


class WebhookDisputed(WebhookRejected):
    """Well-formed, but the provider does not confirm it: the source's ``disputed`` records it (a
    dead letter) and the request is answered 200 without taking an inbox slot."""

    def __init__(self, text: str, *, record: Callable[..., object], **kwargs) -> None:
        super().__init__(text)
        self.record, self.kwargs = record, kwargs


class WebhookUnavailable(Exception):
    """Verification needs the provider, which did not answer: 503, the provider delivers again."""


@dataclass(frozen=True)
class WebhookSource:
    provider: str
    verify: Callable[[bytes, Mapping[str, str]], str]
    handler: webhooks.Handler
    # True when ``verify`` proves the event itself (a signature over the body) and the handler
    # needs no outside call: the raw event is stored and applied in one transaction
    # (``webhooks.receive_and_apply``). Otherwise it is stored and committed first, then applied.
    inline: bool = False


SOURCES: dict[str, WebhookSource] = {}
LIMITER = RateLimiter()  # per (provider, sender address), in this process


def register_source(source: WebhookSource) -> None:
    SOURCES[source.provider] = source


def unregister_source(provider: str) -> None:
    SOURCES.pop(provider, None)


class BodyTooLarge(Exception):
    """A webhook's body is over its route's limit; the API answers 413 (:func:`too_large`)."""


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body; :class:`BodyTooLarge` when it is over ``limit`` bytes (every webhook route)."""
    body = await request.body()
    if len(body) > limit:
        raise BodyTooLarge(f"{len(body)} bytes over {limit}")
    return body


def too_large(_request: Request, _exc: Exception) -> JSONResponse:
    """The answer to :class:`BodyTooLarge` (installed by ``api.app.create_api``)."""
    return JSONResponse({"ok": False, "error": "too large"}, status_code=413)


@router.post("/webhooks/{provider}")
async def inbound(provider: str, request: Request, calls: PublicCalls) -> JSONResponse:
    source = SOURCES.get(provider)
    if source is None:
        return JSONResponse({"ok": False, "error": "unknown provider"}, status_code=404)
    # one sender flooding a provider's route is answered 429; the others go on (SMO_WEBHOOK_RATE_PER_SECOND)
    if not LIMITER.allow((provider, request.client.host if request.client else ""),
                         get_settings().webhook_rate_per_second):
        return JSONResponse({"ok": False, "error": "too many requests"}, status_code=429,
                            headers={"Retry-After": "1"})
    body = await read_body(request, MAX_BODY)
    headers = dict(request.headers)
    try:  # a verification may ask the provider (YooKassa): off the event loop
        event_id = await run_in_threadpool(source.verify, body, headers)
    except WebhookDisputed as exc:
        log.warning("webhook %s disputed: %s", provider, exc)
        recorded = await calls(exc.record, **exc.kwargs)
        if not recorded.ok:
            return JSONResponse({"ok": False, "error": "failed"}, status_code=500)
        return JSONResponse({"ok": True, "outcome": "disputed"})
    except WebhookRejected as exc:
        log.warning("webhook %s refused: %s", provider, exc)
        return JSONResponse({"ok": False, "error": "rejected"}, status_code=400)
    except WebhookUnavailable as exc:
        log.warning("webhook %s: provider unavailable: %s", provider, exc)
        return JSONResponse({"ok": False, "error": "unavailable"}, status_code=503)
    out = await calls(webhooks.accept, provider=provider, event_id=event_id, body=body, headers=headers,
                      handler=source.handler, inline=source.inline)
    if not out.ok:  # logged and reported by the seam; the provider delivers again
        return JSONResponse({"ok": False, "error": "failed"}, status_code=500)
    return JSONResponse({"ok": not out.value.retry, "outcome": out.value.outcome},
                        status_code=500 if out.value.retry else 200)
