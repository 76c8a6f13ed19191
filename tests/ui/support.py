"""Build a state tree as Reflex does and run its event handlers (awaited when async)."""
from __future__ import annotations

import asyncio
import inspect

import reflex as rx


def _state(cls):
    import smo_app.smo_app  # noqa: F401  (registers every state)

    root = rx.State(_reflex_internal_init=True)
    return root.get_substate(cls.get_full_name().split(".")[1:])


def settings_form(state, **changes) -> dict:
    """The settings page's form as the browser submits it: every shown value, ticked flags, ``changes``."""
    form = dict(state.values)
    form.update({k: "on" for k, v in state.flags.items() if v})
    form.update(changes)
    return form


def _call(state, name: str, *args):
    """Run one event handler as Reflex does: awaited when it is a coroutine, run to its end when it
    yields (a one-tap action: the last thing it yields is what it answers)."""
    out = type(state).event_handlers[name].fn(state, *args)
    if inspect.isasyncgen(out):
        return asyncio.run(_last_yield(out))
    return asyncio.run(out) if inspect.iscoroutine(out) else out


async def _last_yield(gen):
    last = None
    async for value in gen:
        if value is not None:
            last = value
    return last
