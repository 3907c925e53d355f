"""Signing in and out of the console, and the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from redress.api.deps import principal_for_digest, token_digest
from redress.console import i18n, session
from redress.console.pages import form_of, render, visit
from redress.console.session import Session

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a console path: never another site (an open redirect)."""
    if target and target.startswith("/console") and "//" not in target and "\\" not in target:
        return target
    return "/console"


@router.get("/login")
async def login_page(request: Request) -> Response:
    v = visit(request)
    if v.principal is not None:
        return RedirectResponse("/console", status_code=303)
    fresh = v.session or Session.fresh()
    response = render(v.__class__(request, v.state, fresh, None), "login.html")
    session.set_cookie(response, request, v.state, fresh)
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    v = visit(request)
    form = await form_of(request)
    await session.check_csrf(request, v.state, v.session, None, form)
    digest = token_digest(form.get("token", ""))
    principal = None if digest is None else principal_for_digest(v.state.settings, digest)
    if digest is None or principal is None:
        return render(v, "login.html", status=401, error="unknown_token")
    response = RedirectResponse(_safe_next(form.get("next")), status_code=303)
    # A new session (and CSRF token) on sign-in: nothing of the visitor's carries over.
    session.set_cookie(response, request, v.state, Session.fresh(digest))
    return response


@router.get("/logout")
async def logout_page(request: Request) -> Response:
    v = visit(request)
    if v.principal is None:
        return RedirectResponse("/console/login", status_code=303)
    return render(v, "logout.html")


@router.post("/logout")
async def logout(request: Request) -> Response:
    v = visit(request)
    form = await form_of(request)
    await session.check_csrf(request, v.state, v.session, v.principal, form)
    response = RedirectResponse("/console/login", status_code=303)
    session.clear_cookie(response, request)
    return response


@router.post("/lang")
async def switch_language(request: Request) -> Response:
    """The language switch: a form like every other (its CSRF token checked), so another
    site cannot change a desk's language behind its back."""
    v = visit(request)
    form = await form_of(request)
    await session.check_csrf(request, v.state, v.session, v.principal, form)
    response = RedirectResponse(_safe_next(form.get("next")), status_code=303)
    lang = form.get("lang", "")
    if lang in i18n.LANGS:
        response.set_cookie(
            i18n.LANG_COOKIE,
            lang,
            max_age=365 * 86400,
            path="/console",
            httponly=True,
            samesite="lax",
            secure=session.served_over_https(request),
        )
    return response
