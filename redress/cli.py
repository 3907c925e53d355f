"""`redress` command line: run the stack, or one part of it, and try it out.

redress up            dev server (unless REDRESS_TEMPORAL_ADDRESS), worker and API
redress worker        the worker alone (same as `python worker.py`)
redress api           the API alone (same as `python starter.py`)
redress policy [REF]  print a policy as the workflows will see it
redress policy check [FILE]   validate one; say which kind sections take the defaults
redress send-sample   post a signed sample case event (--kind) to the running API
redress send-event    sign and post any event body (the user's supplement, objection, …)
redress transaction import FILE.csv   settled transactions for the monitoring figures (C5)
redress migrate       upgrade the case store's schema to the newest revision (starts do too)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from redress.config import Settings
from redress.stack import cmd_up, local_secrets


def cmd_worker(_: argparse.Namespace) -> int:
    import asyncio

    import worker

    asyncio.run(worker.main())
    return 0


def cmd_api(_: argparse.Namespace) -> int:
    import starter

    starter.main()
    return 0


def cmd_policy(args: argparse.Namespace) -> int:
    from redress.policy import load_policy

    if args.ref == "check":
        return cmd_policy_check(args.file or Settings.from_env().policy)
    policy = load_policy(args.ref or Settings.from_env().policy)
    print(json.dumps(policy.snapshot(datetime.now(UTC)).model_dump(mode="json"), indent=2))
    return 0


def cmd_policy_check(ref: str) -> int:
    """Validate a policy; say which kind sections it takes from their bundled defaults."""
    from redress.kinds import KINDS
    from redress.policy import load_policy, read_policy

    try:
        path, _ = read_policy(ref)
        policy = load_policy(ref)
    except (OSError, ValueError) as err:  # pydantic's ValidationError is a ValueError
        print(f"policy {ref}: invalid\n{err}", file=sys.stderr)
        return 1
    print(f"policy {policy.name!r} ({path}): valid")
    for kind in KINDS.values():
        section = kind.policy
        where = (
            f"missing: the bundled defaults' values ({section.defaults})"
            if section.name in policy.defaulted
            else "from the file"
        )
        print(f"  [{section.name}] ({kind.name}): {where}")
    for name in policy.ignored:
        print(f"  [{name}]: ignored, no kind and no shared part reads it")
    return 0


def cmd_send_sample(args: argparse.Namespace) -> int:

    settings = Settings.from_env()
    env = dict(os.environ)
    local_secrets(settings.data_dir, env)
    from redress.kinds import KINDS

    kind = KINDS[args.kind] if args.kind else next(iter(KINDS.values()))
    source_id = args.id or f"C{uuid.uuid4().hex[:10]}"
    sample = kind.sample(source_id, locale=args.locale)
    if kind.sample_provider == "stripe":
        return _post_stripe(settings, env, sample)
    return _post_signed(settings, env, sample)


def _post_stripe(settings: Settings, env: dict[str, str], event: dict[str, object]) -> int:
    """Sign a Stripe event as Stripe does: `Stripe-Signature: t=…,v1=HMAC(t.body)`."""
    import hashlib
    import hmac

    import httpx

    body = json.dumps(event)
    at = int(time.time())
    secret = env["REDRESS_STRIPE_WEBHOOK_SECRET"]
    v1 = hmac.new(secret.encode(), f"{at}.{body}".encode(), hashlib.sha256).hexdigest()
    headers = {"Stripe-Signature": f"t={at},v1={v1}", "content-type": "application/json"}
    url = f"http://127.0.0.1:{settings.api_port}/webhooks/stripe"
    response = httpx.post(url, content=body.encode(), headers=headers, timeout=10)
    print(response.status_code, response.text)
    return 0 if response.status_code < 300 else 1


def cmd_send_event(args: argparse.Namespace) -> int:
    """Sign and post any event body (e.g. the user's `platform_complaint.objected`)."""
    settings = Settings.from_env()
    env = dict(os.environ)
    local_secrets(settings.data_dir, env)
    raw = sys.stdin.read() if args.body == "-" else args.body
    try:
        event = json.loads(raw)
    except ValueError as err:
        print(f"not JSON: {err}", file=sys.stderr)
        return 2
    if isinstance(event, dict) and "event_id" not in event:
        event["event_id"] = f"evt-{uuid.uuid4().hex[:16]}"
    return _post_signed(settings, env, event)


def _post_signed(settings: Settings, env: dict[str, str], event: object) -> int:
    import httpx

    from redress.api.signing import WebhookSigner

    body = json.dumps(event).encode()
    signer = WebhookSigner(env["REDRESS_WEBHOOK_SECRET"])
    headers = signer.headers(f"msg_{uuid.uuid4().hex}", body)
    headers["content-type"] = "application/json"
    url = f"http://127.0.0.1:{settings.api_port}/webhooks/generic"
    response = httpx.post(url, content=body, headers=headers, timeout=10)
    print(response.status_code, response.text)
    return 0 if response.status_code < 300 else 1


def cmd_transaction_import(args: argparse.Namespace) -> int:
    """Settled transactions from a CSV file: good rows in, duplicates skipped, bad rows
    reported with their line numbers (left out whole); exit 1 if any row was bad."""
    from redress.settlements import BadFile, import_csv
    from redress.store.db import make_engine

    settings = Settings.from_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)
    try:
        report = import_csv(engine, args.file, source=args.source)
    except (BadFile, OSError) as err:
        print(f"{args.file}: {err}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    for line, why in report.bad:
        print(f"{args.file}:{line}: {why}", file=sys.stderr)
    print(
        f"{report.imported} imported, {report.duplicates} duplicates skipped, "
        f"{len(report.bad)} bad rows"
    )
    return 1 if report.bad else 0


def cmd_migrate(_: argparse.Namespace) -> int:
    """Upgrade the configured store to the newest revision of every branch, saying which
    revisions it was at before and is at after."""
    from redress.store.db import make_engine, migrate

    settings = Settings.from_env()
    if not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url, create=False)
    try:
        before, after = migrate(engine)
    finally:
        engine.dispose()
    print(f"before: {', '.join(before) or '(none)'}")
    print(f"after:  {', '.join(after)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="redress", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="run the whole stack").set_defaults(func=cmd_up)
    sub.add_parser("worker", help="run the worker").set_defaults(func=cmd_worker)
    sub.add_parser("api", help="run the API/webhook server").set_defaults(func=cmd_api)
    pol = sub.add_parser(
        "policy",
        help="print a policy snapshot (`policy [REF]`) or check one (`policy check [FILE]`)",
    )
    pol.add_argument("ref", nargs="?", help="a bundled name or a path; `check` to validate")
    pol.add_argument("file", nargs="?", help="with `check`: the policy to validate")
    pol.set_defaults(func=cmd_policy)
    sample = sub.add_parser("send-sample", help="post a signed sample case event")
    sample.add_argument("--id", help="the source's case ID (default: random)")
    sample.add_argument("--kind", help="a registered kind (default: the first registered)")
    sample.add_argument("--locale", default="zh-CN", choices=["zh-CN", "en"])
    sample.set_defaults(func=cmd_send_sample)
    send = sub.add_parser("send-event", help="sign and post an event body (JSON, or - for stdin)")
    send.add_argument("body", help='e.g. \'{"type": "platform_complaint.confirmed", …}\'')
    send.set_defaults(func=cmd_send_event)
    sub.add_parser("migrate", help="upgrade the case store's schema").set_defaults(func=cmd_migrate)
    txn = sub.add_parser("transaction", help="settled transactions (C5's denominators)")
    txn_import = txn.add_subparsers(dest="action", required=True).add_parser(
        "import",
        help="import settled transactions from a CSV file with the header "
        "transaction_id,merchant_id,settled_at,amount,currency,card_not_present,network",
    )
    txn_import.add_argument("file", type=Path)
    txn_import.add_argument("--source", default="generic", help="the ID namespace (acquirer)")
    txn_import.set_defaults(func=cmd_transaction_import)
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
