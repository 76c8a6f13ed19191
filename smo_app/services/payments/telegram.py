"""Telegram Payments in the sidecar: the pre-checkout answer (Telegram waits at most 10 s, so it is
answered inside the handler from the database, never queued) and the successful payment, stored in
the webhook inbox under its ``telegram_payment_charge_id`` (a repeated update is a duplicate) and
applied once like any provider's "paid"."""
from __future__ import annotations

import json

from sqlmodel import Session

from integrations.ports.payment import ProviderPayment
from integrations.telegram_payments.port import payment_id_of
from smo_app.models.orders import Order, OrderStatus
from smo_app.models.payments import Payment, PaymentProvider, PaymentStatus
from smo_app.services.core.actor import Actor
from smo_app.services.integrations import webhooks
from smo_app.services.payments import providers
from smo_app.services.payments.core import apply_provider_payment

TELEGRAM_PROVIDERS = (PaymentProvider.telegram.value, PaymentProvider.stars.value)
PRE_CHECKOUT_REFUSED = "bot.pay.precheckout_refused"


def check_pre_checkout(session: Session, *, actor: Actor | None = None, payload: str, currency: str,
                       total_amount: int) -> str | None:
    """None when the payment may go ahead; otherwise the i18n key of the refusal. Reads only.

    ``actor`` is whoever pressed Pay, as the bot's seam resolved them: an invoice may be paid by
    anyone it reaches, so it is not checked."""
    try:
        payment_id = payment_id_of(payload)
        if payment_id is None:  # not an order's payment (a booking's deposit): its payer answers
            check = providers.other_pre_checkout(session, provider=_provider_of(currency), reference=payload)
            return PRE_CHECKOUT_REFUSED if check is None else check(
                session, provider=_provider_of(currency), reference=payload, currency=currency, total_amount=total_amount)
        payment = session.get(Payment, payment_id)
        if payment is None or payment.provider not in TELEGRAM_PROVIDERS:
            return PRE_CHECKOUT_REFUSED
        order = session.get(Order, payment.order_id)
        if order is None or order.status != OrderStatus.new or payment.status != PaymentStatus.pending:
            return PRE_CHECKOUT_REFUSED
        if (payment.amount_minor, payment.currency.upper()) != (total_amount, (currency or "").upper()):
            return PRE_CHECKOUT_REFUSED
        if payment.currency != "XTR" and payment.amount_minor != order.total_minor:
            return PRE_CHECKOUT_REFUSED
        return None
    finally:
        session.rollback()


def _provider_of(currency: str | None) -> str:
    return PaymentProvider.stars.value if (currency or "").upper() == "XTR" else PaymentProvider.telegram.value


def _handle(session: Session, event: webhooks.WebhookEventOut) -> None:
    data = json.loads(event.body)
    payload = data.get("invoice_payload")
    payment_id = payment_id_of(payload)
    payment = session.get(Payment, payment_id) if payment_id is not None else None
    provider = payment.provider if payment is not None else event.provider
    fact = ProviderPayment(provider=provider, id=data["telegram_payment_charge_id"], status="succeeded",
                           amount_minor=int(data["total_amount"]), currency=str(data["currency"]).upper(),
                           payment_id=payment.id if payment is not None else None,
                           order_id=payment.order_id if payment is not None else None,
                           reference=payload if payment_id is None else None)
    apply_provider_payment(session, provider=provider, fact=fact)


def record_successful_payment(session: Session, *, actor: Actor | None = None, successful_payment: dict,
                              telegram_id: int | None = None) -> str:
    """Store the ``successful_payment`` once (by its charge id) and credit it once. Returns the
    inbox outcome: ``processed``, ``duplicate``, ``already``, ``dead`` or ``failed``. Telegram's
    update is the proof, whoever the payer (``actor``, as the bot's seam resolved them) is."""
    charge_id = str(successful_payment.get("telegram_payment_charge_id") or "")
    provider = _provider_of(successful_payment.get("currency"))
    body = json.dumps({**successful_payment, "from_id": telegram_id}, ensure_ascii=False)
    # Telegram's update is the proof (the bot verified it): stored and applied in one transaction
    out = webhooks.receive_and_apply(session, provider=provider, event_id=charge_id, body=body, handler=_handle)
    return "duplicate" if out.received == "duplicate" and out.outcome == "already" else out.outcome
