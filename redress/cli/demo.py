"""`redress demo`: a realistic mix of signed cases of every kind through the running stack."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.progress import Progress

from redress.cli.common import CliError, api_url, load_active_policy, local_env, out
from redress.cli.sending import PolicyOption, sign

MERCHANTS = ("M-DEMO", "M-SHOP-1", "M-SHOP-2")
AMOUNTS = ("12.50", "88.00", "268.00", "1299.00", "45.90")


def demo(
    per_kind: Annotated[int, typer.Option(help="cases of each kind", min=1, max=50)] = 3,
    seed: Annotated[int | None, typer.Option(help="a seed for the same mix again")] = None,
    policy_: PolicyOption = None,
) -> int:
    """Send a realistic mix of signed cases of every kind (each kind's sample, across
    merchants, amounts, languages and creation times) through the running stack, with a
    progress bar, then say where to look: the API, the console and the Temporal Web UI.

    Reads REDRESS_API_URL (default http://127.0.0.1:$REDRESS_API_PORT), the policy
    (--policy, else REDRESS_POLICY, else the running stack's, else the default), the webhook
    secrets (REDRESS_WEBHOOK_SECRET, REDRESS_STRIPE_WEBHOOK_SECRET; else the
    local ones in REDRESS_DATA_DIR) and REDRESS_UI_PORT."""
    import httpx

    from redress.kinds import KINDS

    found, env = local_env()
    policy, which = load_active_policy(policy_)
    out.print(f"clocks of {which}", markup=False, highlight=False)
    pick = random.Random(seed)
    base = api_url(found)
    opened: list[str] = []
    linked: list[str] = []
    refused: list[str] = []
    now = datetime.now(UTC)
    plan = [kind for kind in KINDS.values() for _ in range(per_kind)]
    with Progress(console=out, transient=False) as progress, httpx.Client(timeout=30) as http:
        task = progress.add_task("sending cases", total=len(plan))
        for n, kind in enumerate(plan):
            # Each case its own trade (and so its own user's complaint): none joins another.
            trade = f"{'ch_' if kind.sample_provider == 'stripe' else 'T'}{uuid.uuid4().hex[:14]}"
            event = kind.sample(
                f"D{uuid.uuid4().hex[:10]}",
                trade_no=trade,
                locale=pick.choice(("zh-CN", "en")),
                merchant_id=MERCHANTS[n % len(MERCHANTS)],
                # Seconds apart, as a desk's morning brings them: every clock of the
                # policy (even the fast one's) still ahead.
                created_at=now - timedelta(seconds=pick.randint(0, 20)),
                amount=pick.choice(AMOUNTS),
                policy=policy,
            )
            body = json.dumps(event).encode()
            path, headers = sign(kind.sample_provider, body, found, env)
            try:
                response = http.post(f"{base}{path}", content=body, headers=headers)
            except httpx.HTTPError as error:
                raise CliError(f"cannot reach the API at {base}: {error} (is it up?)") from None
            if response.status_code < 300:
                answer = response.json()
                case_id = str(answer.get("case_id", "?"))
                (linked if answer.get("duplicate") else opened).append(case_id)
            else:
                refused.append(f"{kind.name}: {response.status_code} {response.text[:200]}")
            progress.update(task, advance=1, description=f"{kind.name}")
    out.print(
        f"{len(opened)} opened, {len(linked)} linked as duplicates, {len(refused)} refused",
        markup=False,
        highlight=False,
    )
    for line in refused:
        out.print(f"  refused {line}", markup=False, highlight=False)
    out.print(
        "Look at them:\n"
        f"  redress cases list           the queue (REDRESS_TOKEN, or the local agent token)\n"
        f"  API       {base}/docs  (GET /cases)\n"
        f"  console   {base}/console\n"
        f"  Web UI    http://127.0.0.1:{found.ui_port}  (each case's workflow)",
        markup=False,
        highlight=False,
    )
    return 1 if refused or not opened else 0
