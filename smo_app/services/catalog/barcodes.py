"""Barcodes and SKUs as the shop types, prints and scans them (CA4).

* A variant's barcode: EAN-13, EAN-8, UPC-A or GTIN-14 digits with a right check digit, or any
  other code of up to 48 printable ASCII characters (printed as Code 128). SKUs: up to 64
  characters without line breaks. Both unique across the shop (the database's unique indexes).
* Weight barcodes from scales: EAN-13 ``PP CCCCC VVVVV K`` with a prefix ``PP`` in 20–29 the owner
  sets (one prefix for codes carrying the weight in grams, another for codes carrying the price in
  kopecks), ``CCCCC`` the item code the scale knows the product by (the variant's ``plu``),
  ``VVVVV`` the weight or the price, ``K`` the check digit.

Pure functions: no database, no clock.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from smo_app.services.core.errors import ValidationFailed

SCALE_PREFIXES = range(20, 30)
MAX_CODE128 = 48
_PRINTABLE = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII without the space


def check_digit(body: str) -> int:
    """The GS1 check digit of ``body`` (EAN-8/13, UPC-A, GTIN-14 without their last digit)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def gs1_valid(code: str) -> bool:
    return code.isdigit() and len(code) in (8, 12, 13, 14) and check_digit(code[:-1]) == int(code[-1])


def ean13(body12: str) -> str:
    """``body12`` (12 digits) with its check digit."""
    if not (body12.isdigit() and len(body12) == 12):
        raise ValueError("12 digits expected")
    return body12 + str(check_digit(body12))


def symbology(code: str) -> str:
    """How a code is printed: ``ean13``, ``ean8``, ``upca`` (valid GS1 digits) or ``code128``."""
    if gs1_valid(code):
        return {13: "ean13", 8: "ean8", 12: "upca"}.get(len(code), "code128")
    return "code128"


def clean_barcode(text: str | None, *, field: str = "barcode") -> str | None:
    """A barcode as typed → as stored (None when empty); refused: ``catalog.barcode_check_digit``
    (GS1 digits whose check digit is wrong), ``catalog.barcode_invalid`` (spaces inside, letters
    outside ASCII, too long)."""
    code = (text or "").strip()
    if not code:
        return None
    if code.isdigit() and len(code) in (8, 12, 13, 14):
        if not gs1_valid(code):
            raise ValidationFailed("catalog.barcode_check_digit", f"bad check digit: {code}", field=field, code=code,
                                   expected=check_digit(code[:-1]))
        return code
    if len(code) > MAX_CODE128 or not _PRINTABLE.match(code):
        raise ValidationFailed("catalog.barcode_invalid", f"not a barcode: {code!r}", field=field, code=code[:64],
                               max=MAX_CODE128)
    return code


def clean_sku(text: str | None, *, field: str = "sku") -> str | None:
    sku = (text or "").strip()
    if not sku:
        return None
    if len(sku) > 64 or any(ch in sku for ch in "\r\n\t"):
        raise ValidationFailed("catalog.sku_invalid", f"not an SKU: {sku!r}", field=field, max=64)
    return sku


# --------------------------------------------------------------------------- weight barcodes

@dataclass(frozen=True, slots=True)
class ScaleCode:
    """What a scale's label says: the item (``plu``) and its weight in grams or price in kopecks."""

    kind: str  # "weight" | "price"
    plu: int
    value: int  # grams (weight) or kopecks (price)


def scale_code(prefix: int, plu: int, value: int) -> str:
    """The EAN-13 a scale prints (for labels, tests and the demo's example)."""
    if prefix not in SCALE_PREFIXES or not 1 <= plu <= 99999 or not 0 < value <= 99999:
        raise ValueError("prefix 20..29, item code 1..99999, value 1..99999")
    return ean13(f"{prefix:02d}{plu:05d}{value:05d}")


def parse_scale_code(code: str, *, weight_prefix: int | None, price_prefix: int | None) -> ScaleCode | None:
    """``code`` read as a scale's label under the shop's prefixes; None when it is not one (another
    length, another prefix). A label with a wrong check digit is refused (``pos.scale_check_digit``):
    a misread must not sell a wrong weight."""
    code = (code or "").strip()
    if not (len(code) == 13 and code.isdigit()):
        return None
    prefix = int(code[:2])
    kind = "weight" if prefix == weight_prefix else "price" if prefix == price_prefix else None
    if kind is None:
        return None
    if check_digit(code[:12]) != int(code[12]):
        raise ValidationFailed("pos.scale_check_digit", f"bad check digit: {code}", code=code)
    plu, value = int(code[2:7]), int(code[7:12])
    if plu == 0 or value == 0:
        raise ValidationFailed("pos.scale_code_invalid", f"empty item or value: {code}", code=code)
    return ScaleCode(kind=kind, plu=plu, value=value)
