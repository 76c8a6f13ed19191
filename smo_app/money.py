"""Money is integer minor units (kopecks) everywhere but here, at the edge; and the two explicit
roundings of a percentage of an amount (discounts half up, what the shop gives away down)."""
from __future__ import annotations

from smo_app import formats


def format_money(minor: int, currency: str = "RUB", lang: str = "ru") -> str:
    """``123456`` → ``1 234,56 ₽`` (ru) or ``1,234.56 ₽`` (en); whole amounts drop the kopecks
    (Babel's number formats, :func:`smo_app.formats.money`)."""
    return formats.money(minor, currency, lang)


def parse_money(text: str) -> int:
    """``"1 234,5"`` → ``123450``. Raises ValueError on anything that is not an amount."""
    cleaned = (text or "").strip().replace("\u00a0", "").replace(" ", "").replace("₽", "").replace(",", ".")
    if not cleaned or cleaned.count(".") > 1 or cleaned.startswith("-"):
        raise ValueError(f"not an amount: {text!r}")
    major, _, frac = cleaned.partition(".")
    if not major.isdigit() and major != "":
        raise ValueError(f"not an amount: {text!r}")
    if frac and (not frac.isdigit() or len(frac) > 2):
        raise ValueError(f"not an amount: {text!r}")
    return int(major or "0") * 100 + int((frac + "00")[:2])


def pct_half_up(amount_minor: int, pct: int) -> int:
    """``pct`` % of ``amount_minor`` rounded half up: 7% of 99999 → 7000."""
    if amount_minor <= 0 or pct <= 0:
        return 0
    return (amount_minor * pct + 50) // 100


def pct_floor(amount_minor: int, pct: int) -> int:
    """``pct`` % of ``amount_minor`` rounded down: 7% of 99999 → 6999."""
    if amount_minor <= 0 or pct <= 0:
        return 0
    return amount_minor * pct // 100


def line_goods(unit_price_minor: int, qty: int, qty_per_price: int = 1) -> int:
    """A line's goods: ``qty × unit price``; for goods sold by weight (``qty`` in grams, the price
    for ``qty_per_price`` grams, 1000 for a price per kilogram) rounded half up to the kopeck:
    0.532 kg at 1 234,50 ₽/kg → 656,75 ₽."""
    if qty_per_price <= 1:
        return unit_price_minor * qty
    return (2 * unit_price_minor * qty + qty_per_price) // (2 * qty_per_price)
