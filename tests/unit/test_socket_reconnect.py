"""A reconnecting page keeps its token; a duplicated tab still gets a new one (smo_app/socket_reconnect.py).
The browser journey tests/e2e/test_reconnect_workers.py drives the same through two workers and Redis."""
from __future__ import annotations

import asyncio

from reflex.utils.token_manager import LocalTokenManager
from reflex_base.constants import CompileVars

from smo_app.socket_reconnect import reconnecting_token, take_over

HYDRATE = f"reflex___state____state.{CompileVars.HYDRATE_AND_LOAD}"


def _connect(token: str, *, first: bool) -> tuple[dict, dict]:
    """(environ, auth) of a socket.io connection as the compiled page sends it."""
    payload = {CompileVars.PAYLOAD_VARS: {}} | ({CompileVars.PAYLOAD_HASHES: {"state": "abc"}} if first else {})
    return {"QUERY_STRING": f"token={token}"}, {CompileVars.CONNECT_AUTH_EVENT: {"name": HYDRATE, "payload": payload}}


def test_only_a_hydrate_without_compiled_defaults_is_a_reconnect():
    assert reconnecting_token(*_connect("t1", first=False)) == "t1"
    assert reconnecting_token(*_connect("t1", first=True)) is None
    environ, _ = _connect("t1", first=False)
    assert reconnecting_token(environ, None) is None
    assert reconnecting_token(environ, {CompileVars.CONNECT_AUTH_EVENT: {"name": "x.other_event"}}) is None
    assert reconnecting_token({"QUERY_STRING": ""}, _connect("t1", first=False)[1]) is None
    # an empty payload is left out of the event altogether
    assert reconnecting_token(environ, {CompileVars.CONNECT_AUTH_EVENT: {"name": HYDRATE}}) == "t1"


def test_a_reconnect_takes_its_token_over_and_a_duplicate_tab_gets_a_new_one():
    async def go() -> None:
        manager = LocalTokenManager()
        assert await manager.link_token_to_sid("t1", "sid-old") is None
        # the page comes back on a new socket before the server saw the old one go
        await take_over(manager, "t1", "sid-new")
        assert await manager.link_token_to_sid("t1", "sid-new") is None  # same token: the state is kept
        assert manager.token_to_sid["t1"] == "sid-new"
        assert "sid-old" not in manager.sid_to_token  # its late disconnect unlinks nothing
        # a duplicated tab (a first connection with the same token) is still given a token of its own
        assert await manager.link_token_to_sid("t1", "sid-dup") not in (None, "t1")

    asyncio.run(go())
