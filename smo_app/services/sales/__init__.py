"""Selling: carts, pricing, promo codes and certificates, orders and their state machine.

Orders are created in one place, ``order_creation`` (one ``NewOrder``: priced lines, a buyer,
deductions, delivery and the ``OrderKind`` of its channel), by ``checkout.place_order`` (the Mini
App cart), ``b2b.create_b2b_order`` (staff entry) and ``pos.sale`` (the counter); every price comes
from ``pricing``; ``orders`` holds the state machine and the readers, ``order_dto`` what they return.
``events`` is the order-event bus (its subscribers are installed by ``smo_app.composition``),
``cart_reminders`` the scheduler's abandoned-cart reminders.
"""
