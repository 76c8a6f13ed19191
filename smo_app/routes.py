"""Every route of the web app in one place (pages, guards, navigation and tests use these)."""
from __future__ import annotations

from dataclasses import dataclass

STOREFRONT = "/"
ADMIN_LOGIN = "/admin/login"
ADMIN = "/admin"
STAFF = "/admin/staff"
AUDIT = "/admin/audit"
POS_LOGIN = "/pos/login"
POS = "/pos"


@dataclass(frozen=True)
class Area:
    """A backoffice area: its route, i18n key, the permission that opens it and
    the PRODUCT.md features a later issue builds there ("" when it works now)."""

    key: str
    route: str
    perm: str
    features: str


# Order = sidebar order. Permissions are Perm values (smo_app.services.core.permissions).
AREAS: tuple[Area, ...] = (
    Area("orders", "/admin/orders", "orders.view", "OR1–OR9"),
    Area("catalog", "/admin/catalog", "catalog.edit", ""),
    Area("warehouse", "/admin/warehouse", "stock.manage", ""),
    Area("customers", "/admin/customers", "customers.view", ""),
    Area("promotions", "/admin/promotions", "promotions.manage", ""),
    Area("broadcasts", "/admin/broadcasts", "broadcasts.manage", "CO4–CO5"),
    Area("support", "/admin/support", "support.manage", "SU1–SU3"),
    Area("bookings", "/admin/bookings", "bookings.manage", "BK1–BK4"),
    Area("analytics", "/admin/analytics", "analytics.view", "AN1–AN5"),
    Area("settings", "/admin/settings", "settings.manage", ""),
    Area("audit", AUDIT, "audit.view", ""),
    Area("staff", STAFF, "staff.manage", ""),
)
AREAS_BY_KEY = {a.key: a for a in AREAS}
