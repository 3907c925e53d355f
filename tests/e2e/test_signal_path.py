"""The signal path on a real dev server: what `temporal workflow signal … act_signal` and the
Web UI send goes through the same rules as the API, and lands in the audit table."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Mapping

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from redress.store.tables import AuditEntry, RefundRecord
from tests.e2e.harness import Stack, complaint_event
from tests.harness import binary, running_worker


def audit(engine: Engine, case_id: str) -> list[AuditEntry]:
    with Session(engine) as s:
        q = select(AuditEntry).where(AuditEntry.case_id == case_id)
        return list(s.exec(q.order_by(col(AuditEntry.id))).all())


async def until_audited(engine: Engine, case_id: str, count: int) -> list[AuditEntry]:
    for _ in range(150):
        rows = audit(engine, case_id)
        if len(rows) >= count:
            return rows
        await asyncio.sleep(0.2)
    raise AssertionError(f"{case_id}: {audit(engine, case_id)}")


def cli_signal(stack: Stack, case_id: str, body: Mapping[str, object]) -> None:
    """As an operator (or anyone who reaches the server) would: the `temporal` CLI."""
    address = stack.env.client.service_client.config.target_host
    done = subprocess.run(
        [
            binary("temporal"),
            "workflow",
            "signal",
            "--address",
            address,
            "--namespace",
            stack.env.client.namespace,
            "--workflow-id",
            case_id,
            "--name",
            "act_signal",
            "--input",
            json.dumps(body),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr


async def test_signals_through_the_real_client_are_held_and_audited(stack: Stack) -> None:
    async with running_worker(stack.env.client, stack.engine, stack.task_queue):
        r = await stack.post_webhook(complaint_event())
        assert r.status_code == 202, r.text
        case_id = r.json()["case_id"]
        await stack.wait_for(case_id, lambda c: c["status"] == "awaiting_response")
        handle = stack.env.client.get_workflow_handle(case_id)

        # A forged intake event: role `user`, by the CLI.
        forged = {"actor": "u", "role": "user", "action": {"type": "resolve"}, "request_id": "f-1"}
        cli_signal(stack, case_id, forged)
        # A refund by signal: refused under the default policy, whatever the role.
        refund = {"type": "refund", "amount": "120.50"}
        await handle.signal(
            "act_signal", {"actor": "ops-1", "role": "supervisor", "action": refund}
        )
        # A reply an agent could send through the API: taken.
        reply = {"type": "reply", "message": "Shipped today, tracking SF1"}
        await handle.signal(
            "act_signal",
            {"actor": "ops-1", "role": "agent", "action": reply, "request_id": "rep-1"},
        )
        rows = await until_audited(stack.engine, case_id, 3)
        case = await stack.wait_for(case_id, lambda c: c["status"] == "awaiting_outcome")

        # And one through the API, for comparison.
        r = await stack.act(case_id, "agent", {"type": "reply", "message": "Any news?"})
        assert r.status_code == 200, r.text
        rows = await until_audited(stack.engine, case_id, 4)

    claimed = [(r.via, r.actor, r.role, r.action, r.request_id) for r in rows]
    assert claimed[:3] == [
        ("signal", "u", "user", "resolve", "f-1"),
        ("signal", "ops-1", "supervisor", "refund", ""),
        ("signal", "ops-1", "agent", "reply", "rep-1"),
    ]
    assert [(r.accepted, r.status_code) for r in rows[:3]] == [
        (False, 403),
        (False, 403),
        (True, 200),
    ]
    assert "never by signal" in rows[0].reason and "use the API" in rows[1].reason
    assert (rows[3].via, rows[3].role, rows[3].accepted) == ("api", "agent", True)
    assert rows[3].effect_key is None and rows[3].scope == "*"
    assert float(case["refunded"]) == 0
    with Session(stack.engine) as s:
        assert s.exec(select(RefundRecord).where(RefundRecord.case_id == case_id)).all() == []
    refused = [e for e in case["timeline"] if e["type"] == "action_refused"]
    assert [(e["actor"], e["action"], e["via"]) for e in refused] == [
        ("u", "resolve", "signal"),
        ("ops-1", "refund", "signal"),
    ]
