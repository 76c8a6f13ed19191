"""Transaction helper for use-case functions."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def atomic(fn: Callable[P, R]) -> Callable[P, R]:
    """Roll the session back if the use case raises, so a refused change leaves nothing half-written
    and (on SQLite) does not keep holding the write lock until the caller closes the session."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        session = args[0] if args else kwargs["session"]
        try:
            return fn(*args, **kwargs)
        except BaseException:
            session.rollback()
            raise

    return wrapper
