"""The code printed on a POS receipt (Code 128 of ``S`` + the sale number): scanned on the returns
screen, it opens that sale — no typing, no mix-up with an order number."""
from __future__ import annotations

import base64
import re

import barcode

PREFIX = "S"
_CODE = re.compile(rf"^{PREFIX}(\d{{1,12}})$", re.IGNORECASE)


def receipt_code(sale_id: int) -> str:
    return f"{PREFIX}{sale_id:06d}"


def parse_receipt_code(code: str) -> int | None:
    """The sale number of a scanned receipt code, or None if ``code`` is not one."""
    m = _CODE.match((code or "").strip())
    return int(m.group(1)) if m else None


def code128_svg_uri(text: str, *, height: int = 36) -> str:
    """``text`` as a Code 128 barcode: an SVG data URI (one unit per module, quiet zones of 10)."""
    modules = "".join(barcode.get_barcode_class("code128")(text).build())
    quiet, width = 10, len(modules) + 20
    rects, start = [], None
    for i, bit in enumerate(modules + "0"):
        if bit == "1" and start is None:
            start = i
        elif bit != "1" and start is not None:
            rects.append(f'<rect x="{quiet + start}" y="0" width="{i - start}" height="{height}"/>')
            start = None
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" preserveAspectRatio="none">'
           f'<rect width="{width}" height="{height}" fill="white"/><g fill="black">{"".join(rects)}</g></svg>')
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
