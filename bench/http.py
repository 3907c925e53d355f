"""A lean HTTP/1.1 client for the load generator: keep-alive connections, POST only.

The provider that sends webhooks runs elsewhere in real life; here it shares the two
cores with the system under test, so its own CPU per request is a measurement error.
httpx spent about 2 ms of CPU per webhook; this client writes one buffer and parses a
status line and a Content-Length, which is all our server's answers need.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit


class HttpError(Exception):
    pass


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    def close(self) -> None:
        self.writer.close()


class LeanClient:
    def __init__(self, base_url: str, connections: int, timeout: float = 30.0) -> None:
        url = urlsplit(base_url)
        if url.scheme != "http" or not url.hostname:
            raise ValueError(f"only http://host:port URLs: {base_url}")
        self.host, self.port = url.hostname, url.port or 80
        self.timeout = timeout
        self._idle: list[_Conn] = []
        self._slots = asyncio.Semaphore(connections)

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        async with self._slots:
            head = [f"POST {path} HTTP/1.1", f"host: {self.host}:{self.port}"]
            head += [f"{k}: {v}" for k, v in headers.items()]
            head.append(f"content-length: {len(body)}")
            request = ("\r\n".join(head) + "\r\n\r\n").encode() + body
            # A kept-alive connection the server has closed (idle timeout) fails at once:
            # one retry, always on a new connection (the server never saw that request).
            for attempt in (0, 1):
                conn = self._idle.pop() if self._idle and not attempt else await self._connect()
                try:
                    status, data, keep = await asyncio.wait_for(
                        self._exchange(conn, request), self.timeout
                    )
                except (ConnectionError, asyncio.IncompleteReadError, HttpError):
                    conn.close()
                    if attempt:
                        raise
                    continue
                except BaseException:
                    conn.close()
                    raise
                if keep:
                    self._idle.append(conn)
                else:
                    conn.close()
                return status, data
        raise AssertionError("unreachable")

    async def _connect(self) -> _Conn:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        return _Conn(reader, writer)

    @staticmethod
    async def _exchange(conn: _Conn, request: bytes) -> tuple[int, bytes, bool]:
        conn.writer.write(request)
        head = await conn.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise HttpError(f"bad status line {lines[0]!r}")
        length, keep = 0, True
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                keep = False
            elif name == "transfer-encoding":
                raise HttpError("chunked answers are not supported")
        data = await conn.reader.readexactly(length) if length else b""
        return int(parts[1]), data, keep

    async def aclose(self) -> None:
        for conn in self._idle:
            conn.close()
        self._idle.clear()


@asynccontextmanager
async def lean_client(base_url: str, connections: int) -> AsyncIterator[LeanClient]:
    client = LeanClient(base_url, connections)
    try:
        yield client
    finally:
        await client.aclose()
