"""Health checks and a status summary, the same whether asked by the CLI or over the API."""

from __future__ import annotations

import os
import shutil
from dataclasses import asdict, dataclass, field

from robustapp import __version__
from robustapp.config import Paths
from robustapp.errors import StorageError
from robustapp.storage import Database, latest_version, schema_version

MIN_FREE_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class HealthReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def to_dict(self) -> dict:
        return {"ok": self.ok, "checks": [asdict(c) for c in self.checks]}


def check_disk(paths: Paths) -> Check:
    where = paths.data_dir
    while not where.exists() and where != where.parent:  # before `init`: the disk it will be on
        where = where.parent
    free = shutil.disk_usage(where).free
    return Check("disk", free >= MIN_FREE_BYTES, f"{free / 2**30:.1f} GiB free in {where}")


def check_database(db: Database) -> Check:
    try:
        db.query_one("SELECT 1")
        version = schema_version(db)
    except Exception as exc:  # a health check reports every failure instead of raising
        return Check("database", False, f"{db.path}: {exc}")
    latest = latest_version()
    if version > latest:
        return Check("database", False, f"schema {version}/{latest}: written by a newer robustapp")
    detail = f"schema {version}/{latest}" + ("" if version == latest else " (run `robustapp db migrate`)")
    return Check("database", version == latest, detail)


def health(db: Database, paths: Paths) -> HealthReport:
    return HealthReport([check_database(db), check_disk(paths)])


def file_health(paths: Paths) -> HealthReport:
    """Health of a stopped app: the database file as it is (never created or migrated) and the disk."""
    if not paths.db_path.exists():
        database = Check("database", False, f"{paths.db_path} does not exist (run `robustapp init`)")
    else:
        try:
            with Database(paths.db_path) as db:
                database = check_database(db)
        except StorageError as exc:
            database = Check("database", False, f"{type(exc).__name__}: {exc}")
    return HealthReport([database, check_disk(paths)])


def dir_size(path) -> int:
    """Bytes under `path`; files that vanish while counting (the app is running) are skipped."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def database_summary(db: Database) -> dict:
    """Cheap facts about the database (no folder walks): fit for every rerun of a page."""
    return {
        "schema_version": schema_version(db),
        "latest_schema_version": latest_version(),
        "database": str(db.path),
        "database_bytes": db.size_bytes(),
    }


def status(db: Database, paths: Paths) -> dict:
    """The full summary for `robustapp status` and the control API (walks the data folders)."""
    return {
        "version": __version__,
        **database_summary(db),
        "paths": {
            "data": str(paths.data_dir),
            "cache": str(paths.cache_dir),
            "logs": str(paths.log_dir),
            "backups": str(paths.backup_dir),
        },
        "sizes": {
            "cache_bytes": dir_size(paths.cache_dir),
            "logs_bytes": dir_size(paths.log_dir),
            "backups_bytes": dir_size(paths.backup_dir),
        },
        "last_backup": _last_backup(paths),
    }


def _last_backup(paths: Paths) -> dict | None:
    """The newest finished backup: when, what kind, its id (None when there is none)."""
    from robustapp.services.backups import list_backups

    newest = next(iter(list_backups(paths)), None)
    if newest is None:
        return None
    created = newest.created_at.isoformat(timespec="seconds") if newest.created_at else None
    return {"id": newest.id, "created_at": created, "kind": newest.kind, "size_bytes": newest.size_bytes}
