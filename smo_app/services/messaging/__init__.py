"""Messages leaving the shop: the outbox, broadcasts, bot content, reminders, staff alerts, error reports."""
