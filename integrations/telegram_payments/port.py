"""Telegram Payments through the Bot API: invoice links (``createInvoiceLink``) for a payment
provider's token or for Telegram Stars (``XTR``, empty provider token), and Stars refunds
(``refundStarPayment``). Payments arrive as bot updates (``pre_checkout_query``, then a message with
``successful_payment``), not as webhooks; the sidecar handles them.

The invoice ``payload`` names our payment row: ``smo:pay:<payment id>``.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from integrations.ports.payment import PaymentPort

__all__ = ["LabeledPrice", "PaymentPort", "invoice_payload", "payment_id_of"]

PAYLOAD_PREFIX = "smo:pay:"


class LabeledPrice(BaseModel):
    model_config = ConfigDict(extra="ignore")

    label: str
    amount: int  # minor units of the currency (kopecks); whole stars for XTR


def invoice_payload(payment_id: int) -> str:
    return f"{PAYLOAD_PREFIX}{payment_id}"


def payment_id_of(payload: str | None) -> int | None:
    if not payload or not payload.startswith(PAYLOAD_PREFIX):
        return None
    tail = payload[len(PAYLOAD_PREFIX):]
    return int(tail) if tail.isdigit() else None
