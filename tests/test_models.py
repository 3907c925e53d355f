"""The intake's stricter checks apply to what comes in, never to what history holds."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from redress.models.complaint import Complaint
from redress.models.values import INCOMING
from tests.harness import make_complaint

LOOSE = {"category": "a\x1bb", "amount": "0.50", "currency": "JPY",
         "user": {"id": "U1", "contact": {"channel": "sms", "address": "call me"}}}  # fmt: skip


def test_a_recorded_complaint_reads_back_whatever_rules_came_later() -> None:
    data = make_complaint().model_dump(mode="json") | LOOSE
    assert Complaint.model_validate(data).user.contact.address == "call me"


def test_the_same_complaint_arriving_now_is_refused() -> None:
    data = make_complaint().model_dump(mode="json") | LOOSE
    with pytest.raises(ValidationError) as info:
        Complaint.model_validate(data, context=INCOMING)
    text = str(info.value)
    assert "U+001B" in text and "sms address" in text
