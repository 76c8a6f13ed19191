"""Pricing in one place: a pure function from cart lines and the customer's situation to a breakdown.

The storefront cart, ``place_order``, the catalog's prices and the POS register's cart
(``pos.cart.price_cart``) all call :func:`price`; the UI shows the result as is. Nothing else
computes a discount: the same lines, customer and deductions give the same totals everywhere.

Order of application (each step works on what the previous one left):

1. goods: unit price × qty per line (by weight: × grams / grams the price is for, half up). The unit price is the variant price, or for an approved
   wholesale customer the variant's wholesale price once the line reaches its minimum quantity (ST9).
2. line discount: the better of the product discount % and the personal discount % (not both);
   wholesale-priced lines get no further line discount. A seller's line discount % at the POS
   (``manual_discount_pct``) replaces it when larger, on any line; whether the seller may give it
   alone is the POS policy's question (``pos.policy``), not pricing's.
3. promo code %: on goods after line discounts.
4. gift certificate: up to what is left of the goods (single use; an unused rest is not kept).
5. bonuses: at most the balance, at most ``bonus_cap_pct`` of the goods after promo, at most what
   is left after the certificate. (The POS passes 100: above its own cap a sale needs approval.)
6. delivery: the quote, free once goods after discounts reach the threshold for the delivery type;
   for regions the shop covers ``free_delivery_region_pct`` % of the goods towards the quote.

Rounding, explicit (``smo_app.money``): percentage discounts round half up to the kopeck
(:func:`pct_half_up`); percentages the shop *gives away as bonuses* and the bonus cap round down
(:func:`pct_floor`).
Invariant: ``goods - sum(discounts) - certificate - bonus + delivery == total >= 0``.
"""
from __future__ import annotations

from pydantic import BaseModel, Field

from smo_app.money import line_goods, pct_floor, pct_half_up  # re-exported: the rounding rules are money's

DISCOUNT_KINDS = ("product", "personal", "manual", "promo")


class PriceLineIn(BaseModel):
    variant_id: int
    qty: int = Field(gt=0)
    price_minor: int = Field(ge=0)
    discount_pct: int = Field(default=0, ge=0, le=100)  # the product's discount
    manual_discount_pct: int = Field(default=0, ge=0, le=100)  # the seller's line discount (POS)
    wholesale_price_minor: int | None = None
    wholesale_min_qty: int = 1
    name: str = ""
    variant_label: str = ""
    qty_per_price: int = Field(default=1, ge=1)  # by weight: qty in grams, the price for this many grams


class PriceLineOut(BaseModel):
    variant_id: int
    name: str
    variant_label: str
    qty: int
    unit_price_minor: int
    wholesale: bool
    goods_minor: int
    discount_kind: str | None  # product | personal | manual | None
    discount_pct: int = 0  # the % of the discount that applies
    discount_minor: int
    total_minor: int
    qty_per_price: int = 1


class PriceBreakdown(BaseModel):
    lines: list[PriceLineOut]
    goods_minor: int
    discounts: dict[str, int]  # product, personal, manual, promo
    discount_total_minor: int
    certificate_minor: int
    bonus_minor: int
    bonus_max_minor: int  # the most bonuses this cart could take (for the slider)
    delivery_minor: int
    total_minor: int
    free_delivery_left_minor: int | None  # "X left to free delivery"; None when not applicable

    def adds_up(self) -> bool:
        return (
            self.goods_minor - self.discount_total_minor - self.certificate_minor - self.bonus_minor
            + self.delivery_minor == self.total_minor
        )


def price(
    lines: list[PriceLineIn],
    *,
    personal_discount_pct: int = 0,
    wholesale: bool = False,
    promo_pct: int = 0,
    certificate_minor: int = 0,
    bonus_balance_minor: int = 0,
    bonus_requested_minor: int = 0,
    bonus_cap_pct: int = 30,
    delivery_type: str = "pickup",
    delivery_quote_minor: int = 0,
    free_delivery_pickup_minor: int = 0,
    free_delivery_courier_minor: int = 0,
    free_delivery_region_pct: int = 0,
) -> PriceBreakdown:
    """Price a cart. Pure: no database, no clock."""
    personal = _clamp(personal_discount_pct, 0, 100)
    out_lines: list[PriceLineOut] = []
    sums = {"product": 0, "personal": 0, "manual": 0}
    goods = 0
    for line in lines:
        use_wholesale = (
            wholesale and line.wholesale_price_minor is not None and line.qty >= line.wholesale_min_qty
        )
        unit = line.wholesale_price_minor if use_wholesale else line.price_minor
        goods_of_line = line_goods(unit, line.qty, line.qty_per_price)
        kind, pct, disc = _line_discount(goods_of_line, () if use_wholesale else (
            ("product", _clamp(line.discount_pct, 0, 100)), ("personal", personal)),
            _clamp(line.manual_discount_pct, 0, 100))
        goods += goods_of_line
        if kind:
            sums[kind] += disc
        out_lines.append(PriceLineOut(
            variant_id=line.variant_id, name=line.name, variant_label=line.variant_label, qty=line.qty,
            unit_price_minor=unit, wholesale=use_wholesale, goods_minor=goods_of_line, discount_kind=kind,
            discount_pct=pct, discount_minor=disc, total_minor=goods_of_line - disc, qty_per_price=line.qty_per_price,
        ))
    after_lines = goods - sum(sums.values())
    promo = min(pct_half_up(after_lines, _clamp(promo_pct, 0, 100)), after_lines)
    after_promo = after_lines - promo
    certificate = min(max(certificate_minor, 0), after_promo)
    after_cert = after_promo - certificate
    bonus_max = min(max(bonus_balance_minor, 0), pct_floor(after_promo, _clamp(bonus_cap_pct, 0, 100)), after_cert)
    bonus = min(max(bonus_requested_minor, 0), bonus_max)
    delivery, left = _delivery(
        after_promo, delivery_type, max(delivery_quote_minor, 0),
        free_delivery_pickup_minor, free_delivery_courier_minor, free_delivery_region_pct,
    )
    total = after_cert - bonus + delivery
    discounts = {**sums, "promo": promo}
    return PriceBreakdown(
        lines=out_lines, goods_minor=goods, discounts=discounts, discount_total_minor=sum(discounts.values()),
        certificate_minor=certificate, bonus_minor=bonus, bonus_max_minor=bonus_max, delivery_minor=delivery,
        total_minor=total, free_delivery_left_minor=left,
    )


def _line_discount(line_goods: int, automatic: tuple[tuple[str, int], ...], manual_pct: int
                   ) -> tuple[str | None, int, int]:
    """(kind, %, amount) of a line's one discount: the better automatic one (the first wins a tie),
    unless the seller's manual % gives more. Nothing off (None, 0, 0) when no % gives a kopeck."""
    kind, pct, disc = None, 0, 0
    for candidate, candidate_pct in (*automatic, ("manual", manual_pct)):
        amount = min(pct_half_up(line_goods, candidate_pct), line_goods)
        if amount > disc:
            kind, pct, disc = candidate, candidate_pct, amount
    return kind, pct, disc


def _delivery(goods_minor: int, delivery_type: str, quote: int, pickup_free: int, courier_free: int,
              region_pct: int) -> tuple[int, int | None]:
    if delivery_type in ("pickup", "courier"):
        threshold = pickup_free if delivery_type == "pickup" else courier_free
        if threshold <= 0:
            return quote, None
        if goods_minor >= threshold:
            return 0, 0
        return quote, threshold - goods_minor
    if delivery_type == "region":
        covered = pct_floor(goods_minor, _clamp(region_pct, 0, 100))
        return max(quote - covered, 0), None
    return 0, None  # in store / no delivery


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, int(value)))
