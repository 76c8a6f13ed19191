"""/pos/receipt?id=N — the receipt, printable on an 80 mm printer, or sent to the customer's Telegram."""
import reflex as rx

from smo_app import routes
from smo_app.components.common import guarded
from smo_app.components.pos import pos_frame
from smo_app.components.pos_sale import receipt_view, top_bar
from smo_app.components.registry import page
from smo_app.state.pos_receipt import PosReceiptState
from smo_app.state.session import SessionState


@page(routes.POS_RECEIPT, title="smo — POS", on_load=[SessionState.guard_pos, PosReceiptState.load])
def pos_receipt() -> rx.Component:
    return guarded(routes.POS, pos_frame(receipt_view(), right=top_bar()))
