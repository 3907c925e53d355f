"""The command line against a running stack (one for the module): `send-sample`,
`send-event` by provider (a Stripe verdict, Antom's notification), `cases list`,
`cases show`, `act` and its refusals, and `demo`, each run as `redress` is."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from redress.models.dispute_samples import sample_event
from tests.e2e.harness import (
    ANTOM_CLIENT_ID,
    STRIPE_SECRET,
    TOKENS,
    Stack,
    antom_created,
    antom_keys,
)

BIN = Path(sys.executable).parent / "redress"


def cli_env(stack: Stack, tmp: Path, role: str = "agent") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDRESS_")}
    return {
        **env,
        "REDRESS_API_URL": str(stack.http.base_url).rstrip("/"),
        "REDRESS_TOKEN": TOKENS[role],
        "REDRESS_WEBHOOK_SECRET": stack.secret,
        "REDRESS_STRIPE_WEBHOOK_SECRET": STRIPE_SECRET,
        "REDRESS_ANTOM_PRIVATE_KEY": antom_keys()[0],
        "REDRESS_ANTOM_CLIENT_ID": ANTOM_CLIENT_ID,
        "REDRESS_POLICY": "fast",
        "REDRESS_DATA_DIR": str(tmp),
        "COLUMNS": "250",
    }


async def redress(
    stack: Stack, tmp: Path, *args: str, role: str = "agent", stdin: str = ""
) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        BIN,
        *args,
        env=cli_env(stack, tmp, role),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def one_line(err: str) -> str:
    assert "Traceback" not in err, err
    assert err.count("\n") == 1, err
    return err.strip()


async def test_a_sample_in_the_queue_shown_and_acted_on(
    module_stack: Stack, tmp_path: Path
) -> None:
    stack, merchant = module_stack, f"M-CLI-{uuid.uuid4().hex[:6]}"
    source = f"C{uuid.uuid4().hex[:10]}"
    created = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    code, out, err = await redress(
        stack, tmp_path, "send-sample", "--kind", "merchant_complaint", "--id", source,
        "--merchant", merchant, "--amount", "120.50", "--created-at", created, "--locale", "en",
    )  # fmt: skip
    assert code == 0, err
    assert '"duplicate":false' in out
    case_id = f"complaint-generic-{source}"
    await stack.wait_for(case_id, lambda c: c["penalties"])

    code, out, err = await redress(stack, tmp_path, "cases", "list", "--merchant", merchant)
    assert code == 0, err
    assert case_id in out and "merchant_complaint" in out
    code, out, _ = await redress(stack, tmp_path, "cases", "list", "--merchant", merchant, "--json")
    [item] = json.loads(out)["items"]
    assert item["case_id"] == case_id

    code, out, err = await redress(stack, tmp_path, "cases", "show", case_id)
    assert code == 0, err
    # Its 4-second clock (the quick policy) has run: penalized, its appeal window open.
    assert "120.50" in out and "Deadlines" in out and "appeal_by:P1" in out, out
    assert "Penalties" in out and "Timeline" in out and "response_overdue" in out

    code, out, err = await redress(
        stack, tmp_path, "act", case_id, "reply", "--field", "message=on its way"
    )
    assert code == 0, err
    assert f"{case_id}: reply taken" in out
    await stack.wait_for(
        case_id, lambda c: any(e.get("message") == "on its way" for e in c["timeline"])
    )

    # The API's refusals, as the API words them: one line, non-zero.
    code, _, err = await redress(
        stack, tmp_path, "act", case_id, "refund", "--field", "amount=9999.00"
    )
    assert code == 1 and one_line(err) == (
        "redress: 422 refund of 9999.00 exceeds the refundable amount 120.50 CNY"
    )
    code, _, err = await redress(
        stack, tmp_path, "act", case_id, "platform_verdict", "--field", "verdict=no_refund"
    )
    assert code == 1 and "redress: 403" in one_line(err)
    code, _, err = await redress(stack, tmp_path, "cases", "show", "complaint-generic-nope")
    assert code == 1 and "404" in one_line(err)
    code, _, err = await redress(stack, tmp_path, "act", case_id, "reply", "--field", "message")
    assert code == 2 and "key=value" in one_line(err)


async def test_a_stripe_verdict_and_an_antom_notification_sent_by_hand(
    module_stack: Stack, tmp_path: Path
) -> None:
    stack = module_stack
    dispute_id = f"dp_{uuid.uuid4().hex[:12]}"
    opened = sample_event(dispute_id, merchant_id="M-CLI-D", due_in=timedelta(days=7))
    (tmp_path / "opened.json").write_text(json.dumps(opened))
    code, out, err = await redress(
        stack, tmp_path, "send-event", "--provider", "stripe", f"@{tmp_path / 'opened.json'}"
    )
    assert code == 0, err
    case_id = f"dispute-stripe-{dispute_id}"
    await stack.wait_for(case_id, lambda c: c["version"] >= 1)
    closed = json.loads(json.dumps(opened))
    closed.pop("id")  # the command gives it one
    closed["type"] = "charge.dispute.closed"
    closed["created"] = int(time.time()) + 1
    closed["data"]["object"]["status"] = "won"
    code, _, err = await redress(
        stack, tmp_path, "send-event", "--provider", "stripe", "-", stdin=json.dumps(closed)
    )
    assert code == 0, err
    case = await stack.wait_for(case_id, lambda c: c["status"] == "closed")
    assert case["outcome"] == "won"

    notification = antom_created(
        datetime.now(UTC).replace(microsecond=0), paymentRequestId="PAY-CLI"
    )
    antom_id = notification["disputeId"]
    code, out, err = await redress(
        stack, tmp_path, "send-event", "--provider", "antom", json.dumps(notification)
    )
    assert code == 0, err
    assert '"resultStatus":"S"' in out.replace(" ", "")
    await stack.wait_for(f"dispute-antom-{antom_id}", lambda c: c["version"] >= 1)
    # A wrong secret: the provider's refusal, one line.
    code, _, err = await redress(
        stack, tmp_path, "send-event", "--provider", "bogus", json.dumps(notification)
    )
    assert code == 1 and "unknown provider" in one_line(err)


async def test_demo_sends_every_kind_and_says_where_to_look(
    module_stack: Stack, tmp_path: Path
) -> None:
    from redress.kinds import KINDS

    code, out, err = await redress(module_stack, tmp_path, "demo", "--per-kind", "2", "--seed", "7")
    assert code == 0, out + err
    # Each case its own user's trade: none is linked to another as a duplicate.
    assert f"{2 * len(KINDS)} opened, 0 linked as duplicates, 0 refused" in out
    assert "clocks of policy fast (REDRESS_POLICY)" in out
    assert "/console" in out and "/docs" in out and "Web UI" in out
    opened = await module_stack.read("/cases", params={"limit": 500})
    kinds = [item["kind"] for item in opened.json()["items"]]
    assert all(kinds.count(name) >= 2 for name in KINDS)


async def test_a_verdict_by_shortcut_on_a_sample_dispute(
    module_stack: Stack, tmp_path: Path
) -> None:
    """`send-sample --print` shows the signed body it sent; `send-event --verdict` closes
    the dispute as Stripe would, and Antom's judgement likewise."""
    stack, source = module_stack, f"dp_{uuid.uuid4().hex[:12]}"
    code, out, err = await redress(
        stack, tmp_path, "send-sample", "--kind", "dispute", "--id", source, "--print"
    )
    assert code == 0, err
    sent = json.loads(out)  # stdout: the body alone, to reuse
    assert sent["type"] == "charge.dispute.created" and sent["data"]["object"]["id"] == source
    assert "clocks of policy fast (REDRESS_POLICY)" in err and '"duplicate":false' in err
    case_id = f"dispute-stripe-{source}"
    await stack.wait_for(case_id, lambda c: c["version"] >= 1)
    code, out, err = await redress(
        stack, tmp_path, "send-event", "--provider", "stripe", "--verdict", "won",
        "--dispute", source,
    )  # fmt: skip
    assert code == 0, err
    case = await stack.wait_for(case_id, lambda c: c["status"] == "closed")
    assert case["outcome"] == "won"

    now = datetime.now(UTC).replace(microsecond=0)
    usd = {"currency": "USD", "value": "4999"}
    opened = antom_created(now, paymentRequestId="PAY-CLI", disputeAmount=usd)
    antom_id = opened["disputeId"]
    code, _, err = await redress(
        stack, tmp_path, "send-event", "--provider", "antom", json.dumps(opened)
    )
    assert code == 0, err
    antom_case = f"dispute-antom-{antom_id}"
    await stack.wait_for(antom_case, lambda c: c["version"] >= 1)
    code, out, err = await redress(
        stack, tmp_path, "send-event", "--provider", "antom", "--verdict", "lost",
        "--dispute", antom_id, "--print",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["disputeJudgedResult"] == "ACCEPT_BY_MERCHANT"
    case = await stack.wait_for(antom_case, lambda c: c["status"] == "closed")
    assert case["outcome"] == "lost"
    # No such case: the API's 404, one line.
    code, _, err = await redress(
        stack, tmp_path, "send-event", "--provider", "stripe", "--verdict", "won",
        "--dispute", "dp_nope",
    )  # fmt: skip
    assert code == 1 and "404" in one_line(err)


async def test_a_sample_antom_dispute_worked_by_hand(module_stack: Stack, tmp_path: Path) -> None:
    """`send-sample --kind dispute --provider antom --due-in 10m`: Antom's DISPUTE_CREATED,
    signed with the Antom key the command line is given; `cases show` prints the dispute's
    details in UTC; lost, its deducted money reaches the month's metrics."""
    stack, antom_id = module_stack, f"2026{uuid.uuid4().int % 10**16:016d}"
    code, out, err = await redress(
        stack, tmp_path, "send-sample", "--kind", "dispute", "--provider", "antom",
        "--id", antom_id, "--due-in", "10m", "--print",
    )  # fmt: skip
    assert code == 0, err
    sent = json.loads(out)
    assert sent["disputeNotificationType"] == "DISPUTE_CREATED"
    case_id = f"dispute-antom-{antom_id}"
    case = await stack.wait_for(case_id, lambda c: c["version"] >= 1)
    due = datetime.fromisoformat(sent["defenseDueTime"])
    assert due - datetime.fromisoformat(sent["disputeTime"]) == timedelta(minutes=10)
    assert case["status"] == "needs_response" and case["details"]["defendable"] is True
    code, out, err = await redress(stack, tmp_path, "cases", "show", case_id)
    assert code == 0, err
    assert due.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") in out and "+08:00" not in out
    assert "defendable" in out and "phase" in out and "chargeback" in out
    code, _, err = await redress(
        stack, tmp_path, "send-event", "--provider", "antom", "--verdict", "lost",
        "--dispute", antom_id,
    )  # fmt: skip
    assert code == 0, err
    case = await stack.wait_for(case_id, lambda c: c["status"] == "closed")
    moved = case["details"]["moved"]
    [(currency, book)] = moved.items()
    month = datetime.now(UTC).strftime("%Y-%m")
    found = await stack.read(
        f"/merchants/{case['merchant_id']}/disputes/metrics", params={"month": month}
    )
    money = found.json()["outcomes"]["money"][currency]
    assert Decimal(money["deducted"]) >= Decimal(book["deducted"]) > 0
    # Too close to be worked: the policy's safety margin says so.
    code, _, err = await redress(
        stack, tmp_path, "send-sample", "--kind", "dispute", "--due-in", "5s"
    )
    assert code == 2 and "safety margin" in one_line(err)


async def test_a_case_claimed_taken_by_a_supervisor_and_released(
    module_stack: Stack, tmp_path: Path
) -> None:
    stack, source = module_stack, f"C{uuid.uuid4().hex[:10]}"
    code, _, err = await redress(
        stack, tmp_path, "send-sample", "--kind", "merchant_complaint", "--id", source
    )
    assert code == 0, err
    case_id = f"complaint-generic-{source}"
    await stack.wait_for(case_id, lambda c: c["version"] >= 1)
    code, out, err = await redress(stack, tmp_path, "cases", "claim", case_id)
    assert code == 0, err
    assert out.startswith(f"{case_id}: claimed by ")
    code, _, err = await redress(stack, tmp_path, "cases", "claim", case_id, role="supervisor")
    assert code == 1 and "409" in one_line(err) and "--force" in err
    code, out, err = await redress(
        stack, tmp_path, "cases", "claim", case_id, "--force", role="supervisor"
    )
    assert code == 0, err
    code, _, err = await redress(stack, tmp_path, "cases", "release", case_id)
    assert code == 1 and "403" in one_line(err)
    code, out, err = await redress(
        stack, tmp_path, "cases", "release", case_id, role="supervisor", stdin=""
    )
    assert code == 0, err
    assert out.strip() == f"{case_id}: nobody holds it"
