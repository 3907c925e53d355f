"""Error bodies that say what is wrong: `{"detail": "..."}`, the one error model of the API."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ValidationError


def validation_detail(err: ValidationError) -> str:
    parts = []
    for e in err.errors()[:10]:
        where = ".".join(str(p) for p in e["loc"]) or "body"
        parts.append(printable(f"{where}: {e['msg']}"))
    return "; ".join(parts)


def has_lone_surrogates(value: object) -> bool:
    """JSON may escape a lone surrogate (\\ud800) that no UTF-8 store or payload can hold."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def printable(value: object) -> str:
    return str(value).encode("utf-8", "replace").decode("utf-8")


class ErrorBody(BaseModel):
    """Every error the API answers: one sentence naming the field, the limit and by how
    much it was missed, or why the request was refused."""

    detail: str


# What each status means on this API, as the OpenAPI document states it.
_MEANING: dict[int, str] = {
    400: "the request cannot be read: a body that is not JSON, a bad webhook signature",
    401: "no bearer token, or one that is not known (or a webhook not signed, or replayed)",
    403: "the token's role may not do this",
    404: "no such case, merchant, transaction or provider (or not visible to the token)",
    409: "not possible in the case's current state",
    413: "the body is over its byte limit (the detail names the limit and by how much)",
    422: "a field is not valid (the detail names the field and its limit)",
    428: "this request needs an Idempotency-Key header",
    503: "the case engine or the case store is unavailable: retry later",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the error statuses it can answer, all with `ErrorBody`."""
    return {code: {"model": ErrorBody, "description": _MEANING[code]} for code in sorted(codes)}
