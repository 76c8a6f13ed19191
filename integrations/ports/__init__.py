"""The ports: what the shop needs from the outside world, named after the job, not the vendor.

``payment.PaymentPort`` (YooKassa, Stripe, Telegram Payments / Stars), ``delivery.DeliveryPort``
(CDEK), ``address.AddressPort`` (DaData) — each a ``typing.Protocol`` with its pydantic request and
response types. A vendor package (``integrations/<vendor>/``) is an adapter: ``client.py``
implements a port over httpx, ``fake.py`` speaks the vendor's wire format for tests and the demo.
``smo_app/composition.py`` chooses the adapters from settings; services ask
``smo_app.services.core.ports`` for them.
"""
