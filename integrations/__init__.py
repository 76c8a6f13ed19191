"""Adapters to the outside world (delivery, payments, ERP, addresses …), one package per vendor.

Each vendor package holds ``port.py`` (a ``typing.Protocol`` and pydantic request/response types),
``client.py`` (the real httpx client) and ``fake.py`` (a fake speaking the vendor's wire format,
usable as an ``httpx.MockTransport`` or served on a local port). ``http.py`` is the shared base:
client factory, retries with backoff, idempotency keys, structured errors. This package imports
neither reflex, aiogram nor the database: services call ports; ports never call services.
See docs/INTEGRATIONS.md.
"""
