"""The audit trail as its users see it: read with filters, verify the chain, export."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Literal

from robustapp.domain.audit import AuditEntry, ChainProblem, verify_chain
from robustapp.errors import StorageError
from robustapp.storage import audit_log
from robustapp.storage.audit_log import AuditFilter
from robustapp.storage.database import Database

ExportFormat = Literal["csv", "json"]
FORMATS: tuple[ExportFormat, ...] = ("csv", "json")

__all__ = [
    "FORMATS",
    "AuditFilter",
    "Export",
    "VerifyReport",
    "count",
    "export",
    "filter_options",
    "read",
    "render_export",
    "utc_range",
    "verify",
    "write_atomically",
]


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    problems: list[ChainProblem]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        return {"ok": self.ok, "entries": self.entries, "problems": [asdict(p) for p in self.problems]}


@dataclass(frozen=True)
class Export:
    """An export's text and how many entries it holds."""

    format: ExportFormat
    entries: int
    text: str

    def to_dict(self) -> dict:
        return asdict(self)


def _require_log(db: Database) -> None:
    if not audit_log.exists(db):
        raise StorageError(f"{db.path} has no audit trail yet (an older schema): run `robustapp db migrate`")


def read(db: Database, where: AuditFilter | None = None) -> list[AuditEntry]:
    return audit_log.entries(db, where)


def count(db: Database, where: AuditFilter | None = None) -> int:
    return audit_log.count(db, where)


def filter_options(db: Database) -> tuple[list[str], list[str]]:
    """The scopes and the actors that occur in the log, for filter menus."""
    return audit_log.scopes(db), audit_log.actors(db)


def verify(db: Database) -> VerifyReport:
    """Check that no entry was edited or deleted since it was written.

    The entries are streamed (never all in memory) inside one read snapshot, so a change
    committed meanwhile cannot make the log look cut short.
    """
    _require_log(db)
    with audit_log.snapshot(db) as cursor:
        head = audit_log.head(cursor)
        total = audit_log.count_all(cursor)
        problems = verify_chain(audit_log.stream(cursor), head)
    return VerifyReport(total, problems)


def utc_range(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """Local calendar days `since`..`until` (both included) as naive-UTC bounds [start, end)."""

    def utc_midnight(day: date) -> datetime:
        return datetime.combine(day, time.min).astimezone(UTC).replace(tzinfo=None)

    return (
        utc_midnight(since) if since else None,
        utc_midnight(until + timedelta(days=1)) if until else None,
    )


def _row(entry: AuditEntry) -> dict:
    row = asdict(entry)
    row["changed_at"] = entry.changed_at.isoformat(timespec="microseconds") + "Z"
    return row


def render_export(db: Database, fmt: ExportFormat, where: AuditFilter | None = None) -> Export:
    """The matching entries (oldest first) as CSV or JSON text; values stay canonical JSON text."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")
    _require_log(db)
    rows = [_row(entry) for entry in audit_log.entries(db, where)]
    if fmt == "json":
        text = json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(AuditEntry.__dataclass_fields__), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text = buffer.getvalue()
    return Export(fmt, len(rows), text)


def export(db: Database, fmt: ExportFormat, target: Path | None = None, where: AuditFilter | None = None) -> str:
    """The entries as CSV or JSON text; written to `target` atomically when given."""
    text = render_export(db, fmt, where).text
    if target is not None:
        write_atomically(target, text)
    return text


def write_atomically(target: Path, text: str) -> None:
    """Write `text` to `target` so that it holds either its old content or all of `text`.

    The file is readable by its owner only (0600): audit entries can hold personal values.
    """
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
