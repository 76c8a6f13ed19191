"""Which port serves a payment method: asked of the ports the composition root provides
(``smo_app/composition.py``); tests replace one with :func:`use_port`."""
from __future__ import annotations

from integrations.ports.payment import PaymentPort
from smo_app.models.payments import PaymentProvider
from smo_app.services.core import ports
from smo_app.services.core.errors import DomainError
from smo_app.settings import get_settings


def use_port(provider: str, port: PaymentPort | None) -> None:
    """Serve ``provider`` with ``port`` (tests, demo); ``None`` turns it off."""
    ports.use(ports.PAYMENT + provider, port)


def reset_ports() -> None:
    ports.reset()


def enabled_methods(settings=None) -> list[str]:
    settings = settings or get_settings()
    known = {p.value for p in PaymentProvider}
    return [m for m in settings.enabled_payment_methods if m in known]


def port_for(provider: str) -> PaymentPort | None:
    """The port for ``provider`` (``None`` for manual, which needs none, or a method switched off)."""
    if provider not in {p.value for p in PaymentProvider}:
        raise DomainError("payment.method_unknown", f"unknown payment method {provider}", method=provider)
    return ports.payment(provider)


def require_port(provider: str) -> PaymentPort:
    port = port_for(provider)
    if port is None:
        raise DomainError("payment.method_unavailable", f"{provider} is not configured", method=provider)
    return port
