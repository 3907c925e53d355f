"""Alarms: the instants a case wakes up for, as a small typed part instead of strings.

A kind (or a part such as the penalty book) names its alarms with a `StrEnum` of its own;
an `Alarm` is one of those names at an instant, with what it is about (`subject`: a
penalty, the deadline a reminder warns of, a dispute's round). The kernel fires each once:
its `key` is recorded in the case's `fired` list (carried to a continued run), so the
label and the key are exactly the strings cases have always recorded (`respond_by`,
`appeal_by:P1`, `reminder:accept_by`, each `@` its instant).

Whoever owns an alarm's name handles it; a name nobody handles raises (`unknown`), it is
never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NoReturn


@dataclass(frozen=True)
class Alarm:
    """`name` at `at`; a deadline when the kind lists it among its deadlines (shown in the
    view and the Web UI), a reminder otherwise."""

    name: StrEnum
    at: datetime
    subject: str | None = None

    @property
    def label(self) -> str:
        """As the view's `deadlines` names it: `respond_by`, `appeal_by:P1`."""
        name = str(self.name)
        return name if self.subject is None else f"{name}:{self.subject}"

    @property
    def key(self) -> str:
        """Fires once: the label at its instant."""
        return f"{self.label}@{self.at.isoformat()}"

    def order(self) -> tuple[datetime, str]:
        """Due alarms fire by instant, then by label."""
        return self.at, self.label


def unknown(alarm: Alarm, owner: str) -> NoReturn:
    """An alarm its owner does not know: a bug, never a silent no-op."""
    raise ValueError(f"{owner} has no alarm {alarm.label!r} ({type(alarm.name).__name__})")
