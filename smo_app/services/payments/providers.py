"""Which port serves a payment method: asked of the ports the composition root provides
(``smo_app/composition.py``); tests replace one with :func:`use_port`."""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

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
# id, or the reference it started the payment with (Telegram's invoice payload), applies the
# provider's facts about it itself and answers Telegram's pre-checkout for it. Installed by the
# composition root (payments knows no payer); ``core.apply_provider_payment``, ``refund_sync`` and
# ``telegram.check_pre_checkout`` ask here first.
class OtherPayer(NamedTuple):
    owns: Callable[..., bool]
    apply: Callable[..., object]
    check: Callable[..., str | None] | None = None


_OTHER_PAYERS: list[OtherPayer] = []


def register_other_payer(owns: Callable[..., bool], apply: Callable[..., object],
                         check: Callable[..., str | None] | None = None) -> None:
    """``owns(session, provider=, provider_payment_id=, reference=None)``: the payment is theirs;
    ``apply(session, provider=, fact=, now=)``: credit a payment fact once (an ``ApplyOut``);
    ``check(session, provider=, reference=, currency=, total_amount=)``: Telegram's pre-checkout
    for a payment they started (None: go ahead; else the i18n key of the refusal)."""
    if all(p.owns is not owns for p in _OTHER_PAYERS):
        _OTHER_PAYERS.append(OtherPayer(owns, apply, check))


def _owner(session, provider: str, provider_payment_id: str | None, reference: str | None) -> OtherPayer | None:
    if not provider_payment_id and not reference:
        return None
    return next((p for p in _OTHER_PAYERS if p.owns(session, provider=provider, provider_payment_id=provider_payment_id,
                                                    reference=reference)), None)


def other_payer(session, *, provider: str, provider_payment_id: str | None,
                reference: str | None = None) -> Callable[..., object] | None:
    """The ``apply`` of the payer that owns this provider payment, if it is not an order's."""
    payer = _owner(session, provider, provider_payment_id, reference)
    return payer.apply if payer is not None else None


def other_pre_checkout(session, *, provider: str, reference: str | None) -> Callable[..., str | None] | None:
    """The pre-checkout ``check`` of the payer that started the payment named ``reference``."""
    payer = _owner(session, provider, None, reference)
    return payer.check if payer is not None else None
