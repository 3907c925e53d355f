"""The OpenAPI document as clients and desks build on it: every `$ref` resolves, and every
error is the one `ErrorBody` the API really answers.

Request bodies built from the kinds' models (`cases._actions_schema`,
`webhooks._event_schemas`) embed JSON schemas whose `$ref`s point into their own local
`$defs`; OpenAPI resolves refs from the document's root, so those are hoisted into
`components/schemas` and the refs rewritten."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from redress.api.errors import ErrorBody

_LOCAL = "#/$defs/"
_COMPONENT = "#/components/schemas/"
# FastAPI's own 422 model, which this API never answers (see errors.ErrorBody).
_FASTAPI_422 = ("HTTPValidationError", "ValidationError")


def install(app: FastAPI) -> None:
    """Serve the corrected document (built once, on first request, like FastAPI's own)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = truthful(doc)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def truthful(doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    schemas: dict[str, Any] = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorBody", ErrorBody.model_json_schema())
    for path_item in doc.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict):
                _hoist(operation, schemas)
                _one_error_model(operation)
    for name in _FASTAPI_422:
        if not _referenced(doc, _COMPONENT + name):
            schemas.pop(name, None)
    return doc


def _hoist(node: Any, schemas: dict[str, Any]) -> None:
    """Move every nested `$defs` into `schemas`, renaming on a clash with a different
    schema of the same name, and point the refs under it there."""
    if isinstance(node, list):
        for item in node:
            _hoist(item, schemas)
        return
    if not isinstance(node, dict):
        return
    defs = node.pop("$defs", None)
    if defs:
        names: dict[str, str] = {}
        for name, schema in defs.items():
            final, n = name, 1
            while final in schemas and schemas[final] != _rewritten(schema, names, defs):
                n += 1
                final = f"{name}{n}"
            names[name] = final
        _rewrite(node, names)
        for name, schema in defs.items():
            _rewrite(schema, names)
            _hoist(schema, schemas)
            schemas[names[name]] = schema
    for value in node.values():
        _hoist(value, schemas)


def _rewritten(schema: Any, names: dict[str, str], defs: dict[str, Any]) -> Any:
    # How `schema` would read once hoisted, names not yet decided read as unchanged.
    probe = copy.deepcopy(schema)
    _rewrite(probe, {name: names.get(name, name) for name in defs})
    return probe


def _rewrite(node: Any, names: dict[str, str]) -> None:
    if isinstance(node, list):
        for item in node:
            _rewrite(item, names)
    elif isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_LOCAL) and ref[len(_LOCAL) :] in names:
            node["$ref"] = _COMPONENT + names[ref[len(_LOCAL) :]]
        for key, value in node.items():
            if key != "$defs":  # a nested `$defs` is rewritten when it is hoisted
                _rewrite(value, names)


def _one_error_model(operation: dict[str, Any]) -> None:
    """Any error still documented with FastAPI's model is the API's `ErrorBody`."""
    for response in operation.get("responses", {}).values():
        for media in response.get("content", {}).values():
            schema = media.get("schema", {})
            if schema.get("$ref") == _COMPONENT + "HTTPValidationError":
                media["schema"] = {"$ref": _COMPONENT + "ErrorBody"}


def _referenced(node: Any, ref: str) -> bool:
    if isinstance(node, dict):
        return node.get("$ref") == ref or any(_referenced(v, ref) for v in node.values())
    if isinstance(node, list):
        return any(_referenced(v, ref) for v in node)
    return False
