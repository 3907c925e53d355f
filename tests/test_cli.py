"""The command line without a stack (Typer's CliRunner and `main`): every command's help,
one-line errors for bad input, a closed pipe, `policy check`'s deadlines, `digest --now` on
a seeded store, the samples on the policy's clocks and each provider's signature."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

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
    ["digest"], ["demo"], ["act"], ["cases", "list"], ["cases", "show"],
    ["transaction", "import"],
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_says_what_it_does_and_what_it_reads(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Usage: redress" in result.output
    assert "Reads REDRESS_" in result.output, result.output


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
    # Unknown options: click's usage and error, no traceback.
    assert main(["cases", "list", "--bogus"]) == 2
    assert "No such option: --bogus" in capsys.readouterr().err


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
    provider, event = cli_sending.sample_event(
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
    _, complaint = cli_sending.sample_event(None, "C1", merchant="M-8", amount="5")
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
