"""The OpenAPI document tells the truth: schemathesis runs over `/openapi.json` of the API
served over real HTTP, with every one of its checks, authenticated as a supervisor, and finds
nothing (no 5xx, no undocumented status or body, no schema-valid request refused, no `$ref`
that resolves nowhere)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.e2e.harness import TOKENS, Stack

ST = Path(sys.executable).parent / "st"
# Per operation and phase: enough to hit the edges of every documented constraint, and the
# whole run stays near a minute on a two-core machine.
MAX_EXAMPLES = 25
SEED = 19
# Warnings fail the run too: a `$ref` that resolves nowhere leaves part of an operation
# untested. Only `missing_test_data` stays a warning: `GET /progress/{case_id}` opens with a
# case's own progress token, which no fixed header carries, so it answers 404 by design.
FAIL_ON = [
    "missing_auth",
    "base_url_mismatch",
    "validation_mismatch",
    "missing_deserializer",
    "unused_openapi_auth",
    "unsupported_regex",
    "method_not_allowed",
    "unresolvable_reference",
]
# 428 Precondition Required (RFC 6585) is this API's answer to a missing Idempotency-Key
# header, documented on the routes that need one. A refund or a refunding conclusion needs
# it, other actions do not: OpenAPI cannot make a header required by what the body holds,
# so a schema-valid refund sent without it is rightly answered 428.
CONFIG = f"""
[warnings]
fail-on = {FAIL_ON!r}

[checks.missing_required_header]
expected-statuses = [400, 401, 403, 406, 415, 422, 428]

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", 401, 403, 404, 409, 428, 429, "5xx"]

# The coverage phase sends its few generated keys with different bodies; one key for two
# requests is a 422 by the Idempotency-Key rule (the hook below gives fuzzed ones their own).
[[operations]]
include-path = "/transactions/{{transaction_id}}/notices"
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "3xx", 401, 403, 404, 409, 422, 428, 429, "5xx"
]

# A cursor is opaque: only one the API made (a page's `next_cursor`) is valid, which no
# schema states; any other string of its alphabet is the documented 422.
[[operations]]
include-path = "/cases"
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "3xx", 401, 403, 404, 409, 422, 428, 429, "5xx"
]

# A window of zero, or longer than the attempts ledger keeps, matches the duration grammar
# and is refused with the documented 422 (its bounds are the policy's, not the schema's).
[[operations]]
include-path = "/merchants/{{merchant_id}}/payments/failures"
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "3xx", 401, 403, 404, 409, 422, 428, 429, "5xx"
]
""".replace("'", '"')


# A client sends a fresh Idempotency-Key with every new request (and the same one only with
# the same request); generated cases reuse a few short values, which the API rightly refuses
# as one key for two requests (422). The hook gives each well-formed key a unique value and
# leaves malformed ones (the negative cases) as generated.
HOOKS = """
import uuid

import schemathesis


@schemathesis.hook
def map_headers(ctx, headers):
    for name, value in list((headers or {}).items()):
        if name.lower() == "idempotency-key" and isinstance(value, str):
            if 1 <= len(value) <= 96 and value.isprintable() and value.isascii():
                headers[name] = f"{value}-{uuid.uuid4().hex}"
    return headers
"""


async def test_schemathesis_finds_nothing(stack: Stack, tmp_path: Path) -> None:
    url = str(stack.http.base_url).rstrip("/") + "/openapi.json"
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    (tmp_path / "redress_hooks.py").write_text(HOOKS)
    cmd = [
        str(ST),
        "--config-file",
        str(config),
        "run",
        url,
        "--checks",
        "all",
        "--mode",
        "all",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--no-shrink",
        "--request-timeout",
        "20",
        "--header",
        f"Authorization: Bearer {TOKENS['supervisor']}",
        "--no-color",
    ]
    # Its own working directory: no stray schemathesis.toml is picked up, no report left.
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        cwd=tmp_path,
        env={**os.environ, "SCHEMATHESIS_HOOKS": "redress_hooks", "PYTHONPATH": str(tmp_path)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=170)
    text = out.decode("utf-8", "replace")
    assert proc.returncode == 0, text[-20000:]
