"""Keep-alive HTTP/1.1 connections to the Bot API for the outbox sender's direct posts.

The sender posts thousands of small JSON bodies to one host. Through aiohttp's client each post
costs its request and response objects, headers merged and parsed into multidicts, cookies, tracing
and payload machinery — most of what the sender spends per message once aiogram is out of the way
(:mod:`bot_sidecar.direct_send`). Here a post is one write of a pre-built request head and body on
a connection kept open, and the answer is read as the status line, two headers (the body's length,
or chunks) and the body. Connections are reused while the server keeps them open; one that was
closed or idle for ``IDLE_SECONDS`` is dropped before it is used. ``https`` uses the given SSL
context (aiogram's, by default with certifi's roots).

Only ``post`` is offered: the Bot API's JSON methods. Anything unexpected in an answer closes the
connection and raises ``BotApiHTTPError`` (the caller turns it into aiogram's network error).
"""
from __future__ import annotations

import asyncio
import ssl as ssl_module
import time
from urllib.parse import urlsplit

IDLE_SECONDS = 30.0  # a connection idle longer is closed rather than reused (the server may have dropped it)
MAX_IDLE = 32  # connections kept open between posts


class BotApiHTTPError(Exception):
    """The connection failed or the answer was not HTTP as expected."""


class BotApiHTTP:
    """A small pool of keep-alive connections to one Bot API server (``base``: scheme://host[:port])."""

    def __init__(self, base: str, ssl_context: ssl_module.SSLContext | None = None) -> None:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) address: {base!r}")
        self.tls = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.tls else 80)
        self.ssl = (ssl_context or ssl_module.create_default_context()) if self.tls else None
        default_port = 443 if self.tls else 80
        host_header = self.host if self.port == default_port else f"{self.host}:{self.port}"
        self._head = f"Host: {host_header}\r\nContent-Type: application/json\r\nContent-Length: ".encode()
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self._closed = False

    async def post(self, path: str, body: bytes, timeout: float) -> tuple[int, bytes]:
        """POST ``body`` (JSON) to ``path``; (status, answer body)."""
        request = b"POST %s HTTP/1.1\r\n%s%d\r\n\r\n%s" % (path.encode(), self._head, len(body), body)
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await self._connection()
                try:
                    writer.write(request)
                    status, raw, keep = await _read_answer(reader)
                except BaseException:
                    writer.close()
                    raise
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError) as e:
            raise BotApiHTTPError(f"{type(e).__name__}: {e}") from e
        if keep and not self._closed and len(self._idle) < MAX_IDLE:
            self._idle.append((reader, writer, time.monotonic()))
        else:
            writer.close()
        return status, raw

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._closed:
            raise BotApiHTTPError("the session is closed")
        now = time.monotonic()
        while self._idle:
            reader, writer, since = self._idle.pop()
            if now - since < IDLE_SECONDS and not writer.is_closing() and not reader.at_eof():
                return reader, writer
            writer.close()
        return await asyncio.open_connection(self.host, self.port, ssl=self.ssl,
                                             server_hostname=self.host if self.tls else None)

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for _reader, writer, _since in idle:
            writer.close()
        for _reader, writer, _since in idle:
            try:
                await writer.wait_closed()
            except (OSError, ssl_module.SSLError):
                pass


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, connection reusable) of one HTTP/1.x answer."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    version, status_text = lines[0].split(b" ", 2)[:2]
    status = int(status_text)
    keep = version == b"HTTP/1.1"
    length: int | None = None
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            keep = b"close" not in value.lower() and (keep or b"keep-alive" in value.lower())
    if chunked:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # (no trailers from the Bot API)
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        return status, b"".join(parts), keep
    if length is None:
        return status, await reader.read(), False  # the body ends with the connection
    return status, await reader.readexactly(length), keep
