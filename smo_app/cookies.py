"""The Mini App's cookies, by name: the Reflex states set them, the /api dependencies read them
(smo_app/api/deps.py) — one definition, so neither imports the other. Framework-neutral."""
from __future__ import annotations

from smo_app.i18n import normalize_language
from smo_app.services.core.shop_locale import cached as cached_locale

CUSTOMER_SESSION = "smo_customer_session"  # an opaque token; the server-side session decides who it is
CUSTOMER_LANG = "smo_customer_lang"  # the language the customer chose ("" → the shop's)
STAFF_BACKOFFICE = "smo_bo_session"  # state/session.py: SessionState.bo_token
STAFF_POS = "smo_pos_session"  # state/session.py: SessionState.pos_token
STAFF_LANG = "smo_lang"  # state/session.py: SessionState.lang ("" → the shop's)


def customer_language(chosen: str | None, shop_default: str | None = None) -> str:
    """The customer's language: their choice (the language cookie), else the shop's (the owner's
    setting, else SMO_LANGUAGE; ``shop_default`` when the caller has just read it), without
    touching the database."""
    return normalize_language(chosen or shop_default or cached_locale().language)
