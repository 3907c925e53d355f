"""The console at `/console`: people work the queue here (docs/console.md). Server-rendered
(Jinja2, its own autoescaping environment), signed in with an API token, every form
CSRF-protected; kept out of the OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from redress.console import auth, case, overview, queue
from redress.console.pages import HERE

STYLE = (HERE / "static" / "console.css").read_bytes()

router = APIRouter(include_in_schema=False)
for part in (auth.router, queue.router, case.router, overview.router):
    router.include_router(part, prefix="/console")


@router.get("/console/static/console.css")
async def style() -> Response:
    return Response(STYLE, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


__all__ = ["router"]
