"""Support photos read back from Telegram (``ports.telegram_files``): :func:`from_settings` — the
shop's bot token and Bot API address (``SMO_TELEGRAM_API_BASE`` for a local Bot API server or the
tests' fake), or None without a token (the backoffice then names the photo without showing it)."""
from __future__ import annotations

from integrations.ports.telegram_files import TelegramFilesPort


def from_settings(settings) -> TelegramFilesPort | None:
    from integrations.telegram_files.client import TelegramFilesClient

    if settings.bot_token is None:
        return None
    return TelegramFilesClient(token=settings.bot_token.get_secret_value(),
                               base_url=(settings.telegram_api_base or "https://api.telegram.org").rstrip("/"))
