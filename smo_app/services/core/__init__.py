"""Cross-cutting pieces every use case uses: the actor, domain errors, transactions, the role matrix, leases, the audit log and the shop settings."""
