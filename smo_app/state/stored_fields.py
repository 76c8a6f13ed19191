"""What a state keeps in Redis between events: not the cached UI texts.

With several workers the tabs' states live in Redis (``rxconfig.py``), and every event of a tab
reads and writes the states on its branch — always the root-level ``SessionState`` or
``CustomerSessionState``. Those cache their UI texts as a computed var (``tr``, ``shop_tr``: about
120 KB, the same for every tab in one language), so each event moved ~120 KB through Redis and
pickled it twice (bench/load.py measured 130–180 KB per trivial tap). Left out of the pickle, the
text is computed again from the in-memory catalogs when a delta needs it (its language changed, or
the tab hydrates) — what the browser receives is unchanged.
"""
from __future__ import annotations

from typing import Any


def without_caches(fields: dict[str, Any], state_cls: type, *computed: str) -> dict[str, Any]:
    """``fields`` (a state's ``__getstate__``) without the cached values of the ``computed`` vars."""
    caches = {state_cls.computed_vars[name]._cache_attr for name in computed}
    return {k: v for k, v in fields.items() if k not in caches}
