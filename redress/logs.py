"""Structured logging (structlog) with personal-data redaction.

Every log value passes through :func:`redact_value` just before rendering, so card
numbers, Chinese resident IDs, phone numbers and e-mail addresses never reach the output.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

__all__ = [
    "configure_logging",
    "get_logger",
    "redact",
    "redact_processor",
    "redact_value",
]

# -- patterns -------------------------------------------------------------------------------
# A numeric token must not touch ASCII letters/digits, nor continue through a hyphen into
# more digits ("2026-13812345678-01" is one token). Chinese characters may sit right next to
# a number ("手机13812345678"), so `\b` (Unicode-aware) is deliberately not used.
_START = r"(?<![A-Za-z0-9])(?<![0-9]-)"
_END = r"(?![A-Za-z0-9])(?!-[0-9])"

_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
    r"(?![A-Za-z0-9-])"
)
# 6-digit region code, birth date 18xx-20xx, 3-digit sequence, check character.
_CN_ID_RE = re.compile(
    _START
    + r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
    + _END
)
# 13-19 digits, optionally separated by single spaces or hyphens (never after a '+').
_CARD_RE = re.compile(_START + r"(?<!\+)\d(?:[ -]?\d){12,18}" + _END)
# Chinese mobile, optionally with +86 / 86 / 0086 prefix.
_CN_MOBILE_RE = re.compile(
    r"(?<![A-Za-z0-9+])(?<![0-9]-)(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?\d){8}" + _END
)
# E.164-looking international number: '+' then 8-15 digits.
_INTL_PHONE_RE = re.compile(r"(?<![A-Za-z0-9+])\+\d(?:[ -]?\d){7,14}" + _END)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _cn_id_ok(value: str) -> bool:
    """ISO 7064 MOD 11-2 check digit of an 18-character resident ID."""
    total = sum(int(c) * w for c, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11] == value[17].upper()


def _card_sub(match: re.Match[str]) -> str:
    raw = match.group()
    if _CN_MOBILE_RE.fullmatch(raw):
        return "[phone]"  # e.g. "0086 138 1234 5678": a phone, whatever Luhn says
    digits = re.sub(r"[ -]", "", raw)
    if not _luhn_ok(digits):
        return raw  # e.g. an order number: keep it
    return f"[card ****{digits[-4:]}]"


def _id_sub(match: re.Match[str]) -> str:
    return "[id]" if _cn_id_ok(match.group()) else match.group()


def redact(text: str) -> str:
    """Mask e-mails, Chinese resident IDs, card numbers and phone numbers in free text."""
    # E-mails first so phone-number local parts ("13812345678@163.com") go as a whole;
    # IDs and cards before phones so phones never bite into longer numbers.
    text = _EMAIL_RE.sub("[email]", text)
    text = _CN_ID_RE.sub(_id_sub, text)
    text = _CARD_RE.sub(_card_sub, text)
    text = _CN_MOBILE_RE.sub("[phone]", text)
    return _INTL_PHONE_RE.sub("[phone]", text)


def redact_value(value: Any) -> Any:
    """Recursively redact strings inside dicts, lists and tuples; keys and other types kept."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    if isinstance(value, tuple):
        items = [redact_value(v) for v in value]
        if hasattr(value, "_make"):  # namedtuple
            return value._make(items)
        return tuple(items)
    return value


def redact_processor(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """structlog processor: redact every value of the event dict, including ``event``."""
    for key, value in event_dict.items():
        event_dict[key] = redact_value(value)
    return event_dict


# -- configuration --------------------------------------------------------------------------
class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Stream handler that always writes to the *current* ``sys.stdout``."""

    _redress = True  # marker so configure_logging can replace its own handler

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, value: TextIO) -> None:  # StreamHandler.__init__ assigns it
        pass


def _level_number(level: str) -> int:
    number = logging.getLevelNamesMapping().get(level.upper())
    if number is None:
        raise ValueError(f"unknown log level: {level!r}")
    return number


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    """Configure structlog (and the stdlib root logger) to write redacted logs to stdout.

    Safe to call more than once; the latest call wins.
    """
    level_no = _level_number(level)
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty())
    )
    timestamper = structlog.processors.TimeStamper(fmt="iso", utc=True)

    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            timestamper,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,  # traceback text gets redacted too
            redact_processor,  # last before the renderer
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level_no),
        context_class=dict,
        logger_factory=structlog.PrintLoggerFactory(),  # resolves sys.stdout per logger
        # No caching: re-configuring (tests, CLI flags) must affect existing loggers.
        cache_logger_on_first_use=False,
    )

    # stdlib logging (temporalio, uvicorn, ...): same level, same format, same redaction.
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.stdlib.add_logger_name,
            timestamper,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_processor,
            renderer,
        ],
    )
    handler = _StdoutHandler()
    handler.setFormatter(formatter)
    handler.setLevel(level_no)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_redress", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level_no)


def get_logger(**bound: Any) -> structlog.typing.FilteringBoundLogger:
    """A logger with *bound* context.

    Equivalent to ``structlog.get_logger().bind(**bound)`` but lazy, so module-level
    loggers created before :func:`configure_logging` still pick up its configuration.
    """
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(**bound)
    return logger
