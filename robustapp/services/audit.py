"""The audit trail as its users see it: read with filters, verify the chain, export."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from robustapp.domain.audit import AuditEntry, ChainProblem, verify_chain
from robustapp.storage import audit_log
from robustapp.storage.audit_log import AuditFilter
from robustapp.storage.database import Database

ExportFormat = Literal["csv", "json"]

__all__ = ["AuditFilter", "VerifyReport", "export", "read", "verify"]


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    problems: list[ChainProblem]

    @property
    def ok(self) -> bool:
        return not self.problems


def read(db: Database, where: AuditFilter | None = None) -> list[AuditEntry]:
    return audit_log.entries(db, where)


def verify(db: Database) -> VerifyReport:
    """Check that no entry was edited or deleted since it was written."""
    entries = audit_log.entries(db)
    return VerifyReport(len(entries), verify_chain(entries, audit_log.head(db.cursor())))


def _row(entry: AuditEntry) -> dict:
    row = asdict(entry)
    row["changed_at"] = entry.changed_at.isoformat(timespec="microseconds") + "Z"
    return row


def export(db: Database, fmt: ExportFormat, target: Path | None = None, where: AuditFilter | None = None) -> str:
    """The entries as CSV or JSON text; written to `target` atomically when given."""
    rows = [_row(entry) for entry in audit_log.entries(db, where)]
    if fmt == "json":
        text = json.dumps(rows, indent=2, ensure_ascii=False)
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=[f for f in AuditEntry.__dataclass_fields__], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text = buffer.getvalue()
    if target is not None:
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
    return text
