"""What the commands share: one-line errors, the console, the settings and secrets, and the
API over HTTP (its address and token from the environment or a flag)."""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

from rich.console import Console
from typer.core import TyperCommand

from redress.config import Settings


def _width() -> int | None:
    """The terminal's width; piped or captured, wide enough for a whole table row."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        return int(columns)
    return None if sys.stdout.isatty() else 180


# No console markup: what cases hold (a user's message, a display name) prints as written;
# `[/x]` in it must never be read as a style tag (Rich would raise on it).
out = Console(soft_wrap=True, width=_width(), markup=False)
err = Console(stderr=True, soft_wrap=True, width=_width(), markup=False)

API_URL_ENV = "REDRESS_API_URL"
TOKEN_ENV = "REDRESS_TOKEN"


class Command(TyperCommand):
    """A command whose usage names its arguments plainly: `redress act CASE_ID TYPE` (a
    required one without Typer's braces; an optional one stays in brackets)."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [
            p[1:-1] if p.startswith("{") and p.endswith("}") else p
            for p in super().collect_usage_pieces(ctx)
        ]


class CliError(Exception):
    """Bad input or a refusal: one line on stderr and a non-zero exit, no traceback."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as error:  # a malformed REDRESS_* variable
        raise CliError(str(error)) from None


def active_policy(given: str | None = None) -> tuple[str, str]:
    """The policy a command uses and where it comes from: --policy, else REDRESS_POLICY,
    else the one the last `redress up` on the data folder runs with (its `policy` file),
    else the bundled default."""
    from redress.stack import POLICY_FILE, recorded_policy

    if given:
        return given, "--policy"
    if os.environ.get("REDRESS_POLICY", "").strip():
        return os.environ["REDRESS_POLICY"].strip(), "REDRESS_POLICY"
    data_dir = settings().data_dir
    recorded = recorded_policy(data_dir)
    if recorded:
        return recorded, f"the stack's, {data_dir / POLICY_FILE}"
    return "default", "the default"


def load_active_policy(given: str | None = None) -> tuple[Any, str]:
    """The active policy (`active_policy`) loaded, and a line saying which it is."""
    from redress.policy import load_policy

    ref, source = active_policy(given)
    try:
        return load_policy(ref), f"policy {ref} ({source})"
    except (OSError, ValueError) as error:
        raise CliError(f"policy {ref} ({source}): {' '.join(str(error).split())}") from None


def local_env() -> tuple[Settings, dict[str, str]]:
    """The settings and the environment with the local secrets `redress up` made (the
    webhook secrets, the API tokens) unless the environment sets its own."""
    from redress.stack import local_secrets

    found = settings()
    env = dict(os.environ)
    try:
        found.data_dir.mkdir(parents=True, exist_ok=True)
        local_secrets(found.data_dir, env)
    except OSError as error:
        raise CliError(f"data folder {found.data_dir}: {error.strerror or error}") from None
    return found, env


def api_url(found: Settings | None = None) -> str:
    """REDRESS_API_URL, else the local stack's API (REDRESS_API_PORT)."""
    url = os.environ.get(API_URL_ENV, "").strip()
    if url:
        return url.rstrip("/")
    return f"http://127.0.0.1:{(found or settings()).api_port}"


def token(given: str | None) -> str:
    """--token, else REDRESS_TOKEN, else the local stack's agent token (its data folder)."""
    if given:
        return given
    if os.environ.get(TOKEN_ENV):
        return os.environ[TOKEN_ENV]
    tokens = settings().data_dir / "api-tokens"
    if tokens.exists():
        for entry in tokens.read_text().strip().split(","):
            value, _, role = entry.partition(":")
            if role.split(":")[0] == "agent":
                return value
    raise CliError(f"no API token: set {TOKEN_ENV} or pass --token")


def request(
    method: str,
    path: str,
    *,
    token_: str | None = None,
    base: str | None = None,
    ok: tuple[int, ...] = (),
    **kw: Any,
) -> Any:
    """One API request; its JSON body. A refusal (4xx/5xx) or an unreachable API is a
    `CliError` carrying the API's own message."""
    import httpx

    url = f"{base or api_url()}{path}"
    headers = dict(kw.pop("headers", {}))
    if token_ is not None:
        headers["Authorization"] = f"Bearer {token_}"
    try:
        response = httpx.request(method, url, headers=headers, timeout=30, **kw)
    except httpx.HTTPError as error:
        raise CliError(f"cannot reach the API at {url}: {error} (is the stack up?)") from None
    if response.status_code >= 400 and response.status_code not in ok:
        raise CliError(f"{response.status_code} {refusal(response)}")
    try:
        return response.json()
    except ValueError:
        return response.text


def refusal(response: Any) -> str:
    """The API's refusal message (FastAPI's `detail`, a string or the validation list)."""
    try:
        body = response.json()
    except ValueError:
        return str(response.text)[:500] or response.reason_phrase
    detail = body.get("detail", body) if isinstance(body, dict) else body
    if isinstance(detail, list):
        return "; ".join(
            f"{'.'.join(str(p) for p in d.get('loc', []))}: {d.get('msg', d)}"
            if isinstance(d, dict)
            else str(d)
            for d in detail
        )
    return detail if isinstance(detail, str) else json.dumps(detail)


def new_key() -> str:
    return f"cli-{uuid.uuid4().hex}"


def readable(path: Path) -> Path:
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    return path


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
