"""Analytics and reports (AN1–AN5): express summary, revenue by day, P&L, ABC, stock valuation,
manual revenue entries, Excel files and the weekly owner digest.

Everything aggregates in SQL over shop-local days (``periods``); money stays integer minor units
until a file or a message formats it. Reading needs ``analytics.view`` (stock valuation also
``stock.manage``); manual entries are written by the owner (``analytics.manual``).
"""
