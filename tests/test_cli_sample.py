"""`redress send-sample --due-in`: a sample dispute due when a person says, bounded."""

from __future__ import annotations

import pytest

from redress.cli.common import CliError
from redress.cli.sending import sample_event


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
