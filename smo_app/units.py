"""Quantities as people read them: pieces as they are, goods sold by weight (counted in grams)
in kilograms or grams — ``532`` g of a per-kg variant reads ``0,532 кг``."""
from __future__ import annotations

from smo_app.models.catalog import QTY_PER_PRICE, SaleUnit

UNIT_TEXT = {"ru": {"pcs": "шт", "kg": "кг", "g": "г"}, "en": {"pcs": "pcs", "kg": "kg", "g": "g"}}

__all__ = ["QTY_PER_PRICE", "SaleUnit", "UNIT_TEXT", "by_weight", "price_unit", "qty_text"]


def by_weight(unit: str) -> bool:
    return unit in (SaleUnit.kg, SaleUnit.g)


def qty_text(qty: int, unit: str, lang: str = "ru") -> str:
    """``5`` (pieces), ``0,532 кг`` (a per-kg variant's 532 g), ``250 г`` (a per-gram variant)."""
    names = UNIT_TEXT.get(lang, UNIT_TEXT["ru"])
    if unit == SaleUnit.kg:
        kg = f"{qty / 1000:.3f}"
        return f"{kg.replace('.', ',') if lang == 'ru' else kg}\u00a0{names['kg']}"
    if unit == SaleUnit.g:
        return f"{qty}\u00a0{names['g']}"
    return str(qty)


def price_unit(unit: str, lang: str = "ru") -> str:
    """What a price is for, after it: ``" / кг"`` for goods sold by weight, nothing for pieces."""
    return f" / {UNIT_TEXT.get(lang, UNIT_TEXT['ru'])[unit]}" if by_weight(unit) else ""
