"""FastAPI dependencies: who calls, as the full-stack FastAPI template's ``api/deps.py`` does — a
route names what it needs and calls services through the calling seam (smo_app.calling), never
opening a session or resolving a token itself:

    @router.get("/storefront/orders/{order_id}")
    async def order(order_id: int, calls: CustomerCalls) -> JSONResponse:
        out = await calls(orders.get_order, readonly=True, order_id=order_id)

* :data:`CustomerCalls` — the Mini App's customer behind the session cookie (a dead cookie:
  ``out.signed_out``); :data:`VisitorCalls` — the same, but nobody (``actor=None``) without one;
* :data:`StaffCalls` — the backoffice staff member behind their session cookie;
  :data:`PosCalls` — the seller behind the POS session cookie (a tablet's scripts);
* :data:`PublicCalls` — no actor (webhooks, health);
* :func:`token_calls` — ``/api/v1``: the staff API token in ``Authorization: Bearer …``, needing one
  scope (``Depends(token_calls("orders:read"))``), rate-limited per token (:class:`TokenBuckets`);
  :data:`ApiLang` — ``?lang=`` or ``Accept-Language``;
* :data:`CustomerLang` — the customer's language (their cookie, else the shop's);
* :data:`FirstPaint` — how the page's state store takes the Mini App's first screen (see
  :class:`FirstPaintView`), handed in by the web app's composition.

Each names its seam through :func:`get_seam` (on SMO_DATABASE_URL, its error reports marked
``api``); a test may put another in ``app.dependency_overrides[get_seam]``.
"""
from __future__ import annotations

import threading
import time
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from smo_app.calling import NOBODY, ApiTokenCaller, BoundCalls, CustomerCaller, Seam, StaffCaller
from smo_app.cookies import CUSTOMER_LANG, CUSTOMER_SESSION, STAFF_BACKOFFICE, STAFF_LANG, STAFF_POS, customer_language
from smo_app.models.staff import Channel
from smo_app.i18n import LANGUAGES
from smo_app.services.catalog.first_screen import FirstScreenOut
from smo_app.services.core.errors import DomainError


class FirstPaintView(Protocol):
    """The Mini App's first screen in the page's own terms — what the web app's Reflex states define
    (``smo_app/state/storefront_first_paint.py``) and the API must not import."""

    def fields(self, screen: FirstScreenOut, lang: str) -> dict[str, Any]:
        """The field values the page's state gets (the same ``StoreState.open`` sets)."""

    def delta(self, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Those values keyed as the page's state store applies a websocket update."""


API_SEAM = Seam(origin="api")


def get_seam() -> Seam:
    return API_SEAM


SeamDep = Annotated[Seam, Depends(get_seam)]


def get_customer_lang(request: Request) -> str:
    return customer_language(request.cookies.get(CUSTOMER_LANG))


CustomerLang = Annotated[str, Depends(get_customer_lang)]


def get_customer_calls(request: Request, seam: SeamDep, lang: CustomerLang) -> BoundCalls:
    return seam.bind(CustomerCaller(request.cookies.get(CUSTOMER_SESSION) or ""), lang, route(request))


def get_visitor_calls(request: Request, seam: SeamDep, lang: CustomerLang) -> BoundCalls:
    return seam.bind(CustomerCaller(request.cookies.get(CUSTOMER_SESSION) or "", optional=True), lang, route(request))


def get_staff_calls(request: Request, seam: SeamDep) -> BoundCalls:
    return seam.bind(StaffCaller(Channel.backoffice, request.cookies.get(STAFF_BACKOFFICE) or ""), None, route(request))


def get_public_calls(request: Request, seam: SeamDep) -> BoundCalls:
    return seam.bind(NOBODY, None, route(request))


def route(request: Request) -> str:
    """The route a call came from, as the owner's error report names it."""
    return f"{request.method} {request.url.path}"


def get_pos_calls(request: Request, seam: SeamDep) -> BoundCalls:
    """The seller signed in on this tablet's POS (its session cookie), in the tablet's language."""
    return seam.bind(StaffCaller(Channel.pos, request.cookies.get(STAFF_POS) or ""),
                     customer_language(request.cookies.get(STAFF_LANG)), route(request))


def get_first_paint(request: Request) -> FirstPaintView | None:
    """What ``create_api(first_paint=…)`` was given (None: the API runs without the web app's pages)."""
    return getattr(request.app.state, "first_paint", None)


CustomerCalls = Annotated[BoundCalls, Depends(get_customer_calls)]
VisitorCalls = Annotated[BoundCalls, Depends(get_visitor_calls)]
StaffCalls = Annotated[BoundCalls, Depends(get_staff_calls)]
PosCalls = Annotated[BoundCalls, Depends(get_pos_calls)]
PublicCalls = Annotated[BoundCalls, Depends(get_public_calls)]
FirstPaint = Annotated[FirstPaintView | None, Depends(get_first_paint)]


# --------------------------------------------------------------------------- /api/v1: staff API tokens

class ApiRefused(DomainError):
    """An /api/v1 call refused before any service ran (no token, too many calls): ``status`` and a
    DomainError's code and parameters, answered as ``{"code", "message"}`` (smo_app/api/v1/common.py)."""

    def __init__(self, status: int, code: str, **params: Any) -> None:
        super().__init__(code, code, **params)
        self.status = status


class TokenBuckets:
    """A token bucket per API token, in this process (each web process counts on its own): ``burst``
    calls at once, refilled at ``per_minute``. Good enough for one server; several would share Redis."""

    def __init__(self, per_minute: int = 120, burst: int = 60) -> None:
        self.rate, self.burst = per_minute / 60.0, float(burst)
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> float:
        """Spend one call; 0 if allowed, else the seconds until one is."""
        now = time.monotonic()
        with self._lock:
            level, at = self._buckets.get(key, (self.burst, now))
            level = min(self.burst, level + (now - at) * self.rate)
            if level < 1:
                self._buckets[key] = (level, now)
                return (1 - level) / self.rate
            self._buckets[key] = (level - 1, now)
            if len(self._buckets) > 10_000:  # forget idle tokens' buckets
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 3600}
            return 0.0


def get_api_lang(request: Request) -> str | None:
    """``?lang=en`` or the first known ``Accept-Language``; None: the shop's language."""
    wanted = [request.query_params.get("lang", "")]
    wanted += [part.split(";")[0].strip() for part in request.headers.get("accept-language", "").split(",")]
    for lang in wanted:
        if lang[:2].lower() in LANGUAGES:
            return lang[:2].lower()
    return None


ApiLang = Annotated[str | None, Depends(get_api_lang)]
_bearer = HTTPBearer(auto_error=False, description="A staff API token from the backoffice (API tokens)")


def token_secret(credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> str:
    if credentials is None or not credentials.credentials:
        raise ApiRefused(401, "api.token_invalid")
    return credentials.credentials


TokenSecret = Annotated[str, Depends(token_secret)]


def token_calls(scope: str):
    """The dependency of an /api/v1 route needing ``scope``: the token's calls, one spent from its bucket."""

    def calls(request: Request, seam: SeamDep, lang: ApiLang, secret: TokenSecret) -> BoundCalls:
        buckets: TokenBuckets | None = getattr(request.app.state, "api_buckets", None)
        wait = buckets.take(secret) if buckets is not None else 0.0
        if wait:
            raise ApiRefused(429, "api.rate_limited", seconds=max(1, round(wait)))
        return seam.bind(ApiTokenCaller(secret, scope=scope), lang, route(request))

    return calls


def get_public_api_calls(seam: SeamDep, lang: ApiLang) -> BoundCalls:
    return seam.bind(NOBODY, lang)


PublicApiCalls = Annotated[BoundCalls, Depends(get_public_api_calls)]
