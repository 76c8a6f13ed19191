"""The shop bot's Stars balance (``ports.telegram_stars``): :func:`from_settings` — the bot token and
Bot API address (``SMO_TELEGRAM_API_BASE``: a local Bot API server or the tests' fake), or None
without a token (the broadcasts page then says the balance is unavailable)."""
from __future__ import annotations

from integrations.ports.telegram_stars import TelegramStarsPort


def from_settings(settings) -> TelegramStarsPort | None:
    from integrations.telegram_stars.client import TelegramStarsClient

    if settings.bot_token is None:
        return None
    return TelegramStarsClient(token=settings.bot_token.get_secret_value(),
                               base_url=(settings.telegram_api_base or "https://api.telegram.org").rstrip("/"))
