"""/api/v1/stock: levels (the warehouse overview), a variant's moves, a supply, a write-off — the
warehouse screen's services."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from smo_app.api.deps import BoundCalls, PublicApiCalls, TokenSecret, token_calls
from smo_app.api.v1.common import ERRORS, idempotent, value
from smo_app.services.stock import adjustments, supplies, warehouse

router = APIRouter(prefix="/stock", tags=["stock"], responses=ERRORS)
VariantId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class LineIn(BaseModel):
    variant_id: int = Field(ge=1, le=2**31 - 1)
    qty: int = Field(gt=0, le=1_000_000)


class WriteOffIn(BaseModel):
    lines: list[LineIn] = Field(min_length=1, max_length=500)
    comment: str = Field("", max_length=500)


class SupplyLineIn(LineIn):
    total_minor: int = Field(ge=0, le=10**12, description="what this item's batch cost, in kopecks")


class SupplyIn(BaseModel):
    supplier_id: int = Field(ge=1, le=2**31 - 1)
    items: list[SupplyLineIn] = Field(min_length=1, max_length=500)
    comment: str = Field("", max_length=500)


@router.get("", response_model=warehouse.OverviewPage, summary="Stock levels with value and traffic light")
async def levels(calls: BoundCalls = Depends(token_calls("stock:read")), search: str = Query("", max_length=100),
                 level: Literal["all", "red", "yellow", "green"] = "all", page: int = Query(1, ge=1, le=100_000)):
    return value(await calls(warehouse.overview, readonly=True, search=search, level=level, page=page))


@router.get("/{variant_id}/moves", response_model=warehouse.VariantCard, summary="A variant's newest stock moves")
async def moves(variant_id: VariantId, calls: BoundCalls = Depends(token_calls("stock:read")),
                limit: int = Query(100, ge=1, le=500)):
    return value(await calls(warehouse.variant_card, readonly=True, variant_id=variant_id, limit=limit))


@router.get("/suppliers", response_model=list[supplies.SupplierOut], summary="Suppliers")
async def suppliers(calls: BoundCalls = Depends(token_calls("stock:read"))):
    return value(await calls(warehouse.suppliers, readonly=True))


@router.post("/write-offs", response_model=adjustments.BatchOut, status_code=201, summary="Write stock off")
async def write_off(body: WriteOffIn, request: Request, public: PublicApiCalls, secret: TokenSecret,
                    calls: BoundCalls = Depends(token_calls("stock:write"))):
    return await idempotent(request, public, secret, lambda: calls(
        adjustments.write_off, lines=[adjustments.StockLine(variant_id=ln.variant_id, qty=ln.qty, row=i)
                                      for i, ln in enumerate(body.lines, 1)], comment=body.comment or None), status=201)


@router.post("/supplies", response_model=supplies.SupplyOut, status_code=201, summary="Receive a supply")
async def receive_supply(body: SupplyIn, request: Request, public: PublicApiCalls, secret: TokenSecret,
                         calls: BoundCalls = Depends(token_calls("stock:write"))):
    return await idempotent(request, public, secret, lambda: calls(
        supplies.receive_supply, supplier_id=body.supplier_id,
        items=[supplies.SupplyItemIn(variant_id=i.variant_id, qty=i.qty, total_minor=i.total_minor) for i in body.items],
        comment=body.comment or None), status=201)
