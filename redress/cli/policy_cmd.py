"""`redress policy`: print a policy as the workflows see it, or check one and print every
deadline a case of each kind opened now would get."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any

import typer
from rich.table import Table

from redress.cli.common import CliError, active_policy, err, out


def one_line(error: Exception) -> str:
    """A policy's validation errors on one line: `section.key: what is wrong; …`."""
    errors = getattr(error, "errors", None)
    if callable(errors):
        try:
            found = errors()
        except Exception:  # not pydantic's
            found = None
        if found:
            return "; ".join(
                f"{'.'.join(str(p) for p in e.get('loc', ())) or '(file)'}: {e.get('msg')}"
                for e in found
            )
    return " ".join(str(error).split())


def policy(
    ref: Annotated[
        str | None,
        typer.Argument(
            metavar="REF",
            help="a bundled policy (default, fast) or a TOML path; `check` to validate one",
            show_default=False,
        ),
    ] = None,
    file: Annotated[
        str | None,
        typer.Argument(
            metavar="FILE", help="with `check`: the policy to validate", show_default=False
        ),
    ] = None,
) -> int:
    """Print a policy as a case opened now keeps it (`redress policy [REF]`, JSON), or
    check one (`redress policy check [FILE]`): valid or not, which kind sections take the
    bundled defaults, and every deadline a case of each kind opened now would get, working
    days resolved by the policy's calendar.

    Reads REDRESS_POLICY (the default REF and FILE: the active policy; unset, the one the
    running stack records in REDRESS_DATA_DIR, else default)."""
    from redress.policy import load_policy

    if ref == "check":
        return check(*((file, "given") if file else active_policy()))
    if ref:
        name = ref
    else:
        name, source = active_policy()
        err.print(f"policy {name} ({source})", markup=False, highlight=False)
    try:
        found = load_policy(name)
    except (OSError, ValueError) as error:
        raise CliError(f"policy {name}: invalid: {one_line(error)}") from None
    text = json.dumps(found.snapshot(datetime.now(UTC)).model_dump(mode="json"), indent=2)
    print(text)
    return 0


def check(ref: str, source: str = "given") -> int:
    """Validate a policy; say which kind sections it takes from their bundled defaults."""
    from redress.kinds import KINDS
    from redress.policy import load_policy, read_policy

    try:
        path, _ = read_policy(ref)
        found = load_policy(ref)
    except (OSError, ValueError) as error:  # pydantic's ValidationError is a ValueError
        raise CliError(f"policy {ref}: invalid: {one_line(error)}") from None
    print(f"policy {found.name!r} ({path}; {source}): valid")
    for kind in KINDS.values():
        section = kind.policy
        where = (
            f"missing: the bundled defaults' values ({section.defaults})"
            if section.name in found.defaulted
            else "from the file"
        )
        print(f"  [{section.name}] ({kind.name}): {where}")
    for name in found.ignored:
        print(f"  [{name}]: ignored, no kind and no shared part reads it")
    out.print(deadlines_table(found))
    return 0


def deadlines_table(found: Any, now: datetime | None = None) -> Table:
    """Every kind's deadlines, each counted from now (the case opened, or the event it
    counts from happening now), in the calendar's offset."""
    from redress.kinds import KINDS

    offset = timezone(timedelta(minutes=found.calendar.utc_offset_minutes))
    start = (now or datetime.now(UTC)).astimezone(offset)
    calendar = found.snapshot(start).calendar
    table = Table(
        title=f"Deadlines of a case opened {start:%Y-%m-%d %H:%M %z} ({calendar.kind} calendar)"
    )
    for column in ("kind", "deadline", "counts from", "policy", "at", "in"):
        table.add_column(column, no_wrap=column in ("deadline", "at"))
    for kind in KINDS.values():
        section = found.sections.get(kind.policy.name)
        rules = getattr(section, "deadline_rules", None)
        if not callable(rules):
            table.add_row(kind.name, "-", "-", "-", "-", "the section lists no deadlines")
            continue
        for rule in rules():
            at = rule.after(start, calendar)
            table.add_row(
                kind.name,
                rule.name,
                rule.start,
                rule.text,
                at.strftime("%Y-%m-%d %H:%M %a") if at else rule.note,
                span(at - start) if at else "-",
            )
    return table


def span(left: timedelta) -> str:
    """`3d 4h`, `45m`, `-2h 5m` (passed)."""
    seconds = int(left.total_seconds())
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return sign + (" ".join(parts[:2]) if parts else f"{secs}s")
