"""The shop bot's Telegram Stars balance (paid broadcasts are paid from it): the port. Adapter:
``integrations/telegram_stars`` (Bot API ``getMyStarBalance``)."""
from __future__ import annotations

from typing import NamedTuple, Protocol, runtime_checkable

NANOSTARS_PER_STAR = 1_000_000_000


class StarBalance(NamedTuple):
    """Bot API ``StarAmount``: whole Stars and the fraction in nanostars (10⁻⁹ Star)."""

    amount: int
    nanostar_amount: int = 0

    @property
    def nanostars(self) -> int:
        return self.amount * NANOSTARS_PER_STAR + self.nanostar_amount


@runtime_checkable
class TelegramStarsPort(Protocol):
    def star_balance(self) -> StarBalance | None:
        """The bot's balance now, or None when Telegram cannot be reached or refuses."""
