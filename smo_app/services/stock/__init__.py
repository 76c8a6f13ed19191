"""Stock: ``ledger`` (moves — the only way on-hand quantity changes — the average cost, reading),
``supplies`` (suppliers and received supplies), ``adjustments`` (edits, write-offs, counts,
returns; typed lines in, row error codes out), ``subscriptions`` (back-in-stock), and
``line_parser`` (the screen's ``ID qty`` text → typed lines)."""
