"""A page whose websocket dropped and came back keeps its session (its cart, a half-done checkout).

Reflex (0.10) keys a tab's state by the tab's client token and links the token to its websocket.
A connection bringing a token that is still linked to another socket is taken for a duplicated
tab (the duplicate copies the tab's sessionStorage, token included) and is handed a new token,
that is a new, empty session (reflex-dev/reflex#6252, #6345). After a network blip the server has
usually not seen the old socket go yet — it notices at its ping timeout, or never when the worker
that held it died — so the page that reconnects was treated as a duplicate and lost its state; with
several workers the old link is in Redis, where every worker sees it.

A duplicated tab and a reconnect tell themselves apart in the hydrate event their connection
carries: a page's first connection sends the hashes of the defaults it was compiled with, a
reconnect sends none (its reducers no longer hold the defaults: ``initialEvents(first)`` in
Reflex's compiled ``state.js``). A reconnect therefore first takes its token over for the new
socket — locally and, with Redis, for every worker (the others follow the record through Redis
keyspace notifications, as they do for any relink) — so Reflex's own linking finds the token
already on this socket and keeps its state. A duplicated tab still gets a new token.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from reflex.app import EventNamespace
from reflex.utils.token_manager import RedisTokenManager, SocketRecord, TokenManager
from reflex_base.constants import CompileVars

_reflex_on_connect = EventNamespace.on_connect


def reconnecting_token(environ: dict, auth: Any) -> str | None:
    """The client token of a connection that is a page coming back (its hydrate sends no hashes of
    compiled defaults), or None for a page connecting for the first time (or no hydrate at all)."""
    boot = auth.get(CompileVars.CONNECT_AUTH_EVENT) if isinstance(auth, dict) else None
    if not isinstance(boot, dict) or not str(boot.get("name", "")).endswith(f".{CompileVars.HYDRATE_AND_LOAD}"):
        return None
    if CompileVars.PAYLOAD_HASHES in (boot.get("payload") or {}):
        return None
    tokens = parse_qs(environ.get("QUERY_STRING", "")).get("token", [])
    return tokens[0] if tokens else None


async def take_over(manager: TokenManager, token: str, sid: str) -> None:
    """Link ``token`` to the socket ``sid`` in place of the socket it had (gone, the server not told)."""
    old = manager.token_to_socket.get(token)
    if old is not None and old.sid != sid:
        manager.sid_to_token.pop(old.sid, None)  # the old socket's late disconnect unlinks nothing
    record = SocketRecord(instance_id=manager.instance_id, sid=sid)
    manager.token_to_socket[token] = record
    manager.sid_to_token[sid] = token
    if isinstance(manager, RedisTokenManager):
        manager._ensure_socket_record_task()  # noqa: SLF001 - follow others' relinks, as Reflex's link does
        await manager._store_socket_record(token, record)  # noqa: SLF001 - overwrite: a duplicate would refuse


async def _on_connect(self: EventNamespace, sid: str, environ: dict, auth: Any = None):
    if (token := reconnecting_token(environ, auth)) is not None:
        await take_over(self._token_manager, token, sid)  # noqa: SLF001
    return await _reflex_on_connect(self, sid, environ, auth)


def patch_reflex() -> None:
    """Route every websocket connection through :func:`_on_connect` (idempotent)."""
    EventNamespace.on_connect = _on_connect
