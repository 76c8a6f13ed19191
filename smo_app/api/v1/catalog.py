"""/api/v1/products: the catalog screen's list, a product with its variants (barcodes, SKUs, scale
codes), and a variant row saved as the product editor saves it."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from smo_app.api.deps import BoundCalls, PublicApiCalls, TokenSecret, token_calls
from smo_app.api.v1.common import ERRORS, idempotent, value
from smo_app.services.catalog import admin, product_editor
from smo_app.services.catalog.products import ProductOut

router = APIRouter(prefix="/products", tags=["catalog"], responses=ERRORS)
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


class VariantIn(BaseModel):
    """A variant's fields as the editor takes them (text, as typed: "450" or "450.50" rubles)."""
    label: str = Field("", max_length=64)
    price: str = Field("", max_length=32)
    weight: str = Field("", max_length=16)
    wholesale: str = Field("", max_length=32)
    min_qty: str = Field("", max_length=16)
    barcode: str = Field("", max_length=64)
    sku: str = Field("", max_length=64)
    unit: Literal["pcs", "kg", "g"] = "pcs"
    plu: str = Field("", max_length=8)


@router.get("", response_model=admin.ProductPage, summary="Products, as the catalog screen lists them")
async def list_products(calls: BoundCalls = Depends(token_calls("catalog:read")), search: str = Query("", max_length=100),
                        category_id: int | None = Query(None, ge=1, le=2**31 - 1),
                        status: Literal["all", "visible", "hidden", "suspended", "low"] = "all",
                        page: int = Query(1, ge=1, le=100_000), page_size: int = Query(25, ge=1, le=100)):
    return value(await calls(admin.list_products, readonly=True, search=search, category_id=category_id, status=status,
                             page=page, page_size=page_size))


@router.get("/{product_id}", response_model=ProductOut, summary="A product with its variants and barcodes")
async def product(product_id: Id, calls: BoundCalls = Depends(token_calls("catalog:read"))):
    return value(await calls(product_editor.editor_view, readonly=True, product_id=product_id)).product


@router.post("/{product_id}/variants/{variant_id}", response_model=ProductOut, summary="Save a variant")
async def save_variant(product_id: Id, variant_id: Id, body: VariantIn, request: Request, public: PublicApiCalls,
                       secret: TokenSecret, calls: BoundCalls = Depends(token_calls("catalog:write"))):
    async def run():
        out = await calls(product_editor.save_variant, product_id=product_id, variant_id=variant_id,
                          form=product_editor.VariantForm(**body.model_dump()))
        return out if not out.ok else type(out)(value=out.value.product)
    return await idempotent(request, public, secret, run)
