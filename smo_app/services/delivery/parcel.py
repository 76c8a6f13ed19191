"""The parcel rule: what a cart weighs once packed, and which box it goes in (pure functions).

weight = Σ variant weight × quantity
       + 40 g per started group of 5 items (filler and padding)
       + 10 % of the goods' weight, rounded up (wrapping)
       + the box's own weight;
the box is the smallest one whose load limit holds the goods, filler and wrapping.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

FILLER_G_PER_5_ITEMS = 40
WRAPPING_PCT = 10


@dataclass(frozen=True)
class Box:
    name: str
    max_load_g: int  # what may go in it (box weight not included)
    weight_g: int
    length_cm: int
    width_cm: int
    height_cm: int


BOXES: tuple[Box, ...] = (
    Box("S", 1_000, 100, 20, 15, 10),
    Box("M", 3_000, 200, 30, 20, 15),
    Box("L", 7_000, 350, 40, 30, 20),
    Box("XL", 15_000, 600, 50, 40, 30),
)


@dataclass(frozen=True)
class Parcel:
    items: int
    goods_g: int
    filler_g: int
    wrapping_g: int
    box: Box
    weight_g: int  # everything, box included: what the carrier weighs


def parcel_for(lines: Iterable[tuple[int, int]]) -> Parcel:
    """``lines`` are (variant weight in grams, quantity). Raises ValueError on negative input or an
    empty parcel; a load heavier than the largest box goes in the largest box (the carrier re-weighs)."""
    items = goods = 0
    for weight_g, qty in lines:
        if weight_g < 0 or qty < 0:
            raise ValueError("weights and quantities cannot be negative")
        items += qty
        goods += weight_g * qty
    if items == 0:
        raise ValueError("an empty parcel")
    filler = FILLER_G_PER_5_ITEMS * -(-items // 5)
    wrapping = -(-goods * WRAPPING_PCT // 100)
    load = goods + filler + wrapping
    box = next((b for b in BOXES if load <= b.max_load_g), BOXES[-1])
    return Parcel(items=items, goods_g=goods, filler_g=filler, wrapping_g=wrapping, box=box, weight_g=load + box.weight_g)
