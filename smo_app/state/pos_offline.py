"""The sale screen's side of sales made without a connection (``assets/pos_offline.js``): a copy of
the cart as the script needs it to sell offline (``offline_cart``, kept in the page), and the
event the script fires once queued sales went through (the cart on screen is reloaded then).

A mixin of the sale screen's state (``pos_sale.PosState``), like ``pos_device``."""
from __future__ import annotations

import json

import reflex as rx

from smo_app.services.pos.cart import CartOut


def offline_snapshot(c: CartOut, register_id: int, device_id: int | None) -> str:
    """The cart on screen, as the script sells it offline (JSON in a data attribute)."""
    lines = [{"variant_id": ln.variant_id, "qty": ln.qty, "discount_pct": ln.manual_pct} for ln in c.lines]
    return json.dumps({
        "register_id": register_id, "device_id": device_id, "lines": lines,
        "customer_id": c.customer.id if c.customer else None, "bonus_minor": c.bonus_minor,
        "total_minor": c.total_minor, "needs_approval": c.needs_approval,
        "signature": f"{device_id}:{c.updated_at.isoformat()}:{len(lines)}",
    }, separators=(",", ":"))


class PosOfflineMixin(rx.State, mixin=True):
    offline_cart: str = ""

    @rx.event
    async def offline_synced(self, value: str):
        """The script sent sales made offline: the cart on screen is what the server has now."""
        if value:
            await self._refresh_cart()
