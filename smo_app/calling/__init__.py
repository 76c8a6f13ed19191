"""The calling seam: how screens (Reflex states), API routes and bot handlers call services.

    from smo_app.calling import StaffCaller, acall
    out = await acall(orders.order_card, caller=StaffCaller(Channel.backoffice, token), user_lang="ru",
                      readonly=True, order_id=7)
    if out.ok: show(out.value) else: show_error(out.error)

Reflex states use :meth:`SessionState.call` / :meth:`CustomerSessionState.call`, the API its
dependencies (``smo_app/api/deps.py``) and the bot its middleware — all three over this package.
It imports neither reflex nor aiogram (tests/unit/test_layering.py).
"""
from smo_app.calling.callers import (NOBODY, ApiTokenCaller, Caller, CustomerCaller, Nobody, NotSignedIn, Resolved, StaffCaller,
                                     SystemCaller, TelegramCaller)
from smo_app.calling.result import Refusal, Result
from smo_app.calling.seam import BoundCalls, Seam, acall, call, default_seam, opener_from_factory, refusal_text

__all__ = [
    "NOBODY", "ApiTokenCaller", "BoundCalls", "Caller", "CustomerCaller", "Nobody", "NotSignedIn", "Refusal", "Resolved", "Result",
    "Seam", "StaffCaller", "SystemCaller", "TelegramCaller", "acall", "call", "default_seam", "opener_from_factory",
    "refusal_text",
]
