"""The console's session: a signed cookie holding a token's hash (never the token), the
session's CSRF token and when it was issued; and the CSRF check every form post passes.

The cookie is `<payload>.<mac>`: the payload URL-safe Base64 JSON, the MAC an HMAC-SHA256
of it under `Settings.console_key` (`REDRESS_CONSOLE_SECRET`, else derived from the webhook
secret, else a key made when the process starts: sessions then end with it). A session
without a token hash is a signed-out visitor's: it carries the sign-in form's CSRF token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from redress.api.deps import AppState, Principal, principal_for_digest
from redress.api.errors import printable
from redress.logs import get_logger
from redress.store import crud
from redress.store.tables import AuditEntry

COOKIE = "redress_console"
MAX_AGE = 12 * 3600  # a session lasts a working day at most
MAX_COOKIE = 1024  # anything longer is not one of ours
log = get_logger()


@dataclass(frozen=True)
class Session:
    digest: str  # "sha256:<hex>" of the signed-in token; "" before sign-in
    csrf: str
    issued: int  # Unix seconds

    @classmethod
    def fresh(cls, digest: str = "") -> Session:
        return cls(digest=digest, csrf=secrets.token_urlsafe(24), issued=int(time.time()))


def _mac(key: bytes, payload: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def encode(key: bytes, session: Session) -> str:
    raw = json.dumps({"d": session.digest, "c": session.csrf, "i": session.issued})
    payload = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    return f"{payload}.{_mac(key, payload.encode())}"


def decode(key: bytes, cookie: str | None, now: float | None = None) -> Session | None:
    """The session a cookie holds, or None when it is absent, forged or expired."""
    if not cookie or len(cookie) > MAX_COOKIE or "." not in cookie:
        return None
    payload, _, mac = cookie.rpartition(".")
    if not hmac.compare_digest(mac, _mac(key, payload.encode())):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        session = Session(digest=str(data["d"]), csrf=str(data["c"]), issued=int(data["i"]))
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    if (now or time.time()) - session.issued > MAX_AGE:
        return None
    return session


def console_key(state: AppState) -> bytes:
    """The settings' key, else one made for this process (kept on the settings' holder)."""
    key = state.settings.console_key
    if key is None:
        key = getattr(state, "_console_key", None) or secrets.token_bytes(32)
        object.__setattr__(state, "_console_key", key)
    return key


def current(request: Request, state: AppState) -> Session | None:
    return decode(console_key(state), request.cookies.get(COOKIE))


def principal_of(state: AppState, session: Session | None) -> Principal | None:
    """The signed-in principal: the token's hash must still be configured."""
    if session is None or not session.digest:
        return None
    return principal_for_digest(state.settings, session.digest)


def set_cookie(response: Response, request: Request, state: AppState, session: Session) -> None:
    response.set_cookie(
        COOKIE,
        encode(console_key(state), session),
        max_age=MAX_AGE,
        path="/console",
        httponly=True,
        samesite="lax",
        secure=served_over_https(request),
    )


def clear_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE, path="/console", httponly=True, samesite="lax", secure=served_over_https(request)
    )


def served_over_https(request: Request) -> bool:
    """HTTPS as the browser sees it: the URL's scheme (uvicorn's `--proxy-headers` applies a
    trusted proxy's `X-Forwarded-Proto` to it)."""
    return request.url.scheme == "https"


async def check_csrf(
    request: Request,
    state: AppState,
    session: Session | None,
    principal: Principal | None,
    form: dict[str, str],
    case_id: str = "-",
) -> None:
    """A form post must carry its session's CSRF token: anything else is refused (403)
    and written to the audit log as `csrf_refused`."""
    given = form.get("csrf_token", "")
    if session is not None and given and hmac.compare_digest(given, session.csrf):
        return
    reason = "csrf_token missing" if not given else "csrf_token is not this session's"
    entry = AuditEntry(
        at=datetime.now(UTC),
        request_id=printable(form.get("idempotency_key", ""))[:128] or str(uuid.uuid4()),
        case_id=case_id[:160],
        actor=principal.actor if principal else "anonymous",
        role=principal.role if principal else "",
        scope=principal.scope[:1000] if principal else "",
        action="csrf_refused",
        accepted=False,
        status_code=403,
        reason=f"{request.method} {request.url.path}: {reason}"[:1000],
        via="console",
    )
    try:
        await run_in_threadpool(crud.record_audit, state.engine, entry)
    except Exception as err:  # the refusal stands; the log keeps what the table could not
        log.error("audit entry not written", error=str(err), **entry.model_dump(mode="json"))
    raise HTTPException(403, reason)
