"""What a backup is: its kinds, its manifest, its id, and which backups retention lets go.

A backup is one file, `<id>.robustapp-backup`:

    0 ─────────────────────────────── database.size ───────────────────── end
    │ a DuckDB database file (the snapshot) │ a ZIP archive: manifest.json │

The snapshot comes first because DuckDB writes it in place: the backup never copies it a second
time. The manifest is an ordinary ZIP appended after it (as a self-extracting archive appends its
ZIP to a program), so `unzip -p FILE manifest.json` shows it. The manifest names the app and schema
versions, when and why the backup was made, the rows of every table, and the offset, size and
sha256 of the database bytes; its own `checksum` covers everything else in it, so an edited
manifest is noticed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

FORMAT = "robustapp-backup"
FORMAT_VERSION = 1
SUFFIX = ".robustapp-backup"
DATABASE_MEMBER = "database.duckdb"
MANIFEST_MEMBER = "manifest.json"
LATEST = "latest"  # the newest backup that verifies, where a backup id is asked for
_SLUG_MAX = 40


class BackupKind(StrEnum):
    MANUAL = "manual"  # asked for by a user (CLI, Settings page)
    AUTO = "auto"  # the daily one
    PRE_MIGRATION = "pre-migration"  # before migrations change an existing database
    SAFETY = "safety"  # the database as it was just before a restore replaced it

    @property
    def is_automatic(self) -> bool:
        """Automatic backups are pruned to ROBUSTAPP_BACKUP_KEEP; manual ones only on request."""
        return self is not BackupKind.MANUAL


class FileEntry(BaseModel):
    """Where a file's bytes sit in the backup, and their sha256."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    offset: int = Field(ge=0)
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Manifest(BaseModel):
    """What a backup holds and how to check it (manifest.json)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["robustapp-backup"] = FORMAT
    format_version: int = FORMAT_VERSION
    id: str
    name: str | None = None
    kind: BackupKind
    created_at: AwareDatetime
    app_version: str
    schema_version: int = Field(ge=0)
    duckdb_version: str
    source: str  # the database file the snapshot was taken of
    tables: dict[str, int]  # "schema.table" → rows at the moment of the snapshot
    files: dict[str, FileEntry]  # "database.duckdb" → its bytes
    checksum: str = ""  # sha256 of the canonical JSON of every other field

    @property
    def database(self) -> FileEntry:
        return self.files[DATABASE_MEMBER]

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def expected_checksum(self) -> str:
        body = self.model_dump(mode="json", exclude={"checksum"})
        return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()

    def sealed(self) -> Manifest:
        """This manifest with its checksum filled in."""
        return self.model_copy(update={"checksum": self.expected_checksum()})

    @property
    def is_intact(self) -> bool:
        return self.checksum == self.expected_checksum()


class BackupInfo(BaseModel):
    """One backup file as `backup list` shows it; `problem` says why it cannot be used."""

    model_config = ConfigDict(frozen=True)

    id: str
    path: str
    size_bytes: int
    kind: BackupKind | None = None
    name: str | None = None
    created_at: AwareDatetime | None = None
    app_version: str | None = None
    schema_version: int | None = None
    tables: int = 0
    rows: int = 0
    problem: str | None = None  # None: the manifest reads; run verify for the full check

    @classmethod
    def of(cls, path: str, size_bytes: int, manifest: Manifest) -> BackupInfo:
        return cls(
            id=manifest.id, path=path, size_bytes=size_bytes, kind=manifest.kind, name=manifest.name,
            created_at=manifest.created_at, app_version=manifest.app_version,
            schema_version=manifest.schema_version, tables=len(manifest.tables), rows=manifest.rows,
        )  # fmt: skip


def slug(name: str) -> str:
    """`name` as a file-name part: lower-case letters and digits joined by dashes, at most 40 characters."""
    return "-".join(re.findall(r"[a-z0-9]+", name.casefold()))[:_SLUG_MAX].strip("-")


def new_backup_id(now_local: datetime, kind: BackupKind, name: str | None, taken: Iterable[str]) -> str:
    """`YYYYMMDD-HHMMSS-<kind>[-<name>]`, in local time, with `-2`, `-3`… if that is taken."""
    base = f"{now_local:%Y%m%d-%H%M%S}-{kind.value}"
    if name and slug(name):
        base += f"-{slug(name)}"
    taken = set(taken)
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def newest_first(backups: Iterable[BackupInfo]) -> list[BackupInfo]:
    """Readable backups newest first, then unreadable ones by id."""
    readable = sorted((b for b in backups if b.created_at), key=lambda b: (b.created_at, b.id), reverse=True)
    return readable + sorted((b for b in backups if not b.created_at), key=lambda b: b.id)


def to_prune(backups: Sequence[BackupInfo], keep: int, kinds: Iterable[BackupKind] | None = None) -> list[BackupInfo]:
    """The backups (of `kinds`, default all) beyond the newest `keep`; unreadable ones are never chosen."""
    if keep < 1:
        raise ValueError(f"keep={keep}: at least one backup is always kept")
    wanted = set(kinds) if kinds is not None else set(BackupKind)
    eligible = [b for b in newest_first(backups) if b.problem is None and b.kind in wanted]
    return eligible[keep:]


def made_on(backups: Iterable[BackupInfo], day: date) -> bool:
    """Whether a readable backup was made on `day` (local time)."""
    return any(b.problem is None and b.created_at and b.created_at.astimezone().date() == day for b in backups)
