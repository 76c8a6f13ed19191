"""Payments (PA1–PA4): start a payment for an order through a provider port, apply a verified
"paid" fact exactly once through the order state machine, dead-letter what cannot be credited,
refunds, manual transfers with a proof, and reconciliation with the providers.

Modules: ``dto`` (what screens get), ``providers`` (which port serves a method), ``core`` (create
and apply), ``refunds``, ``manual``, ``reconcile``, ``telegram`` (invoice links, pre-checkout),
``webhook_sources`` (the inbox wiring), ``admin`` (the backoffice list and dead-letter actions).
"""
