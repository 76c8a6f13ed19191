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
* :data:`CustomerLang` — the customer's language (their cookie, else the shop's);
* :data:`FirstPaint` — how the page's state store takes the Mini App's first screen (see
  :class:`FirstPaintView`), handed in by the web app's composition.

Each names its seam through :func:`get_seam` (on SMO_DATABASE_URL, its error reports marked
``api``); a test may put another in ``app.dependency_overrides[get_seam]``.
"""
from __future__ import annotations

from typing import Annotated, Any, Protocol

from fastapi import Depends, Request

from smo_app.calling import NOBODY, BoundCalls, CustomerCaller, Seam, StaffCaller
from smo_app.cookies import CUSTOMER_LANG, CUSTOMER_SESSION, STAFF_BACKOFFICE, STAFF_LANG, STAFF_POS, customer_language
from smo_app.models.staff import Channel
from smo_app.services.catalog.first_screen import FirstScreenOut


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
