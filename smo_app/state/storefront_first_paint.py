"""The Mini App's first screen in the page's own terms, for what the API sends ahead of the websocket
(``GET /`` and ``GET /api/storefront/first-paint``).

The API never imports a state (tests/unit/test_layering.py): the web app's composition
(``smo_app/smo_app.py``) hands this module to ``create_api(first_paint=…)``, where it is the
``FirstPaintView`` of ``smo_app/api/deps.py``:

* :func:`fields` — the first-screen service's answer as the field values ``StoreState.open`` sets;
* :func:`delta` — those fields keyed as the page's state store takes a websocket update
  (full state name → ``<field>`` + Reflex's ``FIELD_MARKER`` → value).
"""
from __future__ import annotations

from typing import Any

from reflex_base.constants.state import FIELD_MARKER

from smo_app.state.storefront import StoreState
from smo_app.state.storefront_rows import first_paint_fields as fields

__all__ = ["delta", "fields"]


def delta(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``StoreState`` (and parent) field values as the delta the page's state store applies."""
    out: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        owner = next(c for c in StoreState.__mro__ if name in getattr(c, "base_vars", {}))
        out.setdefault(owner.get_full_name(), {})[name + FIELD_MARKER] = value
    return out
