"""The backups nobody has to ask for: before a migration changes an existing database, and once a day.

    migrate(db, before=before_migration(db, paths, keep))   back up first, or refuse to migrate
    DailyBackup(db, paths, keep).start()                     a few seconds after the app started: the
                                                             day's backup, unless one was made today

Both prune the automatic backups to `keep` (ROBUSTAPP_BACKUP_KEEP) afterwards.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import datetime

import duckdb

from robustapp.config import Paths
from robustapp.domain.backups import BackupInfo, BackupKind, made_on
from robustapp.errors import AppError, BackupBusyError, BackupError, MigrationError
from robustapp.logs import get_logger
from robustapp.services.backup_files import list_folder
from robustapp.services.backups import create
from robustapp.storage import Database
from robustapp.storage.migrations import Migration
from robustapp.storage.snapshots import created_at

log = get_logger(__name__)
DAILY_DELAY_SECONDS = 5.0  # after the app started: the first page is drawn before the backup competes for CPU


def before_migration(db: Database, paths: Paths, keep: int) -> Callable[[int, list[Migration]], None]:
    """The hook `migrate` calls before it changes an existing database: back it up, or refuse to migrate."""

    def back_up(current: int, pending: list[Migration]) -> None:
        try:
            create(db, paths, kind=BackupKind.PRE_MIGRATION, name=f"schema {current}", keep=keep, lock_timeout=60)
        except (BackupError, OSError, duckdb.Error) as exc:
            raise MigrationError(
                f"the database could not be backed up before {pending[0].name} ({type(exc).__name__}: {exc}); "
                f"it was left at schema version {current}"
            ) from exc

    return back_up


def run_daily(db: Database, paths: Paths, keep: int, now: datetime | None = None) -> BackupInfo | None:
    """The day's automatic backup, unless one was made today or the database was made today."""
    now = now or datetime.now().astimezone()
    if made_on(list_folder(paths.backup_dir), now.date()):
        return None
    born = created_at(db)
    if born is None or born.astimezone(now.tzinfo).date() >= now.date():
        return None  # nothing worth a backup yet: its first comes tomorrow
    try:
        return create(db, paths, kind=BackupKind.AUTO, keep=keep)
    except BackupBusyError:
        return None  # another backup is being made right now


class DailyBackup(threading.Thread):
    """Runs `run_daily` once, a few seconds after the app started (so the first page is not slowed)."""

    def __init__(self, db: Database, paths: Paths, keep: int, delay: float | None = None) -> None:
        super().__init__(name="robustapp-daily-backup", daemon=True)
        self._db, self._paths, self._keep = db, paths, keep
        self._delay = DAILY_DELAY_SECONDS if delay is None else delay
        self._stopped = threading.Event()
        self._cursor: duckdb.DuckDBPyConnection | None = None

    def run(self) -> None:
        if self._stopped.wait(self._delay):
            return
        try:
            self._cursor = self._db.cursor()  # the one the snapshot runs on: stop() interrupts it
            info = run_daily(self._db, self._paths, self._keep)
            if info is not None:
                log.info("daily backup made", id=info.id)
        except (AppError, OSError, duckdb.Error) as exc:  # the app goes on without it; the log says why
            if not self._stopped.is_set():
                log.warning("the daily backup failed", error=f"{type(exc).__name__}: {exc}")

    def stop(self) -> None:
        self._stopped.set()
        if self._cursor is not None:
            with contextlib.suppress(duckdb.Error):
                self._cursor.interrupt()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=10)
