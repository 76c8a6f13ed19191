"""Every route of the web app in one place (pages, guards, navigation and tests use these)."""
from __future__ import annotations

from dataclasses import dataclass

STOREFRONT = "/"
WHEEL = "/wheel"  # the Mini App's reward wheel
ADMIN_LOGIN = "/admin/login"
ADMIN = "/admin"
STAFF = "/admin/staff"
API_TOKENS = "/admin/api-tokens"  # staff API tokens (IN7)
AUDIT = "/admin/audit"
ANALYTICS = "/admin/analytics"
DEAD_LETTERS = "/admin/dead-letters"
PAYMENTS = "/admin/payments"
POS_LOGIN = "/pos/login"
POS = "/pos"
PROFILE = "/admin/profile"  # the signed-in staff member's own profile (Telegram link)
POS_PROFILE = "/pos/profile"
POS_SHIFT = "/pos/shift"  # cash in/out, X report, close with the Z report
POS_RECEIPT = "/pos/receipt"  # ?id=<sale id>, printable on an 80 mm printer
POS_DISPLAY = "/pos/display"  # ?register=<id>[&device=<id>]: the customer-facing screen
POS_RETURNS = "/pos/returns"
POS_SALES = "/admin/pos-sales"  # admins: POS sales per seller and shift (PO8)
ORDER_PICK_LIST = "/admin/orders/pick"  # printable pick list of the ticked orders (?ids=1,2,3)


@dataclass(frozen=True)
class Area:
    """A backoffice area: its route, i18n key (``ui.nav.<key>``) and the permission that opens it.

    Only areas that work are listed: an area a later change builds joins the navigation with its
    page, never as a placeholder."""

    key: str
    route: str
    perm: str


BROADCASTS = "/admin/broadcasts"
BOOKINGS = "/admin/bookings"
SUPPORT = "/admin/support"  # tickets (SU1): ?ticket=<id> opens one

# Order = sidebar order. Permissions are Perm values (smo_app.services.core.permissions).
AREAS: tuple[Area, ...] = (
    Area("orders", "/admin/orders", "orders.view"),
    Area("catalog", "/admin/catalog", "catalog.edit"),
    Area("warehouse", "/admin/warehouse", "stock.manage"),
    Area("customers", "/admin/customers", "customers.view"),
    Area("promotions", "/admin/promotions", "promotions.manage"),
    Area("bookings", BOOKINGS, "bookings.manage"),
    Area("support", SUPPORT, "support.manage"),
    Area("payments", PAYMENTS, "payments.view"),
    Area("analytics", ANALYTICS, "analytics.view"),
    Area("pos_sales", POS_SALES, "analytics.view"),
    Area("broadcasts", BROADCASTS, "broadcasts.manage"),
    Area("settings", "/admin/settings", "settings.manage"),
    Area("backups", "/admin/backups", "settings.manage"),
    Area("erp", "/admin/erp", "erp.sync"),
    Area("audit", AUDIT, "audit.view"),
    Area("dead_letters", DEAD_LETTERS, "dead_letters.view"),
    Area("staff", STAFF, "staff.manage"),
    Area("api_tokens", API_TOKENS, "staff.manage"),
)
AREAS_BY_KEY = {a.key: a for a in AREAS}
