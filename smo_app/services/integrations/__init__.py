"""Integration bookkeeping: the inbound webhook inbox (stored raw first, unique by provider and
event id, applied once) and dead letters (events and provider calls that need a person).
Provider adapters themselves live in the top-level ``integrations/`` package."""
