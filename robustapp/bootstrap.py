"""Wire the real parts together: settings → paths → logging → database → migrations → cache.

The server's lifespan calls `start()` once and `stop()` at shutdown; the UI and the CLI ask
`services()` for the running graph. Tests build their own `Services` with small real parts.
"""

from __future__ import annotations

import getpass
import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from robustapp.cache import Cache
from robustapp.cache import install as install_cache
from robustapp.config import BackupSchedule, Paths, Settings, load_settings
from robustapp.errors import DatabaseOpenError
from robustapp.logs import configure_logging, get_logger
from robustapp.services.state import StateService
from robustapp.storage import Database, migrate

if TYPE_CHECKING:
    from robustapp.services.auto_backups import DailyBackup
    from robustapp.services.jobs import JobService
    from robustapp.services.launcher import Launcher

log = get_logger(__name__)


@dataclass
class Services:
    """The app's collaborators, built once per process."""

    settings: Settings
    paths: Paths
    db: Database
    cache: Cache  # invalidated by the database's commits (see build)
    owner: str = field(default_factory=lambda: local_profile())  # who owns all state in desktop mode
    daily_backup: DailyBackup | None = None  # started by start() when ROBUSTAPP_BACKUP_SCHEDULE=daily
    launcher: Launcher | None = None  # the launcher that started this server; None when headless or in tests

    @property
    def state(self) -> StateService:
        return StateService(self.db)

    @cached_property
    def jobs(self) -> JobService:
        """Background jobs on this database; they run once an entrypoint calls `jobs.start()`
        (the server's lifespan, `robustapp worker`). Worker processes start with the first job."""
        from robustapp.services.jobs import JobService  # the spawn machinery loads only when jobs are used

        return JobService.from_settings(self.db, self.settings, owner=self.owner)

    def close(self) -> None:
        if self.daily_backup is not None:  # interrupts a snapshot in progress
            self.daily_backup.stop()
        if "jobs" in self.__dict__:  # stop the jobs before the database they write to closes
            self.jobs.stop()
        self.db.close()
        self.cache.close()


def local_profile() -> str:
    """The desktop user's profile name: the OS login, or "local" where there is none."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "local"


_current: Services | None = None
_lock = threading.Lock()


def build(settings: Settings | None = None, *, migrate_schema: bool = True) -> Services:
    """Create dirs, configure logging, open the database and (unless told not to) migrate it, open the cache."""
    settings = settings or load_settings()
    paths = settings.paths.ensure()
    configure_logging(
        paths.log_file, level="DEBUG" if settings.debug else settings.log_level.value, console=settings.is_dev
    )
    db = _open_database(settings)
    try:
        if migrate_schema:
            from robustapp.services.auto_backups import before_migration

            migrate(db, before=before_migration(db, paths, settings.backup_keep))  # backs up an existing database
    except BaseException:
        db.close()
        raise
    cache = Cache.from_settings(settings)
    db.on_commit(cache.invalidate_tags)  # writes that touch a table or dataset invalidate its tag
    return Services(settings=settings, paths=paths, db=db, cache=cache)


def _open_database(settings: Settings) -> Database:
    """Open the database; if it does not open, the error says how to restore the newest usable backup."""
    try:
        return Database(
            settings.paths.db_path,
            checkpoint_idle_seconds=settings.checkpoint_idle_seconds,
            memory_mb=settings.db_memory_mb,
        )
    except DatabaseOpenError as exc:
        from robustapp.services.restore import recovery_hint

        hint = recovery_hint(settings.paths)
        raise DatabaseOpenError(f"{exc}. {hint[0].upper()}{hint[1:]}") from None


def start(settings: Settings | None = None) -> Services:
    """Build the process-wide services (once), and start the daily backup if it is due."""
    global _current
    with _lock:
        if _current is None:
            _current = build(settings)
            install_cache(_current.cache)  # the cache every @cache_data function of this process uses
            if _current.settings.backup_schedule is BackupSchedule.DAILY:
                from robustapp.services.auto_backups import DailyBackup

                _current.daily_backup = DailyBackup(_current.db, _current.paths, _current.settings.backup_keep)
                _current.daily_backup.start()
            log.info("services started", db=str(_current.paths.db_path))
        return _current


def services() -> Services:
    """The running services, started on first use (the UI under AppTest has no lifespan)."""
    return _current if _current is not None else start()


def stop() -> None:
    """Close the services: final checkpoint, release the database file."""
    global _current
    with _lock:
        if _current is not None:
            install_cache(None)
            _current.close()
            _current = None
