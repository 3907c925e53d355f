"""The command line without a stack (Typer's CliRunner and `main`): every command's help,
one-line errors for bad input, a closed pipe, `policy check`'s deadlines, `digest --now` on
a seeded store, the samples on the policy's clocks and each provider's signature."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from redress.cli import app, main
from redress.cli import cases as cli_cases
from redress.cli import sending as cli_sending
from redress.cli.cases import fields
from redress.cli.common import CliError
from redress.cli.policy_cmd import deadlines_table
from redress.config import Settings
from redress.policy import load_policy
from redress.providers import Rejected
from redress.providers.antom import AntomProvider
from redress.providers.stripe import StripeProvider
from redress.store import crud
from tests.e2e.harness import antom_keys
from tests.harness import case_view

BIN = Path(sys.executable).parent / "redress"
COMMANDS = [
    ["up"], ["worker"], ["api"], ["migrate"], ["policy"], ["send-sample"], ["send-event"],
    ["digest"], ["demo"], ["act"], ["cases", "list"], ["cases", "show"], ["cases", "claim"],
    ["cases", "release"], ["transaction", "import"],
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_says_what_it_does_and_what_it_reads(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Usage: redress" in result.output
    assert "Reads REDRESS_" in result.output, result.output


def test_help_shows_what_it_says() -> None:
    """Rich's markup never eats a `[section]`; the known values are listed; the usage
    names the arguments plainly; the settings are where the help says they are."""
    from redress.kinds import KINDS, statuses

    def help_of(*command: str) -> str:
        result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "250"})
        assert result.exit_code == 0, result.output
        return " ".join(result.output.split())

    assert "the policy's [digest] section" in help_of("digest")
    for command in ([], ["up"], ["worker"], ["api"]):
        text = help_of(*command)
        assert "docs/api.md" in text and "configuration.md" not in text
    listing = help_of("cases", "list")
    assert all(name in listing for name in KINDS) and all(s in listing for s in statuses())
    assert all(name in help_of("send-sample") for name in KINDS)
    assert "Usage: redress act [OPTIONS] CASE_ID TYPE" in help_of("act")
    assert "Usage: redress cases claim [OPTIONS] CASE_ID" in help_of("cases", "claim")
    root = Path(__file__).resolve().parents[1]
    assert "REDRESS_API_TOKENS" in (root / "docs" / "api.md").read_text()


def test_the_commands_take_the_running_stacks_policy(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--policy, else REDRESS_POLICY, else what `redress up` recorded, else the default;
    the command says which."""
    from redress.cli.common import active_policy
    from redress.kinds import KINDS
    from redress.stack import banner, record_policy

    monkeypatch.setenv("REDRESS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("REDRESS_POLICY", raising=False)
    assert active_policy() == ("default", "the default")
    record_policy(tmp_path, "fast")
    assert active_policy() == ("fast", f"the stack's, {tmp_path / 'policy'}")
    own = tmp_path / "own.toml"
    own.write_text((Path(__file__).resolve().parents[1] / "policies" / "fast.toml").read_text())
    monkeypatch.chdir(tmp_path)
    record_policy(tmp_path, "own.toml")  # a file by its whole path: any folder finds it
    assert active_policy()[0] == str(own)
    record_policy(tmp_path, "fast")
    monkeypatch.setenv("REDRESS_POLICY", "default")
    assert active_policy() == ("default", "REDRESS_POLICY")
    assert active_policy("fast") == ("fast", "--policy")
    monkeypatch.delenv("REDRESS_POLICY")

    # A sample dispute is due on the stack's (fast) clocks, and says so.
    [name] = [k.name for k in KINDS.values() if k.sample_provider == "stripe"]
    _, event, which = cli_sending.sample_event(name, "dp_pol1")
    rules = load_policy("fast").sections[KINDS[name].policy.name]
    due = event["data"]["object"]["evidence_details"]["due_by"] - event["created"]
    assert due == (rules.safety_margin + max(rules.reminders_before)).total_seconds()
    assert which == f"policy fast (the stack's, {tmp_path / 'policy'})"
    assert main(["policy"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["name"] == "fast" and "policy fast (the stack's" in captured.err

    # The banner: the console, the policy recorded, where the tokens come from.
    settings = Settings(policy="fast", data_dir=tmp_path)
    text = banner(settings, {})
    assert "console  http://127.0.0.1:8000/console" in text
    assert f"tokens   {tmp_path / 'api-tokens'} (made once" in text
    assert f"policy   fast, recorded in {tmp_path / 'policy'}" in text
    given = banner(settings, {"REDRESS_API_TOKENS": "t:agent"})
    assert "tokens   from REDRESS_API_TOKENS\n" in given


def test_the_queue_fits_100_columns_and_wide_shows_every_column() -> None:
    from redress.cli.cases import queue_table

    soon = (datetime.now(UTC) + timedelta(hours=3, minutes=5)).isoformat()
    items = [
        {
            "case_id": f"platform-generic-D{n}a2b3c4d5e6",
            "kind": "platform_complaint",
            "status": "awaiting_verification",
            "merchant_id": "M-SHOP-1",
            "amount": "1299.00",
            "currency": "CNY",
            "category": "charged_twice",
            "next_deadline": soon,
            "next_deadline_name": "verify_by",
            "priority": "urgent",
            "assignee": "agent-1",
            "assignee_name": "Alice",
        }
        for n in range(3)
    ]
    console = Console(record=True, width=100)
    console.print(queue_table(items, "3 cases", width=100))
    text = console.export_text()
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 100
    for needed in ("platform-generic-D0a2b3c4d5e6", "1299.00 CNY", "verify_by", "3h 4m", "Alice"):
        assert needed in text, text
    assert "charged_twice" not in text and "urgent" not in text
    console = Console(record=True, width=250)
    console.print(queue_table(items, "3 cases", wide=True, width=250))
    text = console.export_text()
    for needed in ("platform_complaint", "awaiting_verification", "charged_twice", "urgent"):
        assert needed in text, text


def test_a_verdict_is_the_providers_whole_event() -> None:
    """`send-event --verdict`: Stripe's `charge.dispute.closed`, Antom's DISPUTE_JUDGED, each
    taken by the provider's own parser as the verdict it says."""
    from redress.kinds import KINDS

    [kind] = [k for k in KINDS.values() if k.sample_verdict is not None]
    assert kind.sample_verdict is not None
    case = {"amount": "49.99", "currency": "USD", "merchant_id": "M-9", "trade_no": "ch_1"}
    for verdict in ("won", "lost"):
        event = kind.sample_verdict("stripe", "dp_v1", verdict, case)
        parsed: Any = StripeProvider("whsec_x").parse(event).event
        assert (parsed.stage, parsed.amount) == (verdict, Decimal("49.99"))
        assert parsed.merchant_id == "M-9"
        assert event["type"] == "charge.dispute.closed" and event["object"] == "event"
        event = kind.sample_verdict("antom", "2026000000001", verdict, case)
        parsed = AntomProvider(antom_keys()[1], "SANDBOX_CLI").parse(event).event
        assert (parsed.stage, parsed.dispute_id) == (verdict, "2026000000001")
    with pytest.raises(ValueError, match="won or lost"):
        kind.sample_verdict("stripe", "dp_v1", "draw", case)


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    return err.strip()


def test_bad_input_is_one_line_and_a_non_zero_exit(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REDRESS_DATA_DIR", str(tmp_path))
    assert main(["send-sample", "--kind", "bogus"]) == 2
    assert "unknown kind 'bogus' (known: " in one_line(capsys)
    assert main(["send-sample", "--amount", "-3"]) == 2
    assert "--amount" in one_line(capsys)
    assert main(["send-sample", "--created-at", "2026-12-01T10:00:00"]) == 2
    assert "give the offset too" in one_line(capsys)
    assert main(["send-event", "{not json"]) == 2
    assert "not JSON" in one_line(capsys)
    assert main(["send-event", "@/no/such/file.json"]) == 1
    assert "/no/such/file.json" in one_line(capsys)
    assert main(["transaction", "import", str(tmp_path / "missing.csv")]) == 1
    assert "missing.csv: no such file" in one_line(capsys)
    assert main(["policy", "check", str(tmp_path / "nope.toml")]) == 1
    assert "no policy" in one_line(capsys)
    # An API nobody serves: one line naming it.
    monkeypatch.setenv("REDRESS_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("REDRESS_TOKEN", "t")
    assert main(["cases", "list"]) == 1
    assert "cannot reach the API at http://127.0.0.1:9/cases" in one_line(capsys)
    assert main(["act", "c-1", "reply", "--field", "message=hi"]) == 1
    assert "cannot reach the API" in one_line(capsys)
    # Unknown options and missing arguments: one line, where the help is, exit 2.
    assert main(["cases", "list", "--bogus"]) == 2
    assert one_line(capsys) == (
        "redress: No such option: --bogus (see `redress cases list --help`)"
    )
    assert main(["act", "c-1"]) == 2
    assert one_line(capsys).startswith("redress: Missing argument 'TYPE'")
    assert main(["send-event", "--verdict", "won", "--provider", "stripe"]) == 2
    assert "--verdict and --dispute go together" in one_line(capsys)


def test_a_closed_pipe_ends_quietly() -> None:
    """`redress policy | head`: the reader leaves before the policy is written."""
    proc = subprocess.Popen([BIN, "policy"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 1
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


def test_fields_are_strings_or_json() -> None:
    assert fields(["message=a=b", "amount=10.00", "upheld:=true", 'evidence:=["r.png"]']) == {
        "message": "a=b",
        "amount": "10.00",
        "upheld": True,
        "evidence": ["r.png"],
    }
    for bad in (["message"], ["=x"], ["n:={"]):
        with pytest.raises(CliError):
            fields(bad)


def test_policy_check_prints_every_kinds_deadlines_on_the_calendar(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from redress.kinds import KINDS

    policy = load_policy("default")
    # A Wednesday afternoon before China's National Day week (1–7 October 2026).
    start = datetime(2026, 9, 30, 15, 0, tzinfo=timezone(timedelta(hours=8)))
    console = Console(record=True, width=250)
    console.print(deadlines_table(policy, now=start))
    text = console.export_text()
    for kind in KINDS.values():
        assert kind.name in text
    # 3 working days from then skip the holiday week: the calendar's instant, not 3 days.
    review = policy.snapshot(start).calendar.add_working_days(start, 3)
    assert review - start > timedelta(days=7)
    [row] = [line for line in text.splitlines() if "review_by" in line and "3wd" in line]
    assert review.strftime("%Y-%m-%d %H:%M") in row
    assert "respond_by" in text and "96h" not in text and "4d" in text

    assert main(["policy", "check", "default"]) == 0
    out = capsys.readouterr().out
    assert "policy 'default'" in out and "valid" in out and "Deadlines of a case opened" in out


@pytest.mark.rule("M12")
def test_digest_now_sends_and_prints_each_merchants_digest(engine: Engine, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    late = case_view("complaint-generic-LATE", 1).model_copy(
        update={"deadlines": {"respond_by": now - timedelta(hours=2)}, "seq": 1}
    )
    soon = case_view("complaint-generic-SOON", 1).model_copy(
        update={"deadlines": {"respond_by": now + timedelta(hours=3)}, "seq": 1}
    )
    for view in (late, soon):
        crud.upsert_case(engine, view)
    env = {
        "REDRESS_DATABASE_URL": str(engine.url),
        "REDRESS_POLICY": "default",
        "COLUMNS": "200",
    }
    preview = CliRunner().invoke(app, ["digest", "--merchant", "M1"], env=env)
    assert preview.exit_code == 0, preview.output
    assert "not sent (--now)" in preview.output
    sent = CliRunner().invoke(app, ["digest", "--now"], env=env)
    assert sent.exit_code == 0, sent.output
    assert "M1: sent to desk:M1" in sent.output
    overdue, _, due = sent.output.rpartition("小时内到期")
    assert "complaint-generic-LATE" in overdue and "complaint-generic-SOON" in due
    again = CliRunner().invoke(app, ["digest", "--now", "--merchant", "M1"], env=env)
    assert "M1: already sent today to desk:M1" in again.output


def test_a_sample_runs_on_the_active_policys_clocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """A sample dispute is due after the policy's safety margin and reminders: nothing is
    submitted empty at once (the default policy's margin is 24 h)."""
    from redress.kinds import KINDS

    monkeypatch.setenv("REDRESS_POLICY", "default")
    [name] = [k.name for k in KINDS.values() if k.sample_provider == "stripe"]
    created = "2026-12-01T09:00:00+08:00"
    provider, event, _ = cli_sending.sample_event(
        name, "dp_cli1", merchant="M-9", amount="12.30", created_at=created
    )
    dispute = event["data"]["object"]
    due = dispute["evidence_details"]["due_by"] - event["created"]
    rules = load_policy("default").sections[KINDS[name].policy.name]
    assert due == (rules.safety_margin + max(rules.reminders_before)).total_seconds()
    assert due > rules.safety_margin.total_seconds() + 3600
    assert (provider, dispute["amount"], dispute["metadata"]["merchant_id"]) == (
        "stripe",
        1230,
        "M-9",
    )
    _, complaint, _ = cli_sending.sample_event(None, "C1", merchant="M-8", amount="5")
    assert json.dumps(complaint).count('"M-8"') == 1 and '"amount": "5"' in json.dumps(complaint)


def test_each_provider_verifies_what_the_command_signs() -> None:
    body = json.dumps({"id": "evt_1", "type": "charge.dispute.closed"}).encode()
    settings = Settings(antom_client_id="SANDBOX_CLI")
    env = {
        "REDRESS_STRIPE_WEBHOOK_SECRET": "whsec_cli_0123456789",
        "REDRESS_ANTOM_PRIVATE_KEY": antom_keys()[0],
        "REDRESS_ANTOM_CLIENT_ID": "SANDBOX_CLI",
    }
    path, headers = cli_sending.sign("stripe", body, settings, env)
    assert path == "/webhooks/stripe"
    lowered = {k.lower(): v for k, v in headers.items()}
    assert StripeProvider("whsec_cli_0123456789").verify(lowered, body)
    with pytest.raises(Rejected):
        StripeProvider("whsec_other").verify(lowered, body)
    path, headers = cli_sending.sign("antom", body, settings, env)
    assert path == settings.antom_notify_path
    assert AntomProvider(antom_keys()[1], "SANDBOX_CLI").verify(headers, body)
    with pytest.raises(CliError, match="REDRESS_ANTOM_PRIVATE_KEY"):
        cli_sending.sign("antom", body, settings, {})


def test_what_cases_hold_prints_as_written(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A user's message with `[/x]` in it is text, never a style tag (nor a traceback)."""
    case = {
        "case_id": "c-1",
        "kind": "k",
        "status": "open [bold]",
        "deadlines": {},
        "timeline": [
            {"at": "2026-12-01T10:00:00+00:00", "type": "message", "actor": "[b]Li[/b]"},
            {"at": "2026-12-01T10:01:00+00:00", "type": "note", "actor": "u", "text": "[/x]"},
        ],
    }
    monkeypatch.setattr(cli_cases, "request", lambda *a, **k: case)
    monkeypatch.setenv("REDRESS_TOKEN", "t")
    assert main(["cases", "show", "c-1"]) == 0
    shown = capsys.readouterr().out
    assert "[/x]" in shown and "[b]Li[/b]" in shown and "open [bold]" in shown
    # The digest without a store: its two settings named in full.
    monkeypatch.setenv("REDRESS_DATA_DIR", str(tmp_path))
    assert main(["digest", "--now"]) == 1
    assert "REDRESS_DATA_DIR or REDRESS_DATABASE_URL" in one_line(capsys)


def test_show_names_the_deadline_a_case_missed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    case = {
        "case_id": "c-2",
        "kind": "k",
        "status": "overdue",
        "deadlines": {"late_until": "2026-12-09T10:00:00+00:00"},
        "missed_deadline": {"name": "respond_by", "at": "2026-12-05T10:00:00+00:00"},
        "timeline": [],
    }
    monkeypatch.setattr(cli_cases, "request", lambda *a, **k: case)
    monkeypatch.setenv("REDRESS_TOKEN", "t")
    monkeypatch.setenv("COLUMNS", "160")
    assert main(["cases", "show", "c-2"]) == 0
    shown = capsys.readouterr().out
    assert "respond_by" in shown and "missed: overdue" in shown and "late_until" in shown


def test_the_list_marks_a_case_overdue_by_a_deadline_it_missed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    row = {"case_id": "c-late", "next_deadline": later, "next_deadline_name": "late_until"}
    page = {"total": 2, "items": [{**row, "overdue": True}, {**row, "case_id": "c-ok"}]}
    monkeypatch.setattr(cli_cases, "request", lambda *a, **k: page)
    monkeypatch.setenv("REDRESS_TOKEN", "t")
    assert main(["cases", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "overdue · 1d 23h" in next(line for line in lines if "c-late" in line)
    assert "overdue" not in next(line for line in lines if "c-ok" in line)
