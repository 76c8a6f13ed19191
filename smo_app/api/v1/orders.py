"""/api/v1/orders: the backoffice's order list (its tabs, search and days; cursor paging), the card,
the moves allowed now and one move, a B2B order — the same services as the order screens."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from smo_app.api.deps import BoundCalls, PublicApiCalls, TokenSecret, token_calls
from smo_app.api.v1.common import ERRORS, ShopDay, decode_cursor, encode_cursor, idempotent, value
from smo_app.models.orders import OrderStatus
from smo_app.services.sales import b2b, order_admin
from smo_app.services.sales.order_dto import OrderOut
from smo_app.services.sales.orders import AllowedAction

router = APIRouter(prefix="/orders", tags=["orders"], responses=ERRORS)
OrderId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Tab = Literal["active", "delivery", "all", "new", "paid", "processing", "shipped", "delivered", "completed", "cancelled"]


class OrderList(BaseModel):
    rows: list[order_admin.OrderRow]
    counts: dict[str, int]
    total: int
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last")


class MoveIn(BaseModel):
    to_status: OrderStatus
    reason: str = Field("", max_length=500)
    restock: bool = True


class B2bItem(BaseModel):
    variant_id: int = Field(ge=1, le=2**31 - 1)
    qty: int = Field(gt=0, le=1_000_000)
    unit_price_minor: int = Field(ge=0, le=10**12, description="the agreed price per unit, in kopecks")


class B2bIn(BaseModel):
    items: list[B2bItem] = Field(min_length=1, max_length=500)
    customer_id: int | None = Field(None, ge=1, le=2**31 - 1)
    buyer: str = Field("", max_length=128)
    delivery_minor: int = Field(0, ge=0, le=10**10)
    payer: Literal["buyer", "shop"] = "buyer"
    comment: str = Field("", max_length=1000)


@router.get("", response_model=OrderList, summary="Orders, newest first")
async def list_orders(request: Request, calls: BoundCalls = Depends(token_calls("orders:read")), tab: Tab = "active",
                      query: str = Query("", max_length=100), date_from: ShopDay | None = None, date_to: ShopDay | None = None,
                      limit: int = Query(25, ge=1, le=100), cursor: str | None = None) -> OrderList:
    page = decode_cursor(cursor, request)
    out = value(await calls(order_admin.list_orders, readonly=True, tab=tab, query=query, date_from=date_from,
                            date_to=date_to, page=page, page_size=limit))
    return OrderList(rows=out.rows, counts=out.counts, total=out.total,
                     next_cursor=encode_cursor(page + 1) if out.has_next else None)


@router.get("/{order_id}", response_model=order_admin.OrderCard, summary="An order's card")
async def order_card(order_id: OrderId, calls: BoundCalls = Depends(token_calls("orders:read"))):
    return value(await calls(order_admin.get_order_card, readonly=True, order_id=order_id))


@router.get("/{order_id}/transitions", response_model=list[AllowedAction], summary="The moves allowed now")
async def transitions(order_id: OrderId, calls: BoundCalls = Depends(token_calls("orders:read"))):
    return value(await calls(order_admin.get_order_card, readonly=True, order_id=order_id)).actions


@router.post("/{order_id}/transitions", response_model=OrderOut, summary="Move the order to another status")
async def move(order_id: OrderId, body: MoveIn, request: Request, public: PublicApiCalls, secret: TokenSecret,
               calls: BoundCalls = Depends(token_calls("orders:write"))):
    return await idempotent(request, public, secret, lambda: calls(
        order_admin.move_order, order_id=order_id, to_status=body.to_status.value, reason=body.reason,
        restock=body.restock))


@router.post("/b2b", response_model=OrderOut, status_code=201, summary="Create a B2B order")
async def create_b2b(body: B2bIn, request: Request, public: PublicApiCalls, secret: TokenSecret,
                     calls: BoundCalls = Depends(token_calls("orders:write"))):
    return await idempotent(request, public, secret, lambda: calls(
        b2b.create_b2b_order, items=[i.model_dump() for i in body.items], customer_id=body.customer_id,
        buyer_name=body.buyer, delivery_minor=body.delivery_minor, delivery_payer=body.payer, comment=body.comment),
        status=201)
