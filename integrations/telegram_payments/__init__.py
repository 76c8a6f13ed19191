"""Telegram Payments (invoice links, Stars): ``port``, ``client``, :func:`from_settings`. The fake is
the fake Bot API (``tests/fakes/telegram_api.py``)."""
from __future__ import annotations

from integrations.ports.payment import PaymentPort


def from_settings(settings, *, stars: bool = False) -> PaymentPort | None:
    """Needs the bot token; card payments also need ``SMO_TELEGRAM_PAYMENTS_PROVIDER_TOKEN``
    (Stars need none)."""
    from integrations.telegram_payments.client import TelegramPaymentsClient

    if settings.bot_token is None:
        return None
    provider_token = settings.telegram_payments_provider_token
    if not stars and provider_token is None:
        return None
    return TelegramPaymentsClient(bot_token=settings.bot_token.get_secret_value(),
                                  provider_token=provider_token.get_secret_value() if provider_token else None,
                                  stars=stars, api_base=settings.telegram_api_base,
                                  timeout=settings.payments_timeout_seconds)
