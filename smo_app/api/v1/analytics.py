"""/api/v1/analytics: P&L, revenue by day, ABC — the analytics screen's figures as JSON (money in
kopecks, the shop's days)."""
from __future__ import annotations

import dataclasses
import typing
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, create_model

from smo_app.api.deps import BoundCalls, token_calls
from smo_app.api.v1.common import ERRORS, ShopDay, value
from smo_app.services.analytics import abc, pnl, revenue

router = APIRouter(prefix="/analytics", tags=["analytics"], responses=ERRORS)


def model_of(cls: type, **overrides: Any) -> type[BaseModel]:
    """A response model of a read-model dataclass: its fields and its argument-less properties."""
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {f.name: (hints[f.name], ...) for f in dataclasses.fields(cls)}
    for name, attr in vars(cls).items():
        if isinstance(attr, property):
            fields[name] = (typing.get_type_hints(attr.fget)["return"], ...)
    fields.update({k: (v, ...) for k, v in overrides.items()})
    return create_model(f"{cls.__name__}Out", **fields)


def dump(obj: Any) -> dict[str, Any]:
    out = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    out.update({n: getattr(obj, n) for n, a in vars(type(obj)).items() if isinstance(a, property)})
    return out


PnlOut = model_of(pnl.PnlSummary)
DayOut = model_of(revenue.DayRevenue)
RevenueOut = model_of(revenue.RevenueSeries, days=list[DayOut])
AbcOut = model_of(abc.AbcRow)


@router.get("/pnl", response_model=PnlOut, summary="Profit and loss for a period (shop days, both included)")
async def profit_and_loss(date_from: ShopDay, date_to: ShopDay,
                          calls: BoundCalls = Depends(token_calls("analytics:read"))):
    return dump(value(await calls(pnl.pnl_summary, readonly=True, date_from=date_from, date_to=date_to)))


@router.get("/revenue", response_model=RevenueOut, summary="Revenue by day and channel")
async def revenue_by_day(date_from: ShopDay, date_to: ShopDay,
                         calls: BoundCalls = Depends(token_calls("analytics:read"))):
    series = value(await calls(revenue.daily_revenue, readonly=True, date_from=date_from, date_to=date_to))
    return {**dump(series), "days": [dump(d) for d in series.days]}


@router.get("/abc", response_model=list[AbcOut], summary="ABC analysis of products by revenue")
async def abc_analysis(date_from: ShopDay, date_to: ShopDay,
                       calls: BoundCalls = Depends(token_calls("analytics:read"))):
    return [dump(r) for r in value(await calls(abc.abc_analysis, readonly=True, date_from=date_from, date_to=date_to))]
