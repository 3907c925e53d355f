"""`redress send-sample --due-in` (a sample dispute due when a person says, bounded) and
`--provider antom` (signed with the local Antom key pair `redress up` makes)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from redress.cli import sending as cli_sending
from redress.cli.common import CliError
from redress.cli.sending import sample_event
from redress.config import Settings
from redress.providers.antom import AntomProvider
from redress.stack import local_secrets
from tests.e2e.harness import antom_keys


def test_a_sample_dispute_is_due_when_asked() -> None:
    provider, event, which = sample_event("dispute", "dp_due", due_in="10m", policy_ref="fast")
    found = event["data"]["object"]
    assert provider == "stripe" and "fast" in which
    assert found["evidence_details"]["due_by"] - found["created"] == 600
    # Without --due-in: past the policy's safety margin and its earliest reminder.
    _, event, _ = sample_event("dispute", "dp_due2", policy_ref="fast")
    found = event["data"]["object"]
    assert found["evidence_details"]["due_by"] - found["created"] == 80


@pytest.mark.parametrize(
    ("due_in", "message"),
    [
        ("10s", "later than the policy's safety margin (dispute.safety_margin 20s)"),
        ("20s", "later than the policy's safety margin"),
        ("200d", "at most 120d"),
        ("soon", "not a duration"),
    ],
)
def test_a_due_time_too_close_or_too_far_is_refused(due_in: str, message: str) -> None:
    with pytest.raises(CliError, match="--due-in") as caught:
        sample_event("dispute", "dp_x", due_in=due_in, policy_ref="fast")
    assert message in str(caught.value)


def test_a_kind_without_a_due_time_says_so() -> None:
    with pytest.raises(CliError, match="has no due time"):
        sample_event("merchant_complaint", "C1", due_in="10m", policy_ref="fast")


def test_a_sample_dispute_from_antom_in_antoms_shape() -> None:
    provider, event, _ = sample_event(
        "dispute", "202612060001", due_in="10m", policy_ref="fast", provider="antom"
    )
    assert provider == "antom"
    assert event["disputeNotificationType"] == "DISPUTE_CREATED"
    assert event["disputeId"] == "202612060001" and event["defendable"] == "true"
    assert event["disputeAmount"] == {"currency": "USD", "value": "4999"}
    opened = datetime.fromisoformat(event["disputeTime"])
    due = datetime.fromisoformat(event["defenseDueTime"])
    assert (due - opened).total_seconds() == 600 and event["defenseDueTime"].endswith("+08:00")
    # Read as the Antom provider reads a notification.
    found: Any = AntomProvider(antom_keys()[1], "LOCAL").parse(event).event
    assert found.dispute_id == "202612060001" and found.phase == "chargeback"
    assert found.due_by == due and found.amount == Decimal("49.99")
    with pytest.raises(CliError, match="--provider: a sample merchant_complaint comes from"):
        sample_event("merchant_complaint", "C1", provider="antom")


def test_redress_up_makes_a_local_antom_key_pair_the_cli_signs_with(tmp_path: Path) -> None:
    """Without Antom's own key, `redress up` gives the API a local public key and client
    ID, and the command line signs with the private half: the API verifies it."""
    env: dict[str, str] = {}
    local_secrets(tmp_path, env)
    public = env["REDRESS_ANTOM_PUBLIC_KEY"]
    assert "BEGIN PUBLIC KEY" in public and env["REDRESS_ANTOM_CLIENT_ID"] == "LOCAL_ANTOM_CLIENT"
    assert (tmp_path / "antom-private-key.pem").stat().st_mode & 0o077 == 0
    again: dict[str, str] = {}
    local_secrets(tmp_path, again)
    assert again == env  # made once, kept
    body = b'{"disputeId": "1"}'
    settings = Settings()
    path, headers = cli_sending.sign("antom", body, settings, env)
    verifier = AntomProvider(public, env["REDRESS_ANTOM_CLIENT_ID"], notify_path=path)
    assert verifier.verify(headers, body)
    # Antom's own key set: nothing local replaces it.
    own = {"REDRESS_ANTOM_PUBLIC_KEY": antom_keys()[1], "REDRESS_ANTOM_CLIENT_ID": "SANDBOX_X"}
    local_secrets(tmp_path, own)
    assert own["REDRESS_ANTOM_PUBLIC_KEY"] == antom_keys()[1]
    assert own["REDRESS_ANTOM_CLIENT_ID"] == "SANDBOX_X"
    assert "REDRESS_ANTOM_PRIVATE_KEY" not in own
