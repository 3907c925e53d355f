"""Tests for redress.logs: PII redaction and structlog configuration."""

from __future__ import annotations

import json
import logging
from collections import namedtuple
from collections.abc import Iterator

import pytest
import structlog

from redress.logs import configure_logging, get_logger, redact, redact_processor, redact_value


def _luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _cn_id_check(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11]


ORDER_NO = "2026112212345678"
CN_ID = "11010519491231002X"
CN_ID_BAD = "110105194912310021"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_sample_premises() -> None:
    # Guard the fixtures themselves: the test data must be what it claims to be.
    assert not _luhn_ok(ORDER_NO)
    assert _cn_id_check(CN_ID[:17]) == CN_ID[17]
    assert _cn_id_check(CN_ID_BAD[:17]) != CN_ID_BAD[17]
    assert not _luhn_ok(CN_ID_BAD)  # so it is not redacted as a card either


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Visa 4111 1111 1111 1111 declined", "Visa [card ****1111] declined"),
        ("card 4111-1111-1111-1111.", "card [card ****1111]."),
        ("mc=5555555555554444", "mc=[card ****4444]"),
        ("Amex 378282246310005, exp 12/27", "Amex [card ****0005], exp 12/27"),
        ("卡号4111111111111111已冻结", "卡号[card ****1111]已冻结"),
    ],
)
def test_cards_redacted_keeping_last_four(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_luhn_failing_order_number_kept() -> None:
    text = f"order {ORDER_NO} refunded"
    assert redact(text) == text
    # Embedded in a longer token it is not touched either.
    assert redact(f"ORD{ORDER_NO}") == f"ORD{ORDER_NO}"


def test_card_inside_longer_digit_run_not_partially_redacted() -> None:
    for text in ("94111111111111111119", "4111-1111-1111-1111-2222", "ref x4111111111111111"):
        assert redact(text) == text


def test_chinese_id() -> None:
    assert redact(f"身份证 {CN_ID}") == "身份证 [id]"
    assert redact(f"id={CN_ID.lower()}") == "id=[id]"
    assert redact(f"id={CN_ID_BAD}") == f"id={CN_ID_BAD}"


@pytest.mark.parametrize(
    "phone",
    [
        "13812345678",
        "+86 138 1234 5678",
        "+8613812345678",
        "0086-138-1234-5678",
        "138-1234-5678",
        "+44 20 7946 0958",
        "+1 415 555 2671",
    ],
)
def test_phones_redacted(phone: str) -> None:
    assert redact(f"call {phone} today") == "call [phone] today"


def test_phone_next_to_chinese_text() -> None:
    assert redact("手机13812345678联系") == "手机[phone]联系"


def test_phone_pattern_inside_longer_numbers_kept() -> None:
    for text in ("9913812345678", "ref-2026-13812345678-01", "x13812345678", ORDER_NO):
        assert redact(text) == text


def test_email() -> None:
    assert redact("from zhang.san@example.com:") == "from [email]:"
    assert redact("13812345678@163.com") == "[email]"


def test_mixed_text() -> None:
    text = (
        f"Zhang San <zhang.san@example.com>, tel +86 138 1234 5678, ID {CN_ID}, "
        f"paid with 4111 1111 1111 1111 for order {ORDER_NO}"
    )
    assert redact(text) == (
        f"Zhang San <[email]>, tel [phone], ID [id], paid with [card ****1111] for order {ORDER_NO}"
    )


def test_redact_value_nested() -> None:
    Pair = namedtuple("Pair", "a b")
    value = {
        "zhang.san@example.com": "key kept",
        "contact": {"emails": ["zhang.san@example.com"], "phone": ("13812345678", 7)},
        "pair": Pair("5555555555554444", None),
        "amount": 12.5,
        "order": ORDER_NO,
    }
    assert redact_value(value) == {
        "zhang.san@example.com": "key kept",
        "contact": {"emails": ["[email]"], "phone": ("[phone]", 7)},
        "pair": Pair("[card ****4444]", None),
        "amount": 12.5,
        "order": ORDER_NO,
    }
    assert isinstance(redact_value(value)["pair"], Pair)
    assert redact_value(13812345678) == 13812345678  # non-strings are left alone


def test_redact_processor() -> None:
    event = {
        "event": "complaint from zhang.san@example.com",
        "card": "4111 1111 1111 1111",
        "details": {"phones": ["+44 20 7946 0958"]},
        "order": ORDER_NO,
    }
    out = redact_processor(None, "info", event)
    assert out == {
        "event": "complaint from [email]",
        "card": "[card ****1111]",
        "details": {"phones": ["[phone]"]},
        "order": ORDER_NO,
    }


@pytest.mark.usefixtures("restore_logging")
def test_configured_json_output_is_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    configure_logging("INFO")  # idempotent
    log = get_logger(case_id="c-1")
    log.debug("not shown")
    log.info("complaint from zhang.san@example.com", card="4111111111111111", order=ORDER_NO)

    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    assert "zhang.san@example.com" not in lines[0]
    assert "4111111111111111" not in lines[0]
    record = json.loads(lines[0])
    assert record["event"] == "complaint from [email]"
    assert record["card"] == "[card ****1111]"
    assert record["order"] == ORDER_NO
    assert record["case_id"] == "c-1"
    assert record["level"] == "info"
    assert record["timestamp"].endswith("Z")


@pytest.mark.usefixtures("restore_logging")
def test_stdlib_logging_routed_and_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("WARNING")
    configure_logging("WARNING")
    assert sum(getattr(h, "_redress", False) for h in logging.getLogger().handlers) == 1

    logger = logging.getLogger("temporalio.worker")
    logger.info("not shown")
    logger.warning("activity failed for %s", "zhang.san@example.com")

    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["event"] == "activity failed for [email]"
    assert record["level"] == "warning"
    assert record["logger"] == "temporalio.worker"


@pytest.mark.usefixtures("restore_logging")
def test_console_renderer(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", json=False)
    get_logger().info("hello", email="zhang.san@example.com")
    out = capsys.readouterr().out
    assert "hello" in out and "[email]" in out
    assert "zhang.san@example.com" not in out


def test_unknown_level_rejected() -> None:
    with pytest.raises(ValueError):
        configure_logging("LOUD")
