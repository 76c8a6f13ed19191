"""Process wiring for payments: the outbox task handlers (the sidecar calls :func:`install` once)."""
from __future__ import annotations


def install() -> None:
    from smo_app.services.payments import refund_sync, refunds

    refunds.install()
    refund_sync.install()
