"""Codec server for the Temporal Web UI and CLI: decode (and encode) encrypted payloads.

The Temporal codec server protocol: `POST /codec/decode` and `POST /codec/encode` take and
answer the JSON form of `temporalio.api.common.v1.Payloads`,
`{"payloads": [{"metadata": {key: base64}, "data": base64}]}`. Both need a bearer token
(any role). The Web UI calls them from the browser, so these routes (only these) answer the
CORS preflight for the configured UI origin(s) and carry CORS headers on every answer,
errors included, so the UI can tell a 401 from a network failure.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from redress.api.deps import CurrentViewer, app_state
from redress.api.errors import error_responses
from redress.codec import EncryptionCodec, codec_for

_BODY_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "payloads": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "metadata": {
                                        "type": "object",
                                        "additionalProperties": {
                                            "type": "string",
                                            "format": "byte",
                                        },
                                    },
                                    "data": {"type": "string", "format": "byte"},
                                },
                            },
                        }
                    },
                }
            }
        },
    }
}


def _cors_headers(request: Request) -> dict[str, str]:
    allowed = app_state(request).settings.codec_origins
    origin = request.headers.get("origin", "").rstrip("/")
    if origin and origin not in allowed:
        return {"Vary": "Origin"}  # a foreign page: no CORS grant, the browser blocks it
    return {
        "Access-Control-Allow-Origin": origin or allowed[0],
        "Access-Control-Allow-Headers": "Authorization, Content-Type, X-Namespace",
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


class _CorsRoute(APIRoute):
    """Adds the CORS headers to every answer of the route, HTTP errors included."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_cors(request: Request) -> Response:
            try:
                response = await handler(request)
            except HTTPException as exc:
                response = JSONResponse(
                    {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
                )
            response.headers.update(_cors_headers(request))
            return response

        return with_cors


router = APIRouter(prefix="/codec", tags=["codec"], route_class=_CorsRoute)


def _codec(request: Request) -> EncryptionCodec:
    codec = codec_for(app_state(request).settings.payload_keys)
    if codec is None:
        raise HTTPException(404, "payload encryption is not configured")
    return codec


async def _read_payloads(request: Request) -> Payloads:
    body = await request.body()  # bounded by `[limits] codec_body_bytes` (api/body_limit.py)
    try:
        return json_format.Parse(body, Payloads(), ignore_unknown_fields=True)
    except (json_format.ParseError, UnicodeDecodeError) as err:
        raise HTTPException(422, f"body is not JSON Payloads: {err}") from None


async def _apply(
    request: Request, fn: Callable[[Sequence[Payload]], Awaitable[list[Payload]]]
) -> JSONResponse:
    payloads = await _read_payloads(request)
    try:
        result = Payloads(payloads=await fn(payloads.payloads))
    except ValueError as err:  # unknown key id, tampered or truncated payload
        raise HTTPException(400, str(err)) from None
    answer = json_format.MessageToDict(result)
    answer.setdefault("payloads", [])
    return JSONResponse(answer)


# 404: payload encryption is not configured; 400: a payload that does not decrypt.
_ERRORS = error_responses(400, 401, 403, 404, 413, 422)


@router.post("/decode", openapi_extra=_BODY_SCHEMA, responses=_ERRORS)
async def decode(request: Request, _: CurrentViewer) -> JSONResponse:
    """Decrypt payloads (others pass through unchanged)."""
    return await _apply(request, _codec(request).decode)


@router.post("/encode", openapi_extra=_BODY_SCHEMA, responses=_ERRORS)
async def encode(request: Request, _: CurrentViewer) -> JSONResponse:
    """Encrypt payloads with the active key (the UI uses it for signals and starts)."""
    return await _apply(request, _codec(request).encode)


@router.options("/decode", include_in_schema=False)
@router.options("/encode", include_in_schema=False)
async def preflight() -> Response:
    return Response(status_code=204)
