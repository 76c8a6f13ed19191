"""Stock: the ledger of moves (the only way on-hand quantity changes), supplies, write-offs, counts, back-in-stock subscriptions."""
