"""/api/v1/customers: search, a customer's card, bonuses added or taken — the customers screen's services."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from smo_app.api.deps import BoundCalls, PublicApiCalls, TokenSecret, token_calls
from smo_app.api.v1.common import ERRORS, idempotent, value
from smo_app.services.customers import admin, loyalty

router = APIRouter(prefix="/customers", tags=["customers"], responses=ERRORS)
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


class BonusIn(BaseModel):
    delta_minor: int = Field(ge=-10**10, le=10**10, description="kopecks to add (negative: to take)")
    note: str = Field(max_length=500)


@router.get("", response_model=admin.CustomerPage, summary="Search customers (@username, id, phone or name)")
async def search(calls: BoundCalls = Depends(token_calls("customers:read")), query: str = Query("", max_length=100),
                 page: int = Query(1, ge=1, le=100_000), page_size: int = Query(25, ge=1, le=100)):
    return value(await calls(admin.search_customers, readonly=True, query=query, page=page, page_size=page_size))


@router.get("/{customer_id}", response_model=admin.CustomerCard, summary="A customer's card")
async def card(customer_id: Id, calls: BoundCalls = Depends(token_calls("customers:read"))):
    return value(await calls(admin.get_card, readonly=True, customer_id=customer_id))


@router.post("/{customer_id}/bonuses", response_model=loyalty.BonusesOut, summary="Add or take bonuses")
async def adjust_bonuses(customer_id: Id, body: BonusIn, request: Request, public: PublicApiCalls, secret: TokenSecret,
                         calls: BoundCalls = Depends(token_calls("customers:write"))):
    return await idempotent(request, public, secret, lambda: calls(
        loyalty.adjust_bonuses, customer_id=customer_id, delta_minor=body.delta_minor, note=body.note))
