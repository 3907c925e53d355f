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
