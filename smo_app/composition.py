"""The composition root: the one place that builds the ports from settings and installs the
event subscribers and outbox task handlers. The web app (``smo_app/smo_app.py``), the bot sidecar
(``python -m bot_sidecar``), the CLI and the tests call :func:`start` once before anything else;
nothing registers itself on import.

    from smo_app import composition
    composition.start()                                  # idempotent
    composition.use(delivery=FakeDeliveryPort())         # a test replaces a port

Ports are named after the job (``integrations/ports/``); which vendor adapter serves each is
decided here from the settings — a new integration adds its factory below and, if it reacts to
order events, its subscriber in :func:`_install_handlers`.
"""
from __future__ import annotations

import logging
import sys
import threading
from typing import Any

from smo_app.models.payments import PaymentProvider
from smo_app.services.core import ports
from smo_app.settings import get_settings

log = logging.getLogger(__name__)
# How long a thread may hold the GIL while another waits for it (Python's default: 5 ms). Services
# run in worker threads beside an event loop (the web workers' Reflex loop, the sidecar's aiogram
# loop); the loop wakes several times per event (a frame in, each Redis or database reply, a frame
# out) and behind a busy service thread each wake may wait up to the whole interval. 1 ms keeps the
# hand-over short (bench/support.py measured it for the sidecar).
SWITCH_INTERVAL = 0.001
_started = False
_lock = threading.Lock()


# -- ports: one factory each, reading the settings when first used ----------------------------------

def _delivery():
    from integrations import cdek

    return cdek.from_settings(get_settings())


def _address():
    from integrations import dadata

    return dadata.from_settings(get_settings())


def _erp():
    from integrations import moysklad

    return moysklad.from_settings(get_settings())


def _images():
    from integrations.images import from_settings

    return from_settings(get_settings())


def _waybills():
    from integrations.cdek import waybills_from_settings

    return waybills_from_settings(get_settings())


def _backup_store():
    from integrations.s3.backup_store import from_config

    return from_config


def _telegram_files(settings):
    from integrations.telegram_files import from_settings

    return from_settings(settings)


def _telegram_stars(settings):
    from integrations.telegram_stars import from_settings

    return from_settings(settings)


def _assistant():
    from integrations.openai_compat import connect

    return connect


def _build_payment(method: str, settings):
    """The adapter for ``method`` under ``settings`` (None: off, or manual, which needs none)."""
    if method == PaymentProvider.yookassa:
        from integrations.yookassa import from_settings

        return from_settings(settings)
    if method == PaymentProvider.stripe:
        from integrations.stripe import from_settings

        return from_settings(settings)
    if method in (PaymentProvider.telegram, PaymentProvider.stars):
        from integrations.telegram_payments import from_settings

        return from_settings(settings, stars=method == PaymentProvider.stars)
    return None  # manual transfer: no provider


PAYMENT_FRESH_SECONDS = 30.0  # another process (the bot sidecar) follows the owner's set-up within this


def _webhooks():
    from integrations.webhooks_out import from_settings

    return from_settings(get_settings())


def _payment(method: str):
    """The payment adapter built from the owner's set-up (``services.payments.setup``; the
    environment wins where set); built again only when the set-up changed."""
    last: dict[str, Any] = {}

    def build():
        from sqlalchemy.exc import SQLAlchemyError
        from sqlmodel import Session

        from smo_app.db import get_readonly_engine
        from smo_app.services.payments import setup

        try:  # a read of its own (never waiting on the caller's write transaction)
            with Session(get_readonly_engine()) as session:
                stamp, settings = setup.configured(session, get_settings())
        except SQLAlchemyError:  # no database yet (a fresh file, a CLI): the environment alone
            log.warning("payment set-up unreadable; using the environment's settings", exc_info=True)
            stamp, settings = None, get_settings()
        if last.get("stamp", "-") != stamp or "port" not in last:
            last["stamp"], last["port"] = stamp, _build_payment(method, settings)
        return last["port"]

    return build


def _provide_ports() -> None:
    ports.provide(ports.DELIVERY, _delivery)
    ports.provide(ports.ADDRESS, _address)
    ports.provide(ports.ERP, _erp)
    ports.provide(ports.IMAGES, _images)
    ports.provide(ports.WAYBILLS, _waybills)
    ports.provide(ports.WEBHOOKS, _webhooks)
    ports.provide(ports.BACKUP_STORE, _backup_store)
    ports.provide(ports.ASSISTANT, _assistant)
    ports.provide(ports.TELEGRAM_FILES, lambda: _telegram_files(get_settings()))
    ports.provide(ports.TELEGRAM_STARS, lambda: _telegram_stars(get_settings()))
    for method in PaymentProvider:
        ports.provide(ports.PAYMENT + method.value, _payment(method.value), fresh_for=PAYMENT_FRESH_SECONDS)
    ports.provide(ports.PAYMENT_BUILDER, lambda: _build_payment)


# -- event subscribers and task handlers ------------------------------------------------------------

def _install_handlers() -> None:
    """Every event subscriber and outbox task handler of a process is installed here, and only here;
    the bus and the task worker refuse to work until it has run (``HandlersNotInstalled``)."""
    from smo_app.services.messaging import outbox_tasks
    from smo_app.services.delivery import waybills
    from smo_app.services.erp import orders_push, webhooks as erp_webhooks
    from smo_app.services.integrations import outbound_webhooks
    from smo_app.services.bookings import deposits
    from smo_app.services.payments import providers as payment_providers, refund_sync, refunds
    from smo_app.services.sales import events, order_subscribers

    order_subscribers.register(events.bus)  # the ledgers: stock, loyalty, certificates, promo uses, notices
    refunds.install()
    refund_sync.install()
    orders_push.install()  # MoySklad: orders pushed after commit
    erp_webhooks.install()  # MoySklad: stored notifications applied by the task worker
    waybills.install(events)  # CDEK: the waybill when an order is paid
    outbound_webhooks.install(events)  # the staff API's subscribers: order events, low stock
    payment_providers.register_other_payer(deposits.owns_payment, deposits.apply_notice,  # bookings' deposits
                                           deposits.check_pre_checkout)
    events.bus.mark_installed()
    outbox_tasks.mark_installed()


def start() -> None:
    """Provide the ports and install the handlers, once per process (later calls do nothing)."""
    global _started
    with _lock:
        if _started:
            return
        _provide_ports()
        _install_handlers()
        _started = True


def share_the_interpreter() -> None:
    """This process's GIL hand-over interval (the web app and the bot sidecar set it at start)."""
    sys.setswitchinterval(SWITCH_INTERVAL)


def use(**replacements: Any) -> None:
    """Replace ports by job: ``use(delivery=…, address=…, erp=…, images=…, waybills=…, backup_store=…, assistant=…, telegram_files=…, telegram_stars=…, payment_yookassa=…)``
    (None turns one off)."""
    start()
    for key, port in replacements.items():
        name = ports.PAYMENT + key.removeprefix("payment_") if key.startswith("payment_") else key
        ports.use(name, port)


def reset() -> None:
    """Drop replaced and built ports; the next use builds them again from the current settings."""
    ports.reset()
