"""Telegram Payments (PA1): answer ``pre_checkout_query`` inside the handler (Telegram allows 10 s:
never behind a queue) and turn ``successful_payment`` into the paid event, once per charge id."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message, PreCheckoutQuery

from smo_app.calling import BoundCalls
from smo_app.i18n import t
from smo_app.services.payments import telegram as telegram_payments


async def pre_checkout(query: PreCheckoutQuery, calls: BoundCalls, lang: str) -> None:
    out = await calls(telegram_payments.check_pre_checkout, payload=query.invoice_payload, currency=query.currency,
                      total_amount=query.total_amount, readonly=True)
    refusal = out.value if out.ok else telegram_payments.PRE_CHECKOUT_REFUSED  # a failed check refuses at once
    if refusal is None:
        await query.answer(ok=True)
    else:
        await query.answer(ok=False, error_message=t(refusal, lang))


async def successful_payment(message: Message, calls: BoundCalls) -> None:
    paid = message.successful_payment.model_dump(mode="json", exclude_none=True)
    (await calls(telegram_payments.record_successful_payment, successful_payment=paid,
                 telegram_id=message.from_user.id if message.from_user else None)).unwrap()


def build_router() -> Router:
    router = Router(name="payments")
    router.pre_checkout_query.register(pre_checkout)
    router.message.register(successful_payment, F.successful_payment)
    return router
