"""Action forms from the action models' JSON schema, for every kind alike: each field of
an action becomes an input by its schema type, and a posted form becomes the action's JSON
body again. The models validate it as they validate the API's bodies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter

MAX_LIST = 50  # lines of a list field taken from a form (the models bound them further)
ROWS = 3  # empty rows a list of objects offers (empty rows are left out of the body)


@dataclass
class Field:
    name: str  # dotted for a nested object's field: "compensation.refund"
    label: str  # the field's own title (a nested one's objects are its `section`)
    widget: str  # text, textarea, lines, select, number, rows (a list of objects)
    required: bool  # never inside an optional object: required only once it is filled
    choices: list[str] = field(default_factory=list)
    help: str = ""
    section: str = ""  # the titles of the objects it is nested in: "Compensation"
    # rows: the fields of one item, named within the item; a row's inputs are named
    # "<name>.<row>.<item field>"
    item: list[Field] = field(default_factory=list)
    rows: int = 0


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


def _title(prop: dict[str, Any], name: str) -> str:
    raw = str(prop.get("title") or name)
    words = raw.replace("_", " ").strip()
    return words[:1].upper() + words[1:].lower() if words else name


def _fields(
    schema: dict[str, Any],
    defs: dict[str, Any],
    prefix: str,
    required: set[str],
    section: str = "",
    in_rows: bool = False,
) -> list[Field]:
    found: list[Field] = []
    for name, raw in schema.get("properties", {}).items():
        if not prefix and name == "type" and not in_rows:
            continue
        prop, nullable = _non_null(_resolve(raw, defs), defs)
        dotted = f"{prefix}{name}"
        needed = name in required and not nullable
        title = _title(prop, name)
        help_text = str(prop.get("description", ""))
        kind = prop.get("type")
        item = _non_null(_resolve(prop.get("items", {}), defs), defs)[0]
        if kind == "object" and "properties" in prop:
            # An optional object's required fields are required once it is filled only.
            inner_required = set(prop.get("required", [])) if needed else set()
            named = _title({}, name)  # an object's title is its model's name: not the field's
            inner = f"{section} › {named}" if section else named
            found += _fields(prop, defs, f"{dotted}.", inner_required, inner, in_rows)
            continue
        if "enum" in prop or "const" in prop:
            choices = [str(c) for c in prop.get("enum", [prop.get("const")])]
            made = Field(dotted, title, "select", needed, choices, help_text)
        elif kind == "boolean":
            made = Field(dotted, title, "select", needed, ["true", "false"], help_text)
        elif kind == "array" and "properties" in item and not in_rows:
            # A list of objects: a few rows of the item's own fields.
            inner_fields = _fields(item, defs, "", set(), "", in_rows=True)
            made = Field(dotted, title, "rows", needed, [], help_text, item=inner_fields)
            made.rows = ROWS
        elif kind == "array":
            made = Field(dotted, title, "lines", needed, [], help_text)
        elif kind in ("integer", "number"):
            made = Field(dotted, title, "number", needed, [], help_text)
        else:
            limit = prop.get("maxLength")
            long = kind == "string" and (limit is None or int(limit) > 200)
            # An amount is a number or a decimal string: a short text field either way.
            made = Field(dotted, title, "textarea" if long else "text", needed, [], help_text)
        made.section = section
        found.append(made)
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


def _value(value: str, found: Field | None) -> Any:
    """One input's value as the body holds it (None: left out)."""
    widget = found.widget if found else "text"
    if widget == "lines":
        items = [line.strip() for line in value.splitlines() if line.strip()][:MAX_LIST]
        return items or None
    if not value.strip():
        return None
    if found and found.choices == ["true", "false"] and value in ("true", "false"):
        return value == "true"
    if widget == "number" and value.strip().lstrip("-").isdigit():
        return int(value.strip())  # a JSON integer (a string is no integer to the models)
    return value


def _put(body: dict[str, Any], key: str, value: Any) -> None:
    target = body
    *parents, leaf = key.split(".")
    for part in parents:
        target = target.setdefault(part, {})
        if not isinstance(target, dict):
            return
    target[leaf] = value


def body_of(form: dict[str, str], fields: list[Field] | None = None) -> dict[str, Any]:
    """A posted action form as the action's JSON body: empty inputs left out, list fields
    split by line, a list of objects from its rows (empty rows left out), dotted names
    nested. Values stay strings where the model parses them."""
    by_name = {f.name: f for f in fields or []}
    rows = [f for f in fields or [] if f.widget == "rows"]
    body: dict[str, Any] = {}
    for name, value in form.items():
        if name in ("csrf_token", "idempotency_key") or not name.startswith("f."):
            continue
        key = name[2:]
        if any(key.startswith(f"{r.name}.") for r in rows):
            continue
        parsed = _value(value, by_name.get(key))
        if parsed is not None:
            _put(body, key, parsed)
    for r in rows:
        items = []
        for n in range(min(r.rows, MAX_LIST)):
            item: dict[str, Any] = {}
            for sub in r.item:
                parsed = _value(form.get(f"f.{r.name}.{n}.{sub.name}", ""), sub)
                if parsed is not None:
                    _put(item, sub.name, parsed)
            if item:
                items.append(item)
        if items:
            _put(body, r.name, items)
    body["type"] = form.get("type", "")
    return body
