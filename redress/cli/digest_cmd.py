"""`redress digest`: each merchant's daily digest (M12), at once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from redress.cli.common import CliError, load_active_policy, out, settings
from redress.cli.sending import PolicyOption


def digest(
    now: Annotated[
        bool,
        typer.Option("--now", help="send it now (else only print what it would say)"),
    ] = False,
    merchant: Annotated[
        str | None, typer.Option(help="one merchant (default: every merchant with cases)")
    ] = None,
    policy_: PolicyOption = None,
) -> int:
    """The daily digest (M12) of each merchant's queue: cases due within the policy's
    `digest.due_within`, overdue cases, penalties whose appeal window is open with its
    last day, and this week's categories with the most complaints against last week's.
    With --now it is sent as the Schedule sends it (to the merchant's operations contact,
    else its desk; once per merchant and day) and printed, each case by its case ID.

    Reads REDRESS_POLICY for the policy's \\[digest] section (--policy before it; unset, the
    one the running stack records in REDRESS_DATA_DIR, else default), REDRESS_DATABASE_URL
    or REDRESS_DATA_DIR (the case store)."""
    from activities.digest import DigestInput, recipient, send_digests
    from redress import digest as queue
    from redress.notices.channels import RecordingChannel
    from redress.notices.renderer import get_renderer
    from redress.store.db import make_engine

    found = settings()
    active, which = load_active_policy(policy_)
    policy = active.digest
    if not found.database_url and not (found.data_dir / "redress.db").exists():
        raise CliError(
            f"no case store in {found.data_dir} (set REDRESS_DATA_DIR or REDRESS_DATABASE_URL)"
        )
    engine = make_engine(found.db_url)
    renderer = get_renderer()
    try:
        at = datetime.now(UTC)
        if now:
            inp = DigestInput(policy=policy, at=at, merchant_id=merchant)
            sent = send_digests(engine, RecordingChannel(engine), renderer, inp)
            shown = [
                (s.digest, s.request.recipient, "sent" if s.delivered else "already sent today")
                for s in sent
            ]
        else:
            merchants = [merchant] if merchant else queue.merchants(engine, at)
            shown = [
                (queue.compute(engine, m, at, policy), recipient(policy, m), "not sent (--now)")
                for m in merchants
            ]
    finally:
        engine.dispose()
    out.print(f"digest of {which}", markup=False, highlight=False, style="dim")
    if not shown:
        out.print("No merchant has cases: no digest to send.")
    for found_digest, to, what in shown:
        notice = renderer.render("digest", policy.locale, queue.context(found_digest), "digest")
        out.rule(f"{found_digest.merchant_id}: {what} to {to.channel}:{to.address}", style="dim")
        out.print(notice.subject, markup=False, highlight=False, style="bold")
        out.print(notice.body, markup=False, highlight=False)
    return 0
