"""Every request body is bounded in bytes before a handler reads it.

One ASGI middleware for the whole API: a declared Content-Length over the route's limit is
answered 413 before a byte of the body is read; a body without one (chunked) is counted as
it streams and answered 413 the moment it passes the limit, the rest never read. A body
within the limit is handed on whole, so handlers read it as usual. The limits are the
policy's `[limits]`: `webhook_body_bytes` for `/webhooks/*`, `codec_body_bytes` for
`/codec/*`, `api_body_bytes` for everything else.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from redress.policy import LimitsPolicy

# Path prefix → the `[limits]` key that bounds its bodies; the first match wins.
_LIMITS = (("/webhooks/", "webhook_body_bytes"), ("/codec/", "codec_body_bytes"))
_DEFAULT = "api_body_bytes"


def limit_for(path: str, limits: LimitsPolicy) -> tuple[str, int]:
    """The name and value of the limit on a body sent to `path`."""
    key = next((key for prefix, key in _LIMITS if path.startswith(prefix)), _DEFAULT)
    return key, int(getattr(limits, key))


def too_large(key: str, limit: int, size: int, *, declared: bool) -> str:
    over = size - limit
    if declared:
        return (
            f"body: {size} bytes (Content-Length) is over the {key} limit of {limit} bytes "
            f"by {over} bytes"
        )
    return (
        f"body: over the {key} limit of {limit} bytes by at least {over} bytes "
        f"(stopped reading at {size})"
    )


class BodyLimit:
    """The middleware; it finds the policy on the app's state (set at startup)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limits = _limits(scope)
        key, limit = limit_for(scope["path"], limits)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, too_large(key, limit, declared, declared=True))
            return
        # Read the body here, at most `limit` bytes of it, then replay it to the app.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _refuse(send, too_large(key, limit, size, declared=False))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([body], receive), send)


_DEFAULTS = LimitsPolicy()


def _limits(scope: Scope) -> LimitsPolicy:
    # An app without a policy (a codec-only test server) is bounded by the model's defaults.
    state = getattr(scope["app"].state, "redress", None)
    policy = getattr(state, "policy", None)
    return policy.limits if policy is not None else _DEFAULTS


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            # A malformed length is the server's to refuse (400); only a number is a size
            # (int() refuses more than 4,300 digits).
            return int(text) if text.isdigit() and len(text) <= 4000 else None
    return None


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()  # after the body: the disconnect, when it comes

    return replay


async def _refuse(send: Send, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        # The rest of the body is never read: the connection cannot carry another request.
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
