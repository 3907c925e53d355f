"""Action forms from the action models' JSON schema, for every kind alike: each field of
an action becomes an input by its schema type, and a posted form becomes the action's JSON
body again. The models validate it as they validate the API's bodies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter

MAX_LIST = 50  # lines of a list field taken from a form (the models bound them further)


@dataclass
class Field:
    name: str  # dotted for a nested object's field: "compensation.refund"
    label: str
    widget: str  # text, textarea, lines, select, number
    required: bool
    choices: list[str] = field(default_factory=list)
    help: str = ""


@dataclass
class ActionForm:
    type: str
    title: str
    help: str
    fields: list[Field]


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return _resolve(defs.get(ref.rpartition("/")[2], {}), defs)
    return schema


def _non_null(schema: dict[str, Any], defs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The schema without its `null` branch, and whether it had one."""
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list):
            rest = [b for b in branches if b.get("type") != "null"]
            if len(rest) == 1:
                inner = _resolve(rest[0], defs)
                merged = {**{k: v for k, v in schema.items() if k != key}, **inner}
                return merged, len(rest) < len(branches)
    return _resolve(schema, defs), False


def _fields(
    schema: dict[str, Any], defs: dict[str, Any], prefix: str, required: set[str]
) -> list[Field]:
    found: list[Field] = []
    for name, raw in schema.get("properties", {}).items():
        if not prefix and name == "type":
            continue
        prop, nullable = _non_null(_resolve(raw, defs), defs)
        dotted = f"{prefix}{name}"
        needed = name in required and not nullable
        title = str(prop.get("title") or name.replace("_", " ").capitalize())
        help_text = str(prop.get("description", ""))
        kind = prop.get("type")
        if kind == "object" and "properties" in prop:
            inner_required = set(prop.get("required", []))
            found += _fields(prop, defs, f"{dotted}.", inner_required)
        elif "enum" in prop or "const" in prop:
            choices = [str(c) for c in prop.get("enum", [prop.get("const")])]
            found.append(Field(dotted, title, "select", needed, choices, help_text))
        elif kind == "boolean":
            found.append(Field(dotted, title, "select", needed, ["true", "false"], help_text))
        elif kind == "array":
            found.append(Field(dotted, title, "lines", needed, [], help_text))
        elif kind in ("integer", "number"):
            found.append(Field(dotted, title, "number", needed, [], help_text))
        else:
            limit = prop.get("maxLength")
            long = kind == "string" and (limit is None or int(limit) > 200)
            # An amount is a number or a decimal string: a short text field either way.
            found.append(
                Field(dotted, title, "textarea" if long else "text", needed, [], help_text)
            )
    return found


def action_forms(actions: TypeAdapter[Any], types: list[str]) -> list[ActionForm]:
    """The forms of `types`, in that order, from the kind's action models' schema."""
    schema = actions.json_schema()
    defs: dict[str, Any] = schema.get("$defs", {})
    by_type: dict[str, dict[str, Any]] = {}
    for branch in schema.get("oneOf", schema.get("anyOf", [schema])):
        model = _resolve(branch, defs)
        const = model.get("properties", {}).get("type", {})
        name = const.get("const") or (const.get("enum") or [const.get("default")])[0]
        if name:
            by_type[str(name)] = model
    forms = []
    for action_type in types:
        found = by_type.get(action_type)
        if found is None:
            continue
        fields = _fields(found, defs, "", set(found.get("required", [])))
        title = action_type.replace("_", " ").capitalize()
        forms.append(ActionForm(action_type, title, str(found.get("description", "")), fields))
    return forms


def body_of(form: dict[str, str], fields: list[Field] | None = None) -> dict[str, Any]:
    """A posted action form as the action's JSON body: empty inputs left out, list fields
    split by line, dotted names nested. Values stay strings where the model parses them."""
    widgets = {f.name: f.widget for f in fields or []}
    booleans = {f.name for f in fields or [] if f.choices == ["true", "false"]}
    body: dict[str, Any] = {}
    for name, value in form.items():
        if name in ("csrf_token", "idempotency_key") or not name.startswith("f."):
            continue
        key = name[2:]
        if widgets.get(key) == "lines":
            items = [line.strip() for line in value.splitlines() if line.strip()][:MAX_LIST]
            if not items:
                continue
            parsed: Any = items
        else:
            if not value.strip():
                continue
            parsed = (value == "true") if key in booleans and value in ("true", "false") else value
        target = body
        *parents, leaf = key.split(".")
        for part in parents:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                break
        else:
            target[leaf] = parsed
    body["type"] = form.get("type", "")
    return body
