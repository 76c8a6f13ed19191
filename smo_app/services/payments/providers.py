"""Which port serves a payment method: asked of the ports the composition root provides
(``smo_app/composition.py``); tests replace one with :func:`use_port`."""
from __future__ import annotations

from collections.abc import Callable

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


# Payments that are not an order's (a booking's deposit): a payer that knows the provider's payment
# id applies the provider's facts about it itself. Installed by the composition root (payments
# knows no payer); ``core.apply_provider_payment`` and ``refund_sync`` ask here first.
_OTHER_PAYERS: list[tuple[Callable[..., bool], Callable[..., object]]] = []


def register_other_payer(owns: Callable[..., bool], apply: Callable[..., object]) -> None:
    """``owns(session, provider=, provider_payment_id=)``: the payment is theirs;
    ``apply(session, provider=, fact=, now=)``: credit a payment fact once (an ``ApplyOut``)."""
    if all(o is not owns for o, _ in _OTHER_PAYERS):
        _OTHER_PAYERS.append((owns, apply))


def other_payer(session, *, provider: str, provider_payment_id: str | None) -> Callable[..., object] | None:
    """The ``apply`` of the payer that owns this provider payment, if it is not an order's."""
    if not provider_payment_id:
        return None
    for owns, apply in _OTHER_PAYERS:
        if owns(session, provider=provider, provider_payment_id=provider_payment_id):
            return apply
    return None
