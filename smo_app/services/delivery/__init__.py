"""Delivery: the parcel weight rule (``parcel``) and delivery quotes through the delivery port with
a "the manager will calculate" fallback (``quotes``). Providers live in ``integrations/``."""
