"""What every console page shares: the template environment (autoescaping, of its own),
who is signed in, reading a posted form, and rendering a page in the visitor's language."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from fastapi import HTTPException, Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from redress.api.deps import AppState, Principal, app_state
from redress.console import i18n, labels, session
from redress.console.session import Session
from redress.console.values import shown, stamp

HERE = Path(__file__).parent
MAX_FORM_FIELDS = 200
FORM_TYPE = "application/x-www-form-urlencoded"

ENV = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Visit:
    """A request to the console: the app's state, the session, who is signed in."""

    request: Request
    state: AppState
    session: Session | None
    principal: Principal | None


def visit(request: Request) -> Visit:
    state = app_state(request)
    current = session.current(request, state)
    return Visit(request, state, current, session.principal_of(state, current))


def signed_in(request: Request) -> Visit:
    """The visit of a signed-in principal; anyone else is sent to sign in (303)."""
    found = visit(request)
    if found.principal is None:
        raise HTTPException(303, "sign in first", headers={"Location": "/console/login"})
    return found


async def form_of(request: Request) -> dict[str, str]:
    """A posted form's fields (the last value of a repeated name). The body is bounded by
    the app's body limit; a body of another type reads as an empty form, so it fails the
    CSRF check like any other form without its token."""
    if request.headers.get("content-type", "").split(";")[0].strip() != FORM_TYPE:
        return {}
    raw = (await request.body()).decode("utf-8", "replace")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError as err:
        raise HTTPException(413, f"a form has at most {MAX_FORM_FIELDS} fields") from err
    return dict(pairs)


def display(principal: Principal) -> str:
    """The principal as people read it: its display name if the token carries one."""
    return str(getattr(principal, "display_name", None) or principal.actor)


def render(v: Visit, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = i18n.choose(v.request)
    page = ENV.get_template(template).render(
        lang=lang,
        t=i18n.translator(lang),
        label=labels.labeler(lang),
        word=lambda code, kind=None: labels.word(code, lang, kind),
        principal=v.principal,
        who=display(v.principal) if v.principal else "",
        csrf=v.session.csrf if v.session else "",
        fresh_key=lambda: secrets.token_urlsafe(18),
        path=v.request.url.path,
        here=v.request.url.path + (f"?{v.request.url.query}" if v.request.url.query else ""),
        **context,
    )
    return HTMLResponse(
        page,
        status_code=status,
        headers={
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
            "style-src 'self'; frame-ancestors 'none'; form-action 'self'",
        },
    )


def now() -> datetime:
    return datetime.now(UTC)


def aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def time_left(at: datetime | None, lang: str, when: datetime | None = None) -> tuple[str, bool]:
    """How long until `at`, as people say it, and whether it has passed."""
    if at is None:
        return "—", False
    delta = aware(at) - (when or now())
    passed = delta < timedelta(0)
    span = abs(delta)
    days, rest = divmod(int(span.total_seconds()), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    zh = lang == "zh-CN"
    units = ("天", "小时", "分", "秒") if zh else ("d", "h", "min", "s")
    if days:
        text = f"{days} {units[0]} {hours} {units[1]}"
    elif hours:
        text = f"{hours} {units[1]} {minutes} {units[2]}"
    elif minutes:
        text = f"{minutes} {units[2]}"
    else:
        text = f"{seconds} {units[3]}"
    if passed:
        text = f"超时 {text}" if zh else f"{text} overdue"
    return text, passed


ENV.globals.update(stamp=stamp, shown=shown)
ENV.filters["stamp"] = stamp
