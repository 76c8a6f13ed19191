"""The ports services use — delivery, addresses, payments (and, as they come, ERP, images, AI) —
provided by the composition root (``smo_app/composition.py``) and asked for here by job:

    port = ports.delivery()          # a DeliveryPort, or None: "the manager calculates delivery"
    port = ports.payment("yookassa") # a PaymentPort, or None when that method is off

A service never builds an adapter or reads a vendor's settings. The root registers a factory per
port (built on first use, once per process); tests replace a port with :func:`use` and drop what
was built with :func:`reset`. Asking before the root has started is a programming error, not "off".
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from integrations.ports.address import AddressPort
from integrations.ports.assistant import AssistantConnector
from integrations.ports.backup_store import BackupStoreConnector
from integrations.ports.delivery import DeliveryPort
from integrations.ports.erp import ErpConnector
from integrations.ports.images import ImagePort
from integrations.ports.payment import PaymentPort
from integrations.ports.telegram_files import TelegramFilesPort
from integrations.ports.telegram_stars import TelegramStarsPort
from integrations.ports.webhooks_out import WebhookSender

DELIVERY = "delivery"
ADDRESS = "address"
ERP = "erp"  # an ErpConnector: connect(token=…, …) -> ErpPort
IMAGES = "images"
WAYBILLS = "waybills"  # the carrier's waybill API (CDEK), a WaybillPort
BACKUP_STORE = "backup_store"  # a BackupStoreConnector: (owner's set-up) -> BackupStorePort | None
WEBHOOKS = "webhooks"  # outbound webhooks to the staff API's subscribers, a WebhookSender
TELEGRAM_FILES = "telegram_files"  # support photos read back by file id, a TelegramFilesPort
TELEGRAM_STARS = "telegram_stars"  # the bot's Stars balance (paid broadcasts), a TelegramStarsPort
ASSISTANT = "assistant"  # an AssistantConnector: (base URL, model, key, timeout) -> ChatModelPort
PAYMENT = "payment:"  # + the payment method ("yookassa", "stripe", "telegram", "stars")
PAYMENT_BUILDER = "payment-builder"  # (method, settings) -> PaymentPort | None: a "check connection" client

_factories: dict[str, Callable[[], Any]] = {}
_built: dict[str, Any] = {}
_fresh_for: dict[str, float] = {}  # name → seconds a built port is kept before its factory is asked again
_built_at: dict[str, float] = {}
_overrides: dict[str, Any] = {}
_lock = threading.Lock()


class PortsNotProvided(RuntimeError):
    """A service asked for a port in a process whose composition root has not started."""


def provide(name: str, factory: Callable[[], Any], *, fresh_for: float | None = None) -> None:
    """The composition root: ``name`` is served by ``factory()`` (built once, on first use; with
    ``fresh_for``, asked again after that many seconds — settings an owner changes on a screen)."""
    with _lock:
        _factories[name] = factory
        _built.pop(name, None)
        if fresh_for is not None:
            _fresh_for[name] = fresh_for


def rebuild(prefix: str) -> None:
    """Forget what was built for the names starting with ``prefix`` (the settings changed)."""
    with _lock:
        for name in [n for n in _built if n.startswith(prefix)]:
            del _built[name]


def provided() -> bool:
    return bool(_factories)


def use(name: str, port: Any) -> None:
    """Serve ``name`` with ``port`` whatever the factories say (tests, the demo); None turns it off."""
    _overrides[name] = port


def reset() -> None:
    """Forget overrides and what was built (the next use builds again from the current settings)."""
    with _lock:
        _overrides.clear()
        _built.clear()


def get(name: str) -> Any:
    if name in _overrides:
        return _overrides[name]
    if not _factories:
        raise PortsNotProvided("smo_app.composition.start() has not run in this process")
    with _lock:
        stale = name in _fresh_for and time.monotonic() - _built_at.get(name, 0.0) > _fresh_for[name]
        if name not in _built or stale:
            factory = _factories.get(name)
            _built[name] = factory() if factory is not None else None
            _built_at[name] = time.monotonic()
        return _built[name]


def delivery() -> DeliveryPort | None:
    return get(DELIVERY)


def address() -> AddressPort | None:
    return get(ADDRESS)


def payment(method: str) -> PaymentPort | None:
    return get(PAYMENT + method)


def payment_builder() -> Callable[[str, Any], PaymentPort | None]:
    return get(PAYMENT_BUILDER)


def erp() -> ErpConnector | None:
    return get(ERP)


def images() -> ImagePort:
    return get(IMAGES)


def waybills():
    """The carrier's waybill API (``integrations.ports.delivery.WaybillPort``), or None."""
    return get(WAYBILLS)


def webhooks() -> WebhookSender | None:
    """Outbound webhooks to the staff API's subscribers (None: off)."""
    return get(WEBHOOKS)


def telegram_files() -> TelegramFilesPort | None:
    """Support photos read back from Telegram (None: no bot token)."""
    return get(TELEGRAM_FILES)


def telegram_stars() -> TelegramStarsPort | None:
    """The shop bot's Telegram Stars balance (None: no bot token)."""
    return get(TELEGRAM_STARS)


def assistant() -> AssistantConnector:
    """Builds the support assistant's chat model for one key of the owner's endpoint."""
    return get(ASSISTANT)


def backup_store() -> BackupStoreConnector:
    """Builds the off-site store of backup archives from the owner's set-up (None: incomplete)."""
    return get(BACKUP_STORE)
