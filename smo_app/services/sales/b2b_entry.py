"""The orders page's B2B / offline entry (OR8) as staff type it: one ``variant_id qty price`` line
per item (price in rubles; blank lines and ``#`` comments skipped, ``;`` and ``:`` separate too), the
customer's number from their card (or none), the delivery in rubles (empty: none)."""
from __future__ import annotations

from sqlmodel import Session

from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import ValidationFailed
from smo_app.services.core.form_input import optional_amount, optional_whole_number
from smo_app.services.sales import b2b
from smo_app.services.sales.order_dto import OrderOut
from smo_app.services.stock import line_parser


def parse_b2b_lines(text: str) -> tuple[list[dict], list[int]]:
    """``variant_id qty price`` per line → item dicts, and the numbers of the lines that are not
    (a quantity below 1 included). Read by the app's one ``ID qty`` parser, with its price column."""
    parsed = line_parser.parse_lines(text, priced=True)
    bad = {e.row for e in parsed.errors} | {ln.row for ln in parsed.lines if ln.qty < 1}
    items = [{"variant_id": ln.variant_id, "qty": ln.qty, "unit_price_minor": ln.unit_price_minor}
             for ln in parsed.lines if ln.row not in bad]
    return items, sorted(bad)


def create_b2b_as_typed(session: Session, *, actor: Actor, lines: str, customer: str = "", buyer: str = "",
                        delivery: str = "", payer: str = "buyer", comment: str = "") -> OrderOut:
    items, bad = parse_b2b_lines(lines)
    if bad:
        raise ValidationFailed("order.b2b_lines_invalid", f"bad lines {bad}", field="lines",
                               lines=", ".join(map(str, bad)))
    customer_id = optional_whole_number(customer, "order.b2b_customer_invalid", field="customer", minimum=0)
    delivery_minor = optional_amount(delivery, "order.b2b_delivery_invalid", field="delivery") or 0
    return b2b.create_b2b_order(session, actor=actor, items=items, customer_id=customer_id, buyer_name=(buyer or "").strip(),
                                delivery_minor=delivery_minor, delivery_payer=payer or "buyer", comment=comment)
