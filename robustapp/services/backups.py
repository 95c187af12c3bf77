"""Backups of the database: make one, find and verify one, list and prune them.

    create(db, paths)        the open database (the app)  ── snapshot_open ──┐
    create_offline(paths)    a stopped app's file         ── copy_closed ────┤
                                                                             ▼
          .part ── rows per table as counted at the snapshot? ── seal ──▶ <id>.robustapp-backup
    verify_file(path)   manifest (format, checksum, size) · sha256 of the database · it opens · it holds
                        what the manifest lists
    prune(paths, keep)  the newest `keep` stay

One backup or restore at a time per data home (`exclusive`: backup.lock). Restores are in
services/restore.py, the automatic backups (daily, before a migration) in services/auto_backups.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from filelock import FileLock, Timeout

from robustapp import __version__
from robustapp.config import Paths
from robustapp.domain.backups import (
    DATABASE_MEMBER,
    LATEST,
    SUFFIX,
    BackupInfo,
    BackupKind,
    FileEntry,
    Manifest,
    new_backup_id,
    to_prune,
)
from robustapp.errors import (
    BackupBusyError,
    BackupError,
    BackupInvalidError,
    BackupNotFoundError,
    BackupTooNewError,
    DatabaseOpenError,
)
from robustapp.logs import get_logger
from robustapp.services.backup_files import (
    describe,
    final_path,
    hold_point,
    list_folder,
    part_path,
    read_manifest,
    remove_unfinished,
    seal,
    sha256_of,
)
from robustapp.storage import Database, latest_version
from robustapp.storage.snapshots import copy_closed, inspect_file, snapshot_open, wal_of

if TYPE_CHECKING:
    from robustapp.services.jobs import JobService

Progress = Callable[[float, str], None]
Snapshot = Callable[[Path, Callable[[float], None]], dict[str, int]]
LOCK_FILE = "backup.lock"
AUTOMATIC = [kind for kind in BackupKind if kind.is_automatic]
log = get_logger(__name__)


def silent(fraction: float, message: str) -> None:
    """The progress callback when nobody listens."""


def _span(progress: Progress, start: float, end: float, message: str) -> Callable[[float], None]:
    """A step's own 0–1 progress, reported as the part start…end of the whole."""
    return lambda fraction: progress(start + (end - start) * fraction, message)


def progress_part(progress: Progress, start: float, end: float) -> Progress:
    """A sub-task's progress, reported as the part start…end of the whole, with its own messages."""
    return lambda fraction, message: progress(start + (end - start) * fraction, message)


@contextlib.contextmanager
def exclusive(paths: Paths, timeout: float = 0.0) -> Iterator[None]:
    """Hold this data home's backup lock: one backup or restore at a time, across processes."""
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(paths.data_dir / LOCK_FILE, timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise BackupBusyError(
            f"another backup or restore of {paths.data_dir} is in progress; try again once it has finished"
        ) from None
    try:
        yield
    finally:
        lock.release()


# -- create ----------------------------------------------------------------------------------


def create(
    db: Database,
    paths: Paths,
    *,
    kind: BackupKind = BackupKind.MANUAL,
    name: str | None = None,
    folder: Path | None = None,
    keep: int | None = None,
    progress: Progress = silent,
    lock_timeout: float = 0.0,
) -> BackupInfo:
    """Back up the database this process has open; writers go on meanwhile. `keep`: automatic backups kept."""
    with exclusive(paths, lock_timeout):
        return write_backup(partial(snapshot_open, db), db.path, paths, kind, name, folder, keep, progress)


def create_offline(
    paths: Paths, *, kind: BackupKind = BackupKind.MANUAL, name: str | None = None, folder: Path | None = None,
    keep: int | None = None, progress: Progress = silent,
) -> BackupInfo:  # fmt: skip
    """Back up the database file of a stopped app (no process may have it open)."""
    if not paths.db_path.exists():
        raise BackupError(f"there is no database at {paths.db_path} to back up yet")
    with exclusive(paths):
        return write_backup(partial(copy_closed, paths.db_path), paths.db_path, paths, kind, name, folder, keep, progress)


def write_backup(
    take: Snapshot, source: Path, paths: Paths, kind: BackupKind, name: str | None, folder: Path | None,
    keep: int | None, progress: Progress,
) -> BackupInfo:  # fmt: skip
    """`take(part, step)` a snapshot of `source` and seal it as a backup in `folder`; hold `exclusive` to call it."""
    folder = folder or paths.backup_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot use the folder {folder} for backups: {exc}") from None
    remove_unfinished(folder)
    taken = {path.name.removesuffix(SUFFIX) for path in folder.glob(f"*{SUFFIX}")}
    backup_id = new_backup_id(datetime.now().astimezone(), kind, name, taken)
    part = part_path(folder, backup_id)
    try:
        progress(0.0, "copying the database")
        counts = take(part, _span(progress, 0.0, 0.8, "copying the database"))
        hold_point("backup:snapshot")
        size = part.stat().st_size
        digest = sha256_of(part, size, _span(progress, 0.8, 0.95, "checking the copy"))
        version, found = inspect_file(part)
        if found != counts:
            difference = _difference(counts, found)
            raise BackupError(f"the copy does not hold what the database held ({difference}); nothing was kept")
        manifest = Manifest(
            id=backup_id, name=name, kind=kind, created_at=datetime.now(UTC), app_version=__version__,
            schema_version=version, duckdb_version=duckdb.__version__, source=str(source), tables=counts,
            files={DATABASE_MEMBER: FileEntry(offset=0, size=size, sha256=digest)},
        )  # fmt: skip
        final = seal(part, final_path(folder, backup_id), manifest)
    except (OSError, duckdb.IOException) as exc:  # a full disk, a folder that cannot be written
        raise BackupError(f"the backup could not be written to {folder}: {exc}; nothing was kept") from exc
    finally:
        for leftover in (part, wal_of(part)):
            leftover.unlink(missing_ok=True)
    progress(1.0, "done")
    info = describe(final)
    log.info("backup made", id=backup_id, kind=kind.value, path=str(final), bytes=info.size_bytes)
    if keep is not None and kind.is_automatic and folder == paths.backup_dir:
        _prune_locked(paths, keep, AUTOMATIC)
    return info


def _difference(expected: dict[str, int], found: dict[str, int]) -> str:
    names = sorted(set(expected) | set(found))
    changed = [n for n in names if expected.get(n) != found.get(n)]
    return ", ".join(f"{n}: {expected.get(n, 'missing')} → {found.get(n, 'missing')}" for n in changed)


# -- find and verify -------------------------------------------------------------------------


def verify_file(path: Path, progress: Progress = silent) -> Manifest:
    """Check everything about the backup file `path`; BackupInvalidError (or BackupTooNewError) says what is wrong."""
    manifest = read_manifest(path)
    entry = manifest.database
    digest = sha256_of(path, entry.size, _span(progress, 0.0, 0.9, f"checking {path.name}"))
    if digest != entry.sha256:
        raise BackupInvalidError(
            f"{path}: its database does not match the checksum in its manifest; "
            "the file was damaged after it was made"
        )
    if manifest.schema_version > latest_version():
        raise BackupTooNewError(
            f"{path} was made by a newer robustapp (schema {manifest.schema_version}; this one knows up to "
            f"{latest_version()}): install robustapp {manifest.app_version} or newer to restore it"
        )
    try:
        version, counts = inspect_file(path)
    except DatabaseOpenError as exc:
        raise BackupInvalidError(f"{path}: its database does not open ({exc})") from None
    if (version, counts) != (manifest.schema_version, manifest.tables):
        problem = _difference(manifest.tables, counts) or f"schema {manifest.schema_version} → {version}"
        raise BackupInvalidError(f"{path}: its database does not hold what its manifest lists ({problem})")
    progress(1.0, "checked")
    return manifest


def resolve(ref: str, paths: Paths) -> Path:
    """The file `ref` names: a path, an id (or the start of one) in the backup folder, or `latest` (the newest)."""
    backups = list_folder(paths.backup_dir)
    if ref == LATEST:
        if not backups:
            raise BackupNotFoundError(f"there is no backup in {paths.backup_dir} yet")
        return Path(backups[0].path)
    path = Path(ref).expanduser()
    if path.is_file():
        return path
    if final_path(paths.backup_dir, ref).is_file():
        return final_path(paths.backup_dir, ref)
    matches = [info for info in backups if info.id.startswith(ref)]
    if len(matches) != 1:
        found = "several backups start with it" if matches else "see `robustapp backup list`"
        raise BackupNotFoundError(f"no backup is called {ref!r} in {paths.backup_dir} ({found})")
    return Path(matches[0].path)


def find(ref: str, paths: Paths, progress: Progress = silent) -> tuple[Path, Manifest]:
    """The backup `ref` names, verified; `latest` is the newest backup that verifies."""
    if ref != LATEST:
        path = resolve(ref, paths)
        return path, verify_file(path, progress)
    backups = list_folder(paths.backup_dir)
    for info in backups:
        if info.problem is None:
            with contextlib.suppress(BackupInvalidError):
                return Path(info.path), verify_file(Path(info.path), progress)
    raise BackupNotFoundError(
        f"no backup in {paths.backup_dir} verifies" if backups else f"there is no backup in {paths.backup_dir} yet"
    )


def queue_backup(jobs: JobService, *, name: str | None = None, folder: Path | None = None) -> int:
    """Queue a backup as a job of the running app (the job id); refused while one is queued or running."""
    from robustapp.jobs.maintenance import BACKUP_JOB

    active = jobs.list_jobs(state=("queued", "running"), name=BACKUP_JOB, limit=1)
    if active:
        raise BackupBusyError(f"a backup is already being made (job {active[0].id}); try again once it has finished")
    return jobs.enqueue(BACKUP_JOB, name=name or None, folder=str(folder) if folder else None)


def list_backups(paths: Paths) -> list[BackupInfo]:
    """The finished backups in the backup folder, newest first."""
    return list_folder(paths.backup_dir)


# -- retention -------------------------------------------------------------------------------


def prune(paths: Paths, keep: int, kinds: list[BackupKind] | None = None) -> list[BackupInfo]:
    """Delete all but the newest `keep` backups (of `kinds`, default all) and unfinished files; the deleted ones."""
    with exclusive(paths):
        remove_unfinished(paths.backup_dir)
        return _prune_locked(paths, keep, kinds)


def _prune_locked(paths: Paths, keep: int, kinds: list[BackupKind] | None) -> list[BackupInfo]:
    doomed = to_prune(list_folder(paths.backup_dir), keep, kinds)
    for info in doomed:
        Path(info.path).unlink(missing_ok=True)
        log.info("backup pruned", id=info.id)
    return doomed
