"""The HTTP API: webhooks in, cases out, reviewer actions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from redress import console, kinds
from redress.api import (
    cases,
    claims,
    codec,
    merchants,
    openapi,
    progress,
    queue,
    transactions,
    webhooks,
)
from redress.api.body_limit import BodyLimit
from redress.api.deps import AppState
from redress.api.signing import WebhookSigner
from redress.config import Settings
from redress.policy import load_policy
from redress.store.db import make_engine
from redress.temporal import connect

KEY_HEADER = ("header", "idempotency-key")
KEY_NEEDED = (
    "this request needs an Idempotency-Key header: any unique string, sent again unchanged "
    "when the request is retried, so it acts once"
)


def create_app(settings: Settings, state: AppState | None = None) -> FastAPI:
    """`state` lets tests hand in a client and engine; otherwise they're built at startup."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if state is None:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            app.state.redress = AppState(
                settings=settings,
                client=await connect(settings),
                engine=make_engine(settings.db_url),
                policy=load_policy(settings.policy),
                signer=WebhookSigner(settings.webhook_secret) if settings.webhook_secret else None,
            )
        else:
            app.state.redress = state
        yield

    app = FastAPI(title="redress", version="0.1.0", lifespan=lifespan)
    # Outermost but for the server's error handler: no body reaches a handler unbounded.
    app.add_middleware(BodyLimit)
    openapi.install(app)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, err: RequestValidationError) -> JSONResponse:
        errors = err.errors()
        if errors and all(e["type"] == "missing" and e["loc"] == KEY_HEADER for e in errors):
            # A request that must name its Idempotency-Key (a notice): 428, as for a refund.
            return JSONResponse({"detail": KEY_NEEDED}, status_code=428)
        parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:10]]
        return JSONResponse({"detail": "; ".join(parts)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, err: StarletteHTTPException) -> Response:
        if err.status_code == 405:
            # Starlette names the methods of the first route on the path only; a path served
            # by two routes (GET and PUT /transactions/{id}) allows the methods of both.
            allowed = {
                method
                for route in app.router.routes
                if isinstance(route, Route) and route.matches(request.scope)[0] != Match.NONE
                for method in route.methods or ()
            }
            err.headers = {**(err.headers or {}), "Allow": ", ".join(sorted(allowed))}
        return await http_exception_handler(request, err)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(webhooks.router)
    app.include_router(queue.router)
    app.include_router(cases.router)
    app.include_router(claims.router)
    app.include_router(codec.router)
    app.include_router(progress.router)
    app.include_router(transactions.router)
    app.include_router(merchants.router)
    app.include_router(console.router)  # /console: the desk's pages, not in the schema
    for kind in kinds.KINDS.values():  # a kind's own routes, named by its registry entry
        for router in kind.load_routers():
            app.include_router(router)
    return app
