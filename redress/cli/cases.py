"""`redress cases list`, `cases show ID`, `act ID TYPE`: the queue and a case over the API,
as a desk works them (the same filters, refusals and audit as the API)."""

from __future__ import annotations

import inspect
import json
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

import typer
from rich import box
from rich.table import Table

from redress.cli.case_details import flattened, in_utc, utc
from redress.cli.common import CliError, Command, new_key, out, print_json, request, token
from redress.cli.policy_cmd import span

API_ENV = (
    "Reads REDRESS_API_URL (default http://127.0.0.1:$REDRESS_API_PORT, port 8000) and "
    "REDRESS_TOKEN (else --token; else the local stack's agent token in REDRESS_DATA_DIR)."
)

Token = Annotated[
    str | None, typer.Option("--token", help="an API token (default: $REDRESS_TOKEN)")
]
AsJson = Annotated[bool, typer.Option("--json", help="print the API's JSON answer")]

app = typer.Typer(help=f"The case queue over the API. {API_ENV}", no_args_is_help=True)


def kind_names() -> list[str]:
    from redress.kinds import KINDS

    return list(KINDS)


def statuses() -> list[str]:
    from redress.kinds import statuses as known

    return known()


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def short(value: str | None) -> str:
    """An instant to the second, in UTC: `2026-12-06 13:44:33Z`."""
    at = _when(value)
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") if at else "-"


def left(value: str | None, now: datetime | None = None) -> str:
    """Time left until an instant, or how long ago it passed (`overdue 2h 5m`)."""
    at = _when(value)
    if at is None:
        return "-"
    delta = at - (now or datetime.now(UTC))
    return f"overdue {span(-delta)}" if delta.total_seconds() < 0 else span(delta)


@app.command("list", cls=Command)
def list_cases(
    open_: Annotated[
        bool | None, typer.Option("--open/--closed", help="open cases only, or closed only")
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(help=f"statuses, comma-separated, any of: {', '.join(statuses())}"),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(help=f"kinds, comma-separated, any of: {', '.join(kind_names())}"),
    ] = None,
    merchant: Annotated[str | None, typer.Option(help="a merchant ID")] = None,
    category: Annotated[str | None, typer.Option(help="a category")] = None,
    priority: Annotated[str | None, typer.Option(help="regular | urgent")] = None,
    penalized: Annotated[bool, typer.Option("--penalized", help="with a penalty")] = False,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="a deadline passed, still open")
    ] = False,
    created_from: Annotated[str | None, typer.Option(help="created at or after (ISO)")] = None,
    created_to: Annotated[str | None, typer.Option(help="created before (ISO)")] = None,
    sort: Annotated[
        str | None,
        typer.Option(help="next_deadline | created_at | amount, `-` first for descending"),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="cases per page")] = None,
    cursor: Annotated[str | None, typer.Option(help="the previous page's next_cursor")] = None,
    wide: Annotated[
        bool, typer.Option("--wide", help="every column (category, priority, points, …)")
    ] = False,
    token_: Token = None,
    as_json: AsJson = False,
) -> int:
    """List cases of every kind, urgent first, then by next deadline (the API's queue
    order unless --sort), with the API's filters; the API refuses unknown values."""
    params: dict[str, Any] = {
        "open": None if open_ is None else str(open_).lower(),
        "status": status,
        "kind": kind,
        "merchant_id": merchant,
        "category": category,
        "priority": priority,
        "penalized": "true" if penalized else None,
        "overdue": "true" if overdue else None,
        "created_from": created_from,
        "created_to": created_to,
        "sort": sort,
        "limit": limit,
        "cursor": cursor,
    }
    page = request(
        "GET",
        "/cases",
        token_=token(token_),
        params={k: v for k, v in params.items() if v is not None},
    )
    if as_json:
        print_json(page)
        return 0
    items = page.get("items", []) if isinstance(page, dict) else []
    title = f"{len(items)} cases" + (f" of {page['total']}" if "total" in page else "")
    out.print(queue_table(items, title, wide=wide, width=out.width))
    if isinstance(page, dict) and page.get("next_cursor"):
        out.print(f"more: --cursor {page['next_cursor']}", markup=False, highlight=False)
    return 0


def _left(item: dict[str, Any]) -> str:
    """A row's time left; an overdue case (a deadline it missed, its next one still to
    come) says so too."""
    shown = left(item.get("next_deadline"))
    return f"overdue · {shown}" if item.get("overdue") and "overdue" not in shown else shown


def queue_table(
    items: list[dict[str, Any]], title: str, wide: bool = False, width: int = 200
) -> Table:
    """The queue as a table: the columns a desk reads at 100 columns (case, kind, status,
    merchant, amount, the next deadline with the time left, assignee), or all of them, the
    values as the filters take them (`wide`)."""
    table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, padding=0)
    table.add_column("case", no_wrap=True)
    # The narrowest each may get: its longest word (`verification`, `overdue 50m`); under
    # 120 columns, kind and status take two lines rather than the others' room.
    narrow = not wide and width < 120
    table.add_column("kind", overflow="fold", min_width=9, max_width=9 if narrow else None)
    table.add_column("status", overflow="fold", min_width=12, max_width=12 if narrow else None)
    table.add_column("merchant", overflow="fold", min_width=8)
    table.add_column("amount", no_wrap=True, justify="right")
    if wide:
        table.add_column("category", overflow="fold")
        table.add_column("next deadline", no_wrap=True)
    table.add_column("left" if wide else "next deadline", overflow="fold", min_width=11)
    if wide:
        table.add_column("priority")
        table.add_column("points")
    table.add_column("assignee", overflow="fold", min_width=8)
    for item in items:
        amount = item.get("amount")
        name = item.get("next_deadline_name") or ""
        due = _left(item)
        # Narrow, `merchant complaint` and `awaiting response` wrap between their words;
        # else the values are as the filters take them.
        words = (lambda v: v.replace("_", " ")) if narrow else (lambda v: v)
        row = [
            item["case_id"],
            words(item.get("kind", "-")),
            words(item.get("status", "-")),
            item.get("merchant_id", "-"),
            f"{amount} {item.get('currency', '')}".strip() if amount is not None else "-",
        ]
        if wide:
            row += [
                item.get("category") or "-",
                " ".join(p for p in (name, short(item.get("next_deadline"))) if p) or "-",
                due,
                item.get("priority", "-"),
                str(item.get("penalty_points", item.get("points", 0))),
            ]
        else:
            row.append(f"{name} {due}" if name and due != "-" else due)
        assignee = item.get("assignee_name") or item.get("assignee") or "-"
        table.add_row(*row, assignee)
    return table


@app.command("show", cls=Command)
def show(
    case_id: Annotated[str, typer.Argument(help="the case ID", show_default=False)],
    token_: Token = None,
    as_json: AsJson = False,
) -> int:
    """Show a case: its facts, every deadline with the time left, its penalties and its
    whole timeline (the negotiation history)."""
    case = request("GET", f"/cases/{quote(case_id, safe='')}", token_=token(token_))
    if as_json:
        print_json(case)
        return 0
    facts = Table(title=f"Case {case['case_id']}", show_header=False)
    facts.add_column("field", style="bold")
    facts.add_column("value")
    for name in (
        "kind", "status", "outcome", "merchant_id", "trade_no", "amount", "refunded",
        "currency", "category", "priority", "locale", "created_at", "closed_at", "policy",
    ):  # fmt: skip
        if case.get(name) not in (None, ""):
            facts.add_row(name, utc(str(case[name])))
    out.print(facts)
    for part in ("details", "packet"):  # the kind's own, whatever the kind
        if isinstance(case.get(part), dict) and case[part]:
            held = Table(title=part.capitalize(), show_header=False)
            held.add_column("field", style="bold")
            held.add_column("value")
            for name, value in flattened(case[part]):
                held.add_row(name, value)
            out.print(held)
    deadlines = Table(title="Deadlines")
    for column in ("deadline", "at", "left"):
        deadlines.add_column(column)
    missed = case.get("missed_deadline")
    if missed:  # one its workflow moved past: the case is overdue by it
        deadlines.add_row(missed["name"], short(missed["at"]), "missed: overdue")
    for name, at in sorted(case.get("deadlines", {}).items(), key=lambda kv: kv[1]):
        deadlines.add_row(name, short(at), left(at))
    out.print(deadlines if case.get("deadlines") or missed else "No running deadlines.")
    if case.get("penalties"):
        penalties = Table(title="Penalties")
        for column in ("id", "reason", "points", "state", "appeal by", "left"):
            penalties.add_column(column)
        for p in case["penalties"]:
            penalties.add_row(
                p["id"], p["reason"], str(p["points"]), p["state"], short(p["appeal_deadline"]),
                left(p["appeal_deadline"]) if p["state"] == "active" else "-",
            )  # fmt: skip
        out.print(penalties)
    timeline = Table(title="Timeline")
    for column in ("at", "event", "actor", "details"):
        timeline.add_column(column)
    for event in case.get("timeline", []):
        extra = {k: v for k, v in event.items() if k not in ("at", "type", "actor")}
        details = json.dumps(in_utc(extra), ensure_ascii=False) if extra else ""
        timeline.add_row(short(event["at"]), event["type"], event["actor"], details)
    out.print(timeline)
    return 0


CaseArg = Annotated[str, typer.Argument(metavar="CASE_ID", help="the case ID", show_default=False)]


@app.command("claim", cls=Command)
def claim(
    case_id: CaseArg,
    force: Annotated[
        bool, typer.Option("--force", help="take it from whoever holds it (supervisors)")
    ] = False,
    token_: Token = None,
    as_json: AsJson = False,
) -> int:
    """Claim a case for the token's holder (POST /cases/{id}/claim), so nobody else works
    it; a case someone else holds is refused unless a supervisor passes --force."""
    try:
        state = request(
            "POST",
            f"/cases/{quote(case_id, safe='')}/claim",
            token_=token(token_),
            json={"force": True} if force else None,
        )
    except CliError as error:
        if str(error).startswith("409") and "claimed by" in str(error) and not force:
            raise CliError(f"{error} (a supervisor may take it with --force)") from None
        raise
    return _claim_state(state, as_json)


@app.command("release", cls=Command)
def release(case_id: CaseArg, token_: Token = None, as_json: AsJson = False) -> int:
    """Release the claim on a case (DELETE /cases/{id}/claim): its holder, or a supervisor,
    may."""
    state = request("DELETE", f"/cases/{quote(case_id, safe='')}/claim", token_=token(token_))
    return _claim_state(state, as_json)


def _claim_state(state: Any, as_json: bool) -> int:
    if as_json:
        print_json(state)
        return 0
    holder = state.get("assignee_name") or state.get("assignee")
    out.print(
        f"{state['case_id']}: " + (f"claimed by {holder}" if holder else "nobody holds it"),
        markup=False,
        highlight=False,
    )
    return 0


def fields(pairs: list[str]) -> dict[str, Any]:
    """`k=v` (a string) and `k:=v` (JSON: numbers, true, lists, objects)."""
    found: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise CliError(f"--field {pair!r}: give key=value (or key:=JSON)", 2)
        at = pair.index("=")
        key, raw = pair[:at], pair[at + 1 :]
        if key.endswith(":"):
            key = key[:-1]
            try:
                found[key] = json.loads(raw)
            except ValueError:
                raise CliError(f"--field {pair}: not JSON after :=", 2) from None
        else:
            found[key] = raw
        if not key:
            raise CliError(f"--field {pair!r}: the key is empty", 2)
    return found


def act(
    case_id: Annotated[
        str, typer.Argument(metavar="CASE_ID", help="the case ID", show_default=False)
    ],
    action_type: Annotated[
        str,
        typer.Argument(
            metavar="TYPE", help="the action, e.g. reply, refund, appeal", show_default=False
        ),
    ],
    field: Annotated[
        list[str] | None,
        typer.Option(
            "--field", "-f", help="key=value (a string) or key:=JSON (repeat for each field)"
        ),
    ] = None,
    key: Annotated[
        str | None, typer.Option(help="the Idempotency-Key (default: a fresh one)")
    ] = None,
    token_: Token = None,
    as_json: AsJson = False,
) -> int:
    """Take an action on a case (POST /cases/{id}/actions) with an Idempotency-Key, as the
    token's role; a refusal prints the API's message and exits non-zero."""
    body = {"type": action_type, **fields(field or [])}
    case = request(
        "POST",
        f"/cases/{quote(case_id, safe='')}/actions",
        token_=token(token_),
        headers={"Idempotency-Key": key or new_key(), "content-type": "application/json"},
        content=json.dumps(body),
    )
    if as_json:
        print_json(case)
        return 0
    last = case.get("timeline", [{}])[-1] if case.get("timeline") else {}
    out.print(
        f"{case['case_id']}: {action_type} taken; status {case['status']}"
        + (f", last event {last.get('type')}" if last else ""),
        markup=False,
        highlight=False,
    )
    return 0


for command in (list_cases, show, claim, release, act):
    command.__doc__ = inspect.cleandoc(command.__doc__ or "") + "\n\n" + API_ENV
