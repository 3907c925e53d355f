"""Payloads are encrypted at rest in a real dev server; the codec endpoint decodes them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from google.protobuf import json_format
from sqlalchemy.engine import Engine
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.history.v1 import History
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from redress.api.app import create_app
from redress.api.deps import AppState
from redress.api.signing import WebhookSigner, generate_secret
from redress.codec import ENCODING, KEY_ID_KEY, generate_key
from redress.config import Settings, parse_tokens
from redress.models import ActionReceipt, CaseAction
from redress.models.complaint import Reply
from redress.policy import load_policy
from redress.temporal import data_converter
from tests.e2e.harness import TOKENS
from tests.harness import (
    binary,
    case_input,
    eventually,
    free_port,
    make_complaint,
    notices,
    running_worker,
)
from workflows.complaint import ComplaintWorkflow

ADDRESS = "li.lei@example.com"
SETTINGS = Settings(
    api_tokens=parse_tokens(",".join(f"{t}:{r}" for r, t in TOKENS.items())),
    payload_keys=f"k2026:{generate_key()},k2025:{generate_key()}",
)


@pytest.fixture
async def encrypting_client(local_env: WorkflowEnvironment) -> Client:
    return await Client.connect(
        local_env.client.service_client.config.target_host,
        namespace="default",
        data_converter=data_converter(SETTINGS),
    )


@pytest.fixture
async def codec_url(encrypting_client: Client, engine: Engine) -> AsyncIterator[str]:
    """The API over real HTTP, so the `temporal` CLI can use its codec endpoint too."""
    secret = generate_secret()
    state = AppState(
        settings=SETTINGS,
        client=encrypting_client,
        engine=engine,
        policy=load_policy("default"),
        signer=WebhookSigner(secret),
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(SETTINGS, state), host="127.0.0.1", port=port, log_config=None)
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}/codec"
    server.should_exit = True
    await serving


async def _wait_for_notice(engine: Engine, case_id: str, timeout: float = 30) -> None:
    async def sent() -> None:
        assert notices(engine, case_id), f"no notice for {case_id}"

    await eventually(sent, timeout=timeout, interval=0.2)


async def test_history_is_encrypted_and_codec_endpoint_decodes(
    local_env: WorkflowEnvironment,
    encrypting_client: Client,
    codec_url: str,
    engine: Engine,
    task_queue: str,
) -> None:
    complaint = make_complaint(
        user={"id": "U42", "locale": "en", "contact": {"channel": "email", "address": ADDRESS}}
    )
    inp = case_input(complaint)
    async with running_worker(encrypting_client, engine, task_queue):
        handle = await encrypting_client.start_workflow(
            ComplaintWorkflow.run,
            inp,
            id=inp.case_id,
            task_queue=task_queue,
            static_summary=f"Complaint {complaint.id}",
        )
        try:
            # The worker decrypts the input, runs the activities (the acknowledgement goes to
            # the address), and answers an Update and a Query through the codec.
            await _wait_for_notice(engine, inp.case_id)
            view = await handle.execute_update(
                "act",
                CaseAction(actor="a1", role="agent", action=Reply(message=f"mail {ADDRESS}")),
                result_type=ActionReceipt,
            )
            assert view.status == "awaiting_outcome"
            assert (await handle.query(ComplaintWorkflow.case)).case_id == inp.case_id

            # What Temporal stores: read with a client that has no codec.
            raw = await local_env.client.get_workflow_handle(inp.case_id).fetch_history()
            started = raw.events[0].workflow_execution_started_event_attributes
            (stored,) = started.input.payloads
            assert stored.metadata["encoding"] == ENCODING
            assert stored.metadata[KEY_ID_KEY] == b"k2026"
            assert raw.events[0].user_metadata.summary.metadata["encoding"] == ENCODING
            kinds = {e.WhichOneof("attributes") for e in raw.events}
            assert "workflow_execution_update_accepted_event_attributes" in kinds
            # Local activities' results (notice receipts, projections) live in markers,
            # beside the SDK's own bookkeeping ("data": sequence, attempt, type).
            results = [
                p
                for e in raw.events
                if e.marker_recorded_event_attributes.marker_name == "core_local_activity"
                for p in e.marker_recorded_event_attributes.details["result"].payloads
            ]
            assert results and all(p.metadata["encoding"] == ENCODING for p in results)
            for event in raw.events:
                assert ADDRESS.encode() not in event.SerializeToString(), event

            # The codec endpoint turns the stored payload back into the input.
            body = json_format.MessageToDict(Payloads(payloads=[stored]))
            auth = {"Authorization": f"Bearer {TOKENS['supervisor']}"}
            async with httpx.AsyncClient(timeout=30) as http:
                r = await http.post(f"{codec_url}/decode", json=body, headers=auth)
                assert r.status_code == 200, r.text
                (decoded,) = json_format.ParseDict(r.json(), Payloads()).payloads
                assert decoded.metadata["encoding"] == b"json/plain"
                assert ADDRESS.encode() in decoded.data
                assert Payload.FromString(decoded.SerializeToString()) == decoded

                r = await http.post(f"{codec_url}/decode", json=body)
                assert r.status_code == 401

            # The `temporal` CLI shows the decoded history with the codec endpoint and a token.
            await _cli_shows_address(local_env, inp.case_id, codec_url)
        finally:
            await handle.terminate("test over")


async def _cli_shows_address(env: WorkflowEnvironment, workflow_id: str, codec_url: str) -> None:
    base = [
        binary("temporal"),
        "workflow",
        "show",
        "--workflow-id",
        workflow_id,
        "--address",
        env.client.service_client.config.target_host,
        "--output",
        "json",
    ]

    async def run(*extra: str) -> str:
        proc = await asyncio.create_subprocess_exec(
            *base, *extra, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()
        return out.decode()

    stored = json_format.Parse(await run(), History(), ignore_unknown_fields=True)
    assert ADDRESS.encode() not in stored.SerializeToString()
    decoded = await run("--codec-endpoint", codec_url, "--codec-auth", f"Bearer {TOKENS['agent']}")
    assert ADDRESS not in decoded  # JSON output keeps payload data base64-encoded
    history = json_format.Parse(decoded, History(), ignore_unknown_fields=True)
    started = history.events[0].workflow_execution_started_event_attributes
    assert started.input.payloads[0].metadata["encoding"] == b"json/plain"
    assert ADDRESS.encode() in started.input.payloads[0].data
