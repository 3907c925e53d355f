"""Reading the case store (the worker's SQLite file) the way a reporting job would."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class CaseStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _query(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        # A short-lived connection per poll: WAL readers never block the worker's writes.
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    def statuses(self, merchant: str) -> dict[str, int]:
        rows = self._query(
            "SELECT status, count(*) FROM cases WHERE merchant_id = ? GROUP BY status", (merchant,)
        )
        return {str(s): int(n) for s, n in rows}

    def status(self, case_id: str) -> str | None:
        """One case's status as the store shows it; None until it is projected."""
        rows = self._query("SELECT status FROM cases WHERE case_id = ?", (case_id,))
        return str(rows[0][0]) if rows else None

    def count(self, merchant: str) -> int:
        return sum(self.statuses(merchant).values())

    def last_write(self, merchant: str, status: str | None = None) -> datetime | None:
        """When the newest row of `merchant` (in `status`) was written."""
        sql = "SELECT max(updated_at) FROM cases WHERE merchant_id = ?"
        args: tuple[object, ...] = (merchant,)
        if status:
            sql, args = sql + " AND status = ?", (merchant, status)
        value = self._query(sql, args)[0][0]
        return _utc(str(value)) if value else None

    def notices(self, case_prefix: str) -> int:
        rows = self._query(
            "SELECT count(*) FROM notice_deliveries WHERE case_id LIKE ?", (case_prefix + "%",)
        )
        return int(rows[0][0])

    def penalized(self, merchant: str) -> list[tuple[str, datetime, datetime]]:
        """(case_id, row written at, penalty imposed at) of cases showing their first penalty."""
        rows = self._query(
            "SELECT case_id, updated_at, json_extract(data, '$.penalties[0].imposed_at') "
            "FROM cases WHERE merchant_id = ? AND json_array_length(data, '$.penalties') > 0",
            (merchant,),
        )
        return [(str(c), _utc(str(u)), _utc(str(i))) for c, u, i in rows]


def _utc(text: str) -> datetime:
    # SQLAlchemy stores UTC datetimes in SQLite without an offset; JSON ones carry "Z".
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def file_mb(path: Path) -> float:
    """A SQLite database's size with its WAL and shared-memory files, in MiB."""
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return sum(f.stat().st_size for f in files if f.exists()) / 2**20


async def wait_until(
    check: Callable[[], bool],
    timeout: float,
    interval: float = 0.25,
    guard: Callable[[], None] | None = None,
) -> tuple[bool, float]:
    """Poll `check` until it holds or `timeout` passes; returns (held, seconds waited).
    `guard` runs on every poll and raises to give up early (e.g. the worker is failing)."""
    t0 = time.perf_counter()
    while True:
        if guard:
            guard()
        if await asyncio.to_thread(check):
            return True, time.perf_counter() - t0
        if time.perf_counter() - t0 > timeout:
            return False, time.perf_counter() - t0
        await asyncio.sleep(interval)
