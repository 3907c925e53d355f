"""The HTTP API: webhooks in, cases out, reviewer actions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from redress.api import cases, codec, merchants, progress, transactions, webhooks
from redress.api.deps import AppState
from redress.api.signing import WebhookSigner
from redress.config import Settings
from redress.policy import load_policy
from redress.store.db import make_engine
from redress.temporal import connect


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

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, err: RequestValidationError) -> JSONResponse:
        parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()[:10]]
        return JSONResponse({"detail": "; ".join(parts)}, status_code=422)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(webhooks.router)
    app.include_router(cases.router)
    app.include_router(codec.router)
    app.include_router(progress.router)
    app.include_router(transactions.router)
    app.include_router(merchants.router)
    return app
