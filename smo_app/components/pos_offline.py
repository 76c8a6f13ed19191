"""What the offline script (``assets/pos_offline.js``) needs on the sale screen: the cart as it can
sell it, its texts in the screen's language, the input it reports back through, the script itself."""
from __future__ import annotations

import reflex as rx

from smo_app.components.common import T
from smo_app.state.pos_sale import PosState

SCRIPT = "/pos_offline.js"
TEXTS = {"offline": "ui.pos.offline", "unsent": "ui.pos.unsent", "saved": "ui.pos.offline_saved",
         "sent": "ui.pos.offline_sent", "refused": "ui.pos.offline_refused", "retry": "ui.pos.offline_retry",
         "cash-short": "ui.pos.offline_cash_short", "change": "ui.pos.offline_change"}


def offline_support() -> rx.Component:
    hidden = {"display": "none"}
    return rx.fragment(
        rx.el.div(id="pos-offline-cart", data_cart=PosState.offline_cart, style=hidden),
        rx.el.div(id="pos-offline-texts", style=hidden, **{f"data_{k.replace('-', '_')}": T(v) for k, v in TEXTS.items()}),
        rx.el.input(id="pos-offline-sink", type="text", tab_index=-1, aria_hidden="true",
                    on_change=PosState.offline_synced,
                    style={"position": "absolute", "left": "-9999px", "width": "1px", "height": "1px", "opacity": 0}),
        rx.script(src=SCRIPT),
    )
