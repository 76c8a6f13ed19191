"""Every page module; importing this package records the pages (components.registry)."""
from smo_app.pages.admin import (  # noqa: F401
    analytics, audit, broadcasts, catalog, customers, dashboard, dead_letters, login, orders, payments, profile, promotions,
    settings, staff, warehouse,
)
from smo_app.pages.admin import api_tokens, backups, bookings, erp, support  # noqa: F401
from smo_app.pages.pos import home as pos_home, login as pos_login, profile as pos_profile  # noqa: F401
from smo_app.pages.pos import admin_sales as pos_admin_sales, receipt as pos_receipt, returns as pos_returns  # noqa: F401
from smo_app.pages.pos import shift as pos_shift, display as pos_display  # noqa: F401
from smo_app.pages.storefront import home as storefront_home, wheel as storefront_wheel  # noqa: F401
