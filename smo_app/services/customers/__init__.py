"""Customers: registration from Telegram, deep links, the loyalty ledger and referral rewards, tracking links."""
