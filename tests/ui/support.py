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
    """Run one event handler as Reflex does: awaited when it is a coroutine."""
    out = type(state).event_handlers[name].fn(state, *args)
    return asyncio.run(out) if inspect.iscoroutine(out) else out
