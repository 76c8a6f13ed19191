"""Telegram Payments' side of the payment port that needs no Bot API call: a refund's status."""
from __future__ import annotations

import httpx
import pytest

from integrations.http import ProviderRejected
from integrations.ports.payment import PaymentPort
from integrations.telegram_payments.client import TelegramPaymentsClient


def _client(stars: bool) -> TelegramPaymentsClient:
    def no_call(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"unexpected Bot API call {request.url.path}")

    return TelegramPaymentsClient(bot_token="1:token", provider_token=None if stars else "381764678:TEST:100",
                                  stars=stars, transport=httpx.MockTransport(no_call))


def test_a_stars_refund_is_done_once_made_and_card_payments_are_never_refunded_here():
    stars, cards = _client(stars=True), _client(stars=False)
    assert isinstance(stars, PaymentPort)
    # refundStarPayment answers at once, so asking about the refund (its id is the charge id) says succeeded
    refund = stars.get_refund("stxCharge42")
    assert (refund.provider, refund.id, refund.payment_id, refund.status, refund.currency) == \
        ("stars", "stxCharge42", "stxCharge42", "succeeded", "XTR")
    with pytest.raises(ProviderRejected):
        cards.get_refund("anything")
