"""Database work off aiogram's event loop: every handler and middleware calls the (synchronous)
services through ``in_thread`` so one slow query never stalls polling, replies or the outbox sender.

A session is used by one thread at a time (the awaiting handler waits for each call), which
SQLAlchemy allows; SQLite connections are opened with ``check_same_thread=False`` (smo_app.db).
"""
from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


async def in_thread(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """``await in_thread(service_fn, session, actor=…)``: run blocking DB work in the default executor."""
    return await asyncio.to_thread(functools.partial(fn, *args, **kwargs))
