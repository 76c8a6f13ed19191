"""The outbox sender's keep-alive connections to the Bot API (bot_sidecar.bot_api_http): answers
with a length, in chunks or ending with the connection are read whole; a connection is reused while
the server keeps it open; a connection dropped mid-answer is an error, not a silent empty answer."""
from __future__ import annotations

import asyncio
import json

import pytest

from bot_sidecar.bot_api_http import BotApiHTTP, BotApiHTTPError

ANSWERS = [
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
    b"HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\n\r\n",  # body in chunks
    b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s",
    b"HTTP/1.1 200 OK\r\n\r\n%s",  # no length: the body ends with the connection
    None,  # the connection dropped before any answer
]


def test_posts_read_every_kind_of_answer_and_reuse_the_connection_while_it_stays_open():
    async def go():
        received: list[tuple[int, dict]] = []
        connections = 0
        answers = iter(ANSWERS)

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connections
            connections += 1
            conn = connections
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    break
                length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
                             .split(b":")[1])
                received.append((conn, json.loads(await reader.readexactly(length))))
                answer = next(answers)
                body = json.dumps({"ok": True, "result": {"n": len(received)}}).encode()
                if answer is None:
                    break
                if b"chunked" in answer:
                    writer.write(answer + b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (5, body[:5], len(body) - 5, body[5:]))
                elif b"%d" in answer:
                    writer.write(answer % (len(body), body))
                else:
                    writer.write(answer % body)
                await writer.drain()
                if b"Content-Length" not in answer and b"chunked" not in answer or b"close" in answer:
                    break
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = BotApiHTTP(f"http://127.0.0.1:{port}")
        try:
            got = [await client.post("/botT/sendMessage", json.dumps({"chat_id": n, "text": "привет"}).encode(), 5)
                   for n in range(4)]
            with pytest.raises(BotApiHTTPError):
                await client.post("/botT/sendMessage", b'{"chat_id": 4}', 5)
        finally:
            await client.close()
            server.close()
            await server.wait_closed()
        return got, received

    # when five messages are posted, the server answering each in its own way
    got, received = asyncio.run(go())
    # then each answer came back whole, with its status
    assert [(status, json.loads(raw)["result"]["n"]) for status, raw in got] == [(200, 1), (429, 2), (200, 3), (200, 4)]
    # and the server got every body intact, the first three on one connection, then a new one after
    # each connection the server closed
    assert [(conn, body["chat_id"]) for conn, body in received] == [(1, 0), (1, 1), (1, 2), (2, 3), (3, 4)]
    assert received[0][1]["text"] == "привет"
