"""The load generator's HTTP client: keep-alive reuse, and a retry when the server has
closed an idle connection."""

from __future__ import annotations

import asyncio

from bench.http import lean_client


async def test_posts_reuse_connections_and_survive_a_server_close() -> None:
    connections = 0
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        for n in range(2):  # two requests per connection, then the server hangs up
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            seen.append(await reader.readexactly(length))
            close = b"connection: close\r\n" if n == 1 else b""
            writer.write(b"HTTP/1.1 202 Accepted\r\n" + close + b"content-length: 2\r\n\r\nok")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with lean_client(f"http://127.0.0.1:{port}", 1) as http:
        for i in range(5):
            assert await http.post("/x", f"body{i}".encode(), {}) == (202, b"ok")
    server.close()
    assert seen == [f"body{i}".encode() for i in range(5)]
    assert connections == 3


async def test_stale_idle_connections_are_not_retried_on() -> None:
    """Several idle connections the server has dropped: the retry opens a new one."""
    answered = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal answered
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
        answered += 1
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
        await writer.drain()
        writer.close()  # hang up without saying so: the client's idle copy is stale

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with lean_client(f"http://127.0.0.1:{port}", 4) as http:
        results = await asyncio.gather(*(http.post("/x", b"a", {}) for _ in range(4)))
        await asyncio.sleep(0.05)
        assert await http.post("/x", b"b", {}) == (200, b"")
    server.close()
    assert results == [(200, b"")] * 4
    assert answered == 5
