"""``@page(route, ...)`` records a page; smo_app/smo_app.py adds them all to the app once.

(``@rx.page`` would do the same, but Reflex 0.10.1 applies decorated pages twice in the prod
backend and warns "Page … is being redefined" for every route.)
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

PAGES: list[dict[str, Any]] = []


def page(route: str, *, title: str = "smo", on_load: Any = None) -> Callable:
    def decorator(render: Callable) -> Callable:
        PAGES.append({"component": render, "route": route, "title": title, "on_load": on_load})
        return render

    return decorator
