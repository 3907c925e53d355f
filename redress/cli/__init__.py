"""`redress`: run the stack, work the queue and try it out (one module per command group).

redress up | worker | api        the whole stack, or one part of it
redress policy [REF]             a policy as the workflows see it; `policy check [FILE]`
redress cases list | show ID     the queue and a case, over the API
redress cases claim | release ID a case claimed (or released), so nobody else works it
redress act ID TYPE              an action on a case, over the API
redress digest [--now]           each merchant's daily digest (M12)
redress demo                     a mix of signed cases of every kind through the stack
redress send-sample | send-event a signed sample case, or any event as its provider signs it
redress transaction import FILE  settled transactions for the monitoring figures (C5)
redress migrate                  the case store's schema to the newest revision
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable
from typing import Any

import typer

from redress.cli import cases, demo, digest_cmd, policy_cmd, run, sending
from redress.cli.common import CliError, Command, err

app = typer.Typer(
    name="redress",
    help="Payment complaints, disputes, chargebacks and payment failures as durable "
    "workflows: run the stack, work the queue, try it out. Every command reads the REDRESS_* "
    "environment (docs/api.md); `redress COMMAND --help` says which.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def described(command: Callable[..., Any]) -> Callable[..., Any]:
    """The docstring as help: each paragraph on one line (the help wraps it)."""
    text = inspect.cleandoc(command.__doc__ or "")
    command.__doc__ = "\n\n".join(" ".join(p.split()) for p in text.split("\n\n"))
    return command


for found in (
    run.up, run.worker, run.api, run.migrate, run.transaction_import, policy_cmd.policy,
    sending.send_sample, sending.send_event, digest_cmd.digest, demo.demo, cases.act,
    cases.list_cases, cases.show, cases.claim, cases.release,
):  # fmt: skip
    described(found)

app.command(cls=Command)(run.up)
app.command(cls=Command)(run.worker)
app.command(cls=Command)(run.api)
app.command(cls=Command)(run.migrate)
app.command(cls=Command)(policy_cmd.policy)
app.command("send-sample", cls=Command)(sending.send_sample)
app.command("send-event", cls=Command)(sending.send_event)
app.command(cls=Command)(digest_cmd.digest)
app.command(cls=Command)(demo.demo)
app.command(cls=Command)(cases.act)
app.add_typer(cases.app, name="cases")
transaction = typer.Typer(help="Settled transactions (the monitoring figures, C5).")
transaction.command("import", cls=Command)(run.transaction_import)
app.add_typer(transaction, name="transaction", no_args_is_help=True)


def quiet_logs() -> None:
    """A command's own output is stdout; the log lines of the code it runs (a digest sent)
    are not, unless they warn. `up`, `worker` and `api` configure their own logging."""
    import logging

    import structlog

    structlog.configure(
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
    )


def usage_error(error: Exception) -> str:
    """`No such option: --bogus (redress cases list --help)`: click's message, on one line,
    and where the command's help is."""
    format_message = getattr(error, "format_message", None)
    message = format_message() if callable(format_message) else str(error)
    ctx = getattr(error, "ctx", None)
    where = getattr(ctx, "command_path", "") or "redress"
    return f"{' '.join(str(message).split())} (see `{where} --help`)"


def main(argv: list[str] | None = None) -> int:
    """Run one command; its exit code. Bad input, a refusal or an unreachable API is one
    line on stderr and a non-zero exit, never a traceback; a closed pipe ends quietly."""
    if argv is None:  # the console script: what a command logs goes to stderr, warnings up
        quiet_logs()
    command = typer.main.get_command(app)
    try:
        result = command.main(
            args=sys.argv[1:] if argv is None else argv, prog_name="redress", standalone_mode=False
        )
        sys.stdout.flush()
    except CliError as error:
        err.print(f"redress: {error}", markup=False, highlight=False)
        return error.code
    except typer.Exit as done:
        return int(done.exit_code)
    except typer.Abort:
        err.print("redress: aborted")
        return 130
    except typer.TyperException as error:  # a usage error: one line, what is wrong and where
        err.print(f"redress: {usage_error(error)}", markup=False, highlight=False)
        return int(getattr(error, "exit_code", 2))
    except BrokenPipeError:
        # `redress policy | head`: the reader left. Nothing more can be written to it.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return 130
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
