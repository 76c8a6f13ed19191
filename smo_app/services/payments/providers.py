"""Which port serves a payment method. The edge builds ports from settings; tests put their own."""
from __future__ import annotations

from integrations.payment_port import PaymentPort
from smo_app.models.payments import PaymentProvider
from smo_app.services.core.errors import DomainError

_overrides: dict[str, PaymentPort | None] = {}
_cache: dict[str, PaymentPort | None] = {}


def use_port(provider: str, port: PaymentPort | None) -> None:
    """Serve ``provider`` with ``port`` (tests, demo); ``None`` turns it off."""
    _overrides[provider] = port


def reset_ports() -> None:
    _overrides.clear()
    _cache.clear()


def enabled_methods(settings=None) -> list[str]:
    from smo_app.settings import get_settings

    settings = settings or get_settings()
    known = {p.value for p in PaymentProvider}
    return [m for m in settings.enabled_payment_methods if m in known]


def port_for(provider: str, settings=None) -> PaymentPort | None:
    """The port for ``provider`` (``None`` for manual, which needs none)."""
    if provider in _overrides:
        return _overrides[provider]
    if provider == PaymentProvider.manual:
        return None
    if provider not in _cache:
        from smo_app.settings import get_settings

        settings = settings or get_settings()
        if provider == PaymentProvider.yookassa:
            from integrations.yookassa import from_settings
        elif provider == PaymentProvider.stripe:
            from integrations.stripe import from_settings
        elif provider in (PaymentProvider.telegram, PaymentProvider.stars):
            from integrations.telegram_payments import from_settings as _tg

            def from_settings(s, _p=provider):
                return _tg(s, stars=_p == PaymentProvider.stars)
        else:
            raise DomainError("payment.method_unknown", f"unknown payment method {provider}", method=provider)
        _cache[provider] = from_settings(settings)
    return _cache[provider]


def require_port(provider: str) -> PaymentPort:
    port = port_for(provider)
    if port is None:
        raise DomainError("payment.method_unavailable", f"{provider} is not configured", method=provider)
    return port
