"""Settled transactions and fraud reports in: the denominators and numerators of the card
networks' monitoring (C5, `redress.monitoring`).

Two ways in, one row model each: `redress transaction import FILE.csv` (a batch from the
acquirer's settlement file) and the generic webhook's `transaction.settled` and
`fraud.reported` events, which open no case (`Record`). Rows are keyed by their own IDs, so a
file imported twice, or an event delivered twice, counts once.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from sqlalchemy.engine import Engine

from redress.api.errors import printable, validation_detail
from redress.models.dispute_tables import FraudReport, SettledTransaction
from redress.models.values import Ident, Plain
from redress.providers import Record, Rejected
from redress.store.db import INSERT_BY_DIALECT

CSV_COLUMNS = (
    "transaction_id",
    "merchant_id",
    "settled_at",
    "amount",
    "currency",
    "card_not_present",
    "network",
)
CHUNK = 500  # rows per INSERT (SQLite binds at most 32,766 parameters a statement)

_SETTLED: Any = SettledTransaction.__table__  # type: ignore[attr-defined]
_FRAUD: Any = FraudReport.__table__  # type: ignore[attr-defined]


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


SourceId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128), Plain
]
# visa | mastercard | another network's name (amex, unionpay, …), lower-case.
NetworkName = Annotated[
    str, BeforeValidator(_lower), StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,19}$")
]
CurrencyCode = Annotated[str, BeforeValidator(_upper), StringConstraints(pattern=r"^[A-Z]{3}$")]


class SettledTransactionIn(BaseModel):
    """One settled card transaction, as the CSV's columns or the webhook's `transaction`."""

    model_config = ConfigDict(extra="ignore")

    transaction_id: SourceId
    merchant_id: Ident
    settled_at: AwareDatetime
    amount: Annotated[Decimal, Field(ge=0, max_digits=20, decimal_places=6, allow_inf_nan=False)]
    currency: CurrencyCode
    card_not_present: bool
    network: NetworkName

    def row(self, source: str) -> dict[str, Any]:
        return {
            "source": source,
            "transaction_id": self.transaction_id,
            "merchant_id": self.merchant_id,
            "settled_at": self.settled_at.astimezone(UTC),
            "amount": format(self.amount, "f"),
            "currency": self.currency,
            "card_not_present": self.card_not_present,
            "network": self.network,
        }


class FraudReportIn(BaseModel):
    """A network's fraud report on one of the merchant's transactions (Visa TC40)."""

    model_config = ConfigDict(extra="ignore")

    report_id: SourceId
    merchant_id: Ident
    network: NetworkName
    reported_at: AwareDatetime

    def row(self) -> dict[str, Any]:
        return {
            "report_id": self.report_id,
            "merchant_id": self.merchant_id,
            "network": self.network,
            "reported_at": self.reported_at.astimezone(UTC),
        }


EventId = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class TransactionSettled(BaseModel):
    event_id: EventId
    type: Literal["transaction.settled"]
    transaction: SettledTransactionIn


class FraudReported(BaseModel):
    event_id: EventId
    type: Literal["fraud.reported"]
    report: FraudReportIn


# --- writing -------------------------------------------------------------------------------


def _insert_new(engine: Engine, table: Any, rows: list[dict[str, Any]]) -> int:
    """Insert the rows whose keys are not there yet, in chunks; how many were new."""
    inserted = 0
    insert = INSERT_BY_DIALECT[engine.dialect.name]
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        stmt: Any = insert(table).values(chunk)
        stmt = stmt.on_conflict_do_nothing().returning(*table.primary_key.columns)
        with engine.begin() as conn:
            inserted += len(conn.execute(stmt).all())
    return inserted


def record_transactions(
    engine: Engine, source: str, transactions: Iterable[SettledTransactionIn]
) -> int:
    """Store settled transactions (a known `source` + ID is skipped); how many were new."""
    return _insert_new(engine, _SETTLED, [t.row(source) for t in transactions])


def record_fraud_reports(engine: Engine, reports: Iterable[FraudReportIn]) -> int:
    return _insert_new(engine, _FRAUD, [r.row() for r in reports])


# --- the webhook's record events -------------------------------------------------------------


def _settled(payload: Any) -> Record:
    event = TransactionSettled.model_validate(payload)
    txn = event.transaction
    return Record(
        event.event_id,
        event.type,
        lambda engine, source: record_transactions(engine, source, [txn]) > 0,
    )


def _fraud(payload: Any) -> Record:
    event = FraudReported.model_validate(payload)
    report = event.report
    return Record(
        event.event_id,
        event.type,
        lambda engine, _source: record_fraud_reports(engine, [report]) > 0,
    )


RECORDED = {"transaction.settled": _settled, "fraud.reported": _fraud}


def as_record(event_type: str, payload: Any) -> Record:
    """The `Record` for a record event's body; `Rejected` (422) naming the field when the
    body does not hold one."""
    try:
        return RECORDED[event_type](payload)
    except ValidationError as err:
        raise Rejected(422, validation_detail(err)) from err


# --- the CSV import ----------------------------------------------------------------------------


@dataclass
class ImportReport:
    imported: int = 0
    duplicates: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)  # (line number, why)


class BadFile(ValueError):
    """The file as a whole cannot be read (no header, missing columns, not UTF-8)."""


def _rows(path: Path) -> Iterator[tuple[int, SettledTransactionIn | str]]:
    """(line number, the row's transaction or why it is bad), in file order."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle, strict=True)
        header = [name.strip() for name in reader.fieldnames or []]
        missing = [name for name in CSV_COLUMNS if name not in header]
        if not header or missing:
            expected = ",".join(CSV_COLUMNS)
            raise BadFile(f"line 1: the header lacks {', '.join(missing)} (expected {expected})")
        reader.fieldnames = header
        while True:
            try:
                raw = next(reader)
            except StopIteration:
                return
            except csv.Error as err:
                yield reader.line_num, f"not CSV: {err}"
                continue
            line = reader.line_num
            extra = raw.pop(None, None) or []
            if extra or any(value is None for value in raw.values()):
                got = sum(value is not None for value in raw.values()) + len(extra)
                yield line, f"expected {len(header)} fields, got {got}"
                continue
            values = {k: v.strip() for k, v in raw.items() if k in CSV_COLUMNS}
            try:
                yield line, SettledTransactionIn.model_validate(values)
            except ValidationError as err:
                yield line, validation_detail(err)


def import_csv(engine: Engine, path: Path, source: str = "generic") -> ImportReport:
    """Import a settlement file: good rows stored (chunk by chunk), known ones counted as
    duplicates, bad rows reported with their line numbers and left out whole."""
    report = ImportReport()
    batch: list[SettledTransactionIn] = []

    def flush() -> None:
        new = record_transactions(engine, source, batch)
        report.imported += new
        report.duplicates += len(batch) - new
        batch.clear()

    try:
        for line, row in _rows(path):
            if isinstance(row, str):
                report.bad.append((line, printable(row)))
                continue
            batch.append(row)
            if len(batch) >= CHUNK:
                flush()
    except UnicodeDecodeError as err:
        raise BadFile(f"not UTF-8: {err}") from err
    flush()
    return report
