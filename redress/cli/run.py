"""Running the stack or a part of it, and the store's upkeep: `up`, `worker`, `api`,
`migrate`, `transaction import`."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated

import typer

from redress.cli.common import CliError, out, readable, settings

STACK_ENV = (
    "Reads REDRESS_POLICY, REDRESS_DATA_DIR (default ./var), REDRESS_DATABASE_URL, "
    "REDRESS_TEMPORAL_ADDRESS, REDRESS_API_HOST/REDRESS_API_PORT, REDRESS_TEMPORAL_PORT, "
    "REDRESS_UI_PORT, REDRESS_TASK_QUEUE, REDRESS_API_TOKENS, REDRESS_WEBHOOK_SECRET and "
    "the other REDRESS_* settings (docs/api.md)."
)
STORE_ENV = "Reads REDRESS_DATABASE_URL, else the SQLite file in REDRESS_DATA_DIR (default ./var)."


def up() -> int:
    """Run the whole stack on this machine: the Temporal dev server (unless
    REDRESS_TEMPORAL_ADDRESS names one), the worker and the API, with local secrets made
    once in the data folder. Ctrl-C stops all of it; open cases resume on the next start."""
    from redress.stack import cmd_up

    return cmd_up()


def worker() -> int:
    """Run the worker alone (same as `python worker.py`): the case workflows, their
    activities and the Schedules (retention, watchdog, monitoring, daily digest)."""
    import asyncio

    import worker as worker_module

    asyncio.run(worker_module.main())
    return 0


def api() -> int:
    """Run the API and webhook server alone (same as `python starter.py`)."""
    import starter

    starter.main()
    return 0


def migrate() -> int:
    """Upgrade the case store's schema to the newest revision of every branch (every
    start does too), saying which revisions it was at before and is at after."""
    from redress.store.db import make_engine
    from redress.store.db import migrate as upgrade

    found = settings()
    if not found.database_url:
        found.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        engine = make_engine(found.db_url, create=False)
    except ValueError as error:
        raise CliError(str(error)) from None
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    out.print(f"before: {', '.join(before) or '(none)'}", markup=False)
    out.print(f"after:  {', '.join(after)}", markup=False)
    return 0


def transaction_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV with the header transaction_id,merchant_id,settled_at,amount,currency,"
            "card_not_present,network",
            show_default=False,
        ),
    ],
    source: Annotated[str, typer.Option(help="the ID namespace (acquirer)")] = "generic",
) -> int:
    """Import settled transactions (the monitoring figures' denominators, C5): good rows
    in, duplicates skipped, bad rows reported with their line numbers and left out; exit 1
    if any row was bad."""
    import sys

    from redress.settlements import BadFile, import_csv
    from redress.store.db import make_engine

    readable(file)
    found = settings()
    found.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(found.db_url)
    try:
        report = import_csv(engine, file, source=source)
    except (BadFile, OSError) as error:
        raise CliError(f"{file}: {error}") from None
    finally:
        engine.dispose()
    for line, why in report.bad:
        print(f"{file}:{line}: {why}", file=sys.stderr)
    print(
        f"{report.imported} imported, {report.duplicates} duplicates skipped, "
        f"{len(report.bad)} bad rows"
    )
    return 1 if report.bad else 0


for command, reads in (
    *((c, STACK_ENV) for c in (up, worker, api)),
    *((c, STORE_ENV) for c in (migrate, transaction_import)),
):
    command.__doc__ = inspect.cleandoc(command.__doc__ or "") + "\n\n" + reads
