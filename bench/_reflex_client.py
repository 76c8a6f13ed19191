"""A socket-level client of the Reflex app, for the benches that need many tabs at once (browsers are
too heavy for 20 or 200 on this machine). Not a benchmark itself (the leading underscore keeps
``make bench`` from running it).

Reflex's event protocol (reflex/app.py ``EventNamespace``, Reflex 0.10): socket.io over a websocket
on ``/_event`` with the tab's token in the query string; the first event (``hydrate_and_load``, with
the client-storage vars such as session cookies) rides in the CONNECT packet's ``auth``; each event is
``{"name": "<state path>.<handler>", "payload": {...}, "router_data": {...}}``; the server answers
with ``event`` packets ``{"delta": {<state path>: {<var>_rx_state_: value}}, "events": [...]}``.
Updates carry no "done" mark (``final`` is gone since 0.9), so a caller waits for the update that
carries what its event changes (:meth:`ReflexClient.call`'s ``until``).
"""
from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

VAR_SUFFIX = "_rx_state_"
Until = str | Callable[[dict[str, Any]], bool]


def event_message(name: str, payload: dict | None, path: str) -> dict:
    return {"name": name, "payload": payload or {}, "router_data": {"pathname": path, "asPath": path}}


def changed_vars(update: dict | None) -> dict[str, Any]:
    """The vars an update changes, by bare name (``camera_open``), across every state in it. (Two states
    of one page with a var of the same name: the later one in the update wins.)"""
    out: dict[str, Any] = {}
    for fields in ((update or {}).get("delta") or {}).values():
        for key, value in (fields or {}).items():
            out[key.removesuffix(VAR_SUFFIX)] = value
    return out


def is_done(until: Until, changed: dict[str, Any]) -> bool:
    return until(changed) if callable(until) else until in changed


class ReflexClient:
    """One tab: its token, the vars the server has sent it (``vars``, bare names) and the frontend
    events it was told to run (``frontend_events``: scripts, redirects, toasts)."""

    def __init__(self, base: str, path: str) -> None:
        import socketio

        self.base, self.path = base, path
        self.token = str(uuid.uuid4())
        self.sio = socketio.AsyncClient(reconnection=False)
        self.vars: dict[str, Any] = {}
        self.frontend_events: list[dict] = []
        self.updates = 0
        self.sent = 0  # events emitted
        self._waiters: list[tuple[Until, asyncio.Future]] = []
        self.sio.on("event", self._on_update, namespace="/_event")

    async def _on_update(self, update) -> None:
        self.updates += 1
        changed = changed_vars(update)
        self.vars.update(changed)
        self.frontend_events.extend((update or {}).get("events") or [])
        for until, fut in list(self._waiters):
            if not fut.done() and is_done(until, changed):
                fut.set_result(changed)
                self._waiters.remove((until, fut))

    def _wait(self, until: Until) -> asyncio.Future:
        fut = asyncio.get_running_loop().create_future()
        self._waiters.append((until, fut))
        return fut

    async def _settle(self, fut: asyncio.Future, until: Until, timeout: float) -> None:
        try:
            await asyncio.wait_for(fut, timeout)
        finally:
            if (until, fut) in self._waiters:
                self._waiters.remove((until, fut))

    async def connect(self, hydrate: str, client_vars: dict[str, Any], *, until: Until, timeout: float = 60) -> float:
        """Open the socket with the hydrate event (``<root state>.hydrate_and_load``) and the tab's
        client-storage vars (``{"<state path>.<var>_rx_state_": value}``); seconds until ``until``."""
        fut = self._wait(until)
        started = time.perf_counter()
        self.sent += 1
        await self.sio.connect(f"{self.base}?token={self.token}", socketio_path="/_event", namespaces=["/_event"],
                               transports=["websocket"], wait_timeout=timeout,
                               auth={"event": event_message(hydrate, {"vars": client_vars}, self.path)})
        await self._settle(fut, until, timeout)
        return time.perf_counter() - started

    async def call(self, name: str, payload: dict | None = None, *, until: Until, timeout: float = 30) -> float:
        """Emit one event; seconds until an update satisfies ``until`` (a var's bare name that the
        update must carry, or a test of the vars it changes). ``asyncio.TimeoutError`` otherwise."""
        fut = self._wait(until)
        started = time.perf_counter()
        self.sent += 1
        await self.sio.emit("event", event_message(name, payload, self.path), namespace="/_event")
        await self._settle(fut, until, timeout)
        return time.perf_counter() - started

    async def send(self, name: str, payload: dict | None = None) -> None:
        """Emit an event without waiting for its update (a page's clock)."""
        self.sent += 1
        await self.sio.emit("event", event_message(name, payload, self.path), namespace="/_event")

    async def close(self) -> None:
        await self.sio.disconnect()
