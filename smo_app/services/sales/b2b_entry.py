"""The orders page's B2B / offline entry (OR8) as staff type it: one ``variant_id qty price`` line
per item (price in rubles; blank lines and ``#`` comments skipped, ``;`` separates too), the
customer's number from their card (or none), the delivery in rubles (empty: none)."""
from __future__ import annotations

from sqlmodel import Session

from smo_app.money import parse_money
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import ValidationFailed
from smo_app.services.core.form_input import optional_amount, optional_whole_number
from smo_app.services.sales import b2b
from smo_app.services.sales.order_dto import OrderOut


def parse_b2b_lines(text: str) -> tuple[list[dict], list[int]]:
    """``variant_id qty price`` per line → item dicts, and the numbers of the lines that are not."""
    items, bad = [], []
    for no, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.replace(";", " ").split()
        try:
            if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or int(parts[1]) < 1:
                raise ValueError(line)
            items.append({"variant_id": int(parts[0]), "qty": int(parts[1]), "unit_price_minor": parse_money(parts[2])})
        except ValueError:
            bad.append(no)
    return items, bad


def create_b2b_as_typed(session: Session, *, actor: Actor, lines: str, customer: str = "", buyer: str = "",
                        delivery: str = "", payer: str = "buyer", comment: str = "") -> OrderOut:
    items, bad = parse_b2b_lines(lines)
    if bad:
        raise ValidationFailed("order.b2b_lines_invalid", f"bad lines {bad}", field="lines",
                               lines=", ".join(map(str, bad)))
    customer_id = optional_whole_number(customer, "order.b2b_customer_invalid", field="customer", minimum=0)
    delivery_minor = optional_amount(delivery, "common.amount_invalid", field="delivery") or 0
    return b2b.create_b2b_order(session, actor=actor, items=items, customer_id=customer_id, buyer_name=(buyer or "").strip(),
                                delivery_minor=delivery_minor, delivery_payer=payer or "buyer", comment=comment)
