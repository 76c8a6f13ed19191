"""Messages leaving the shop: the outbox (Telegram lane and task lane), broadcasts, staff alerts and
the daily summary, error reports to the owner, the sidecar's presence. Builds on ``core`` only: the
bot's own answers live in ``services/bot``, the abandoned-cart reminders in ``sales``."""
