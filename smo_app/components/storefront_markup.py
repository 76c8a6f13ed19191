"""What the server draws of the Mini App before its scripts run — the slots the page leaves for the
first screen, the tab bar's tabs and the inline icons — in plain Python (no Reflex, no state), so
the page's components and the API's ``GET /`` (smo_app/api/storefront_page.py) share one definition.
"""
from __future__ import annotations

SHOP_NAME_ID = "shop-name"  # the header's heading (storefront.store_header)
FIRST_PAINT_URL = "/api/storefront/first-paint"

# Where the server puts the first screen when it serves this page (smo_app/api/storefront_page.py):
# the first-paint data as a script in FIRST_DATA_SLOT, ahead of everything else the page runs, and
# the catalog's first page as plain HTML in FIRST_SCREEN_SLOT, in place of the spinner. Both are
# empty ``dangerouslySetInnerHTML`` elements to React, which never hydrates or patches what is
# inside such an element; the screen slot goes with the spinner when the page leaves ``boot``.
FIRST_DATA_SLOT = "sf-first-data"
FIRST_SCREEN_SLOT = "sf-first-screen"


# A few icons drawn inline (lucide's shapes, ISC licence, as rx.icon draws them): their icon
# modules are shared with other pages, so each would be one more script request on the Mini App's
# first load.
ICONS: dict[str, tuple[tuple[str, dict[str, str]], ...]] = {
    "x": (("path", {"d": "M18 6 6 18"}), ("path", {"d": "m6 6 12 12"})),
    "chevron-left": (("path", {"d": "m15 18-6-6 6-6"}),),
    "message-circle": (("path", {"d": "M7.9 20A9 9 0 1 0 4 16.1L2 22Z"}),),
    "send": (("path", {"d": "M14.536 21.686a.5.5 0 0 0 .937-.024l6.5-19a.496.496 0 0 0-.635-.635l-19 6.5a.5.5 0 0 0"
                            "-.024.937l7.93 3.18a2 2 0 0 1 1.112 1.11z"}),
             ("path", {"d": "m21.854 2.147-10.94 10.939"})),
    "store": (("path", {"d": "M15 21v-5a1 1 0 0 0-1-1h-4a1 1 0 0 0-1 1v5"}),
              ("path", {"d": "M17.774 10.31a1.12 1.12 0 0 0-1.549 0 2.5 2.5 0 0 1-3.451 0 1.12 1.12 0 0 0-1.548 0 "
                             "2.5 2.5 0 0 1-3.452 0 1.12 1.12 0 0 0-1.549 0 2.5 2.5 0 0 1-3.77-3.248l2.889-4.184A2 2 "
                             "0 0 1 7 2h10a2 2 0 0 1 1.653.873l2.895 4.192a2.5 2.5 0 0 1-3.774 3.244"}),
              ("path", {"d": "M4 10.95V19a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-8.05"})),
    "shopping-cart": (("circle", {"cx": "8", "cy": "21", "r": "1"}), ("circle", {"cx": "19", "cy": "21", "r": "1"}),
                      ("path", {"d": "M2.05 2.05h2l2.66 12.42a2 2 0 0 0 2 1.58h9.78a2 2 0 0 0 1.95-1.57l1.65-7.43H5.12"})),
    "package": (("path", {"d": "M11 21.73a2 2 0 0 0 2 0l7-4A2 2 0 0 0 21 16V8a2 2 0 0 0-1-1.73l-7-4a2 2 0 0 0-2 0l-7 "
                               "4A2 2 0 0 0 3 8v8a2 2 0 0 0 1 1.73z"}),
                ("path", {"d": "M12 22V12"}), ("polyline", {"points": "3.29 7 12 12 20.71 7"}),
                ("path", {"d": "m7.5 4.27 9 5.15"})),
    "gift": (("path", {"d": "M12 7v14"}), ("path", {"d": "M20 11v8a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2v-8"}),
             ("path", {"d": "M7.5 7a1 1 0 0 1 0-5A4.8 8 0 0 1 12 7a4.8 8 0 0 1 4.5-5 1 1 0 0 1 0 5"}),
             ("rect", {"x": "3", "y": "7", "width": "18", "height": "4", "rx": "1"})),
    "calendar": (("path", {"d": "M8 2v4"}), ("path", {"d": "M16 2v4"}),
                 ("rect", {"width": "18", "height": "18", "x": "3", "y": "4", "rx": "2"}), ("path", {"d": "M3 10h18"})),
}


def icon_svg(name: str, size: int = 16) -> str:
    """``components.storefront.sf_icon`` as HTML, for the server-drawn first screen."""
    shapes = "".join("<%s %s></%s>" % (tag, " ".join(f'{k}="{v}"' for k, v in attrs.items()), tag)
                     for tag, attrs in ICONS[name])
    return (f'<svg viewBox="0 0 24 24" width="{size}" height="{size}" class="sf-icon" aria-hidden="true">'
            f"{shapes}</svg>")


# the tab bar's tabs: (key, icon, the screens where it is the active one)
TABS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("catalog", "store", ("catalog", "product")),
    ("cart", "shopping-cart", ("cart", "checkout")),
    ("orders", "package", ("orders", "order")),
    ("bookings", "calendar", ("bookings", "booking_days", "booking_contact", "booking_done", "my_bookings")),
    ("bonuses", "gift", ("bonuses",)),
)
