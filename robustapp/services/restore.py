"""Restoring a backup: replace the database with it, so that nothing can be lost on the way.

    restore(ref)  verify it (sha256, manifest, it opens, rows) ─ unpack it next to the database, fsync
                  ─ migrate it forward if it is older ─ a safety backup of the current database (or, if
                  that does not open, a copy of its file) ─ os.replace: a crash or a kill leaves the old
                  file or the new one, never half of each ─ drop the results cached from the old data

It runs only while the app is stopped, holding the backup lock and the server lock throughout, so
neither another backup nor the app can start in the middle of it. In the app, Settings asks the
launcher (`services.launcher.Launcher.request_restore`) to stop the server, restore, and start it again; what happened
is kept in a small file (`record_outcome`) and shown once when the app is back (`take_outcome`).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path

from robustapp.config import Paths
from robustapp.domain.backups import LATEST, BackupInfo, BackupKind
from robustapp.errors import AlreadyRunningError, AppError, BackupError, BackupInvalidError, DatabaseOpenError
from robustapp.logs import get_logger
from robustapp.services import instance
from robustapp.services.backup_files import copy_bytes, fsync_dir, hold_point, remove_unfinished
from robustapp.services.backups import Progress, exclusive, find, progress_part, silent, write_backup
from robustapp.storage import Database, migrate, schema_version
from robustapp.storage.migrations import check_not_too_new
from robustapp.storage.snapshots import copy_closed, inspect_file, wal_of

log = get_logger(__name__)


@dataclass(frozen=True)
class Restored:
    """What a restore did."""

    backup: BackupInfo
    schema_from: int  # the backup's schema version
    schema_version: int  # the database's now (migrated forward if the backup was older)
    safety: BackupInfo | None  # the database as it was before, if there was one that opened
    kept_aside: list[str] = field(default_factory=list)  # a damaged database's files, kept under new names


@dataclass(frozen=True)
class Outcome:
    """What a restore asked for in the app did, in words for the user."""

    ok: bool
    message: str


def describe(restored: Restored) -> str:
    """The restore in a sentence or two, for the user."""
    made = restored.backup.created_at.astimezone().strftime("%Y-%m-%d %H:%M") if restored.backup.created_at else "?"
    text = f"Restored the backup {restored.backup.id} (made {made}, {restored.backup.rows:,} rows)."
    if restored.safety is not None:
        text += f" Your data from before the restore is kept as backup {restored.safety.id}."
    if restored.kept_aside:
        text += f" The damaged database was kept as {', '.join(restored.kept_aside)}."
    return text


def record_outcome(paths: Paths, outcome: Outcome) -> None:
    """Keep `outcome` for the app to show when it is back (written whole, or not at all)."""
    target = paths.restore_outcome_file
    temp = target.with_name(f"{target.name}.{os.getpid()}.part")
    temp.write_text(json.dumps(asdict(outcome)), encoding="utf-8")
    os.replace(temp, target)


def take_outcome(paths: Paths) -> Outcome | None:
    """The outcome kept by `record_outcome`, once: the file goes as it is read."""
    target = paths.restore_outcome_file
    try:
        text = target.read_text(encoding="utf-8")
        target.unlink()
        raw = json.loads(text)
    except (OSError, ValueError):
        return None
    return Outcome(ok=bool(raw.get("ok")), message=str(raw.get("message", "")))


def refuse_while_running(paths: Paths, ref: str) -> None:
    """AlreadyRunningError, saying how to go on, while an app serves this data home."""
    running = instance.find_running(paths)
    if running is None:
        return
    if running.mode == "headless":
        how = f"stop it (Ctrl+C in its terminal), then run `robustapp backup restore {ref}` again"
    else:
        how = (
            "restore it in the app (Settings → Backups → Restore…: the app restarts on the backup), or close "
            f"the app and run `robustapp backup restore {ref}` again"
        )
    raise AlreadyRunningError(f"the app is running (PID {running.pid}) and holds the database; {how}")


def restore(ref: str, paths: Paths, *, progress: Progress = silent) -> Restored:
    """Replace the database with the backup `ref`, after checking it and backing up the current one."""
    paths.ensure()
    refuse_while_running(paths, ref)
    with exclusive(paths):
        try:
            server_lock = instance.acquire_server_lock(paths)  # the app cannot start until the restore is done
        except AlreadyRunningError:
            raise AlreadyRunningError(
                f"another robustapp process (the app starting, or `robustapp worker`) owns {paths.data_dir}; "
                "stop it, then restore"
            ) from None
        try:
            return _restore_locked(ref, paths, progress)
        finally:
            server_lock.release()


def _restore_locked(ref: str, paths: Paths, progress: Progress) -> Restored:
    remove_unfinished(paths.data_dir, paths.backup_dir)
    source, manifest = find(ref, paths, progress_part(progress, 0.0, 0.3))
    temp = paths.data_dir / f".restore.duckdb.{os.getpid()}.part"
    try:
        unpacking = progress_part(progress, 0.3, 0.5)
        digest = copy_bytes(source, temp, manifest.database.size, lambda fraction: unpacking(fraction, "unpacking"))
        if digest != manifest.database.sha256:
            raise BackupInvalidError(f"{source} changed while it was being restored; the database was left as it was")
        hold_point("restore:unpacked")
        progress(0.5, "bringing the backup's schema up to date")
        version = _bring_forward(temp)
        safety, kept = _set_current_aside(paths, progress_part(progress, 0.55, 0.95))
        hold_point("restore:before-swap")
        os.replace(temp, paths.db_path)
        fsync_dir(paths.data_dir)
        hold_point("restore:swapped")
    except OSError as exc:  # a full disk: the database was not replaced
        raise BackupError(
            f"the restore could not write to {paths.data_dir}: {exc}; the database was left as it was"
        ) from exc
    finally:
        for leftover in (temp, wal_of(temp)):
            leftover.unlink(missing_ok=True)
    shutil.rmtree(paths.result_cache_dir, ignore_errors=True)  # results cached from the replaced data
    inspect_file(paths.db_path)  # it opens where the app will look for it
    progress(1.0, "restored")
    log.info("backup restored", id=manifest.id, path=str(source), safety=safety.id if safety else None)
    backup = BackupInfo.of(str(source), source.stat().st_size, manifest)
    return Restored(backup, manifest.schema_version, version, safety, [str(p) for p in kept])


def _bring_forward(path: Path) -> int:
    """Migrate the unpacked database to this robustapp's schema; its schema version after."""
    with Database(path) as db:
        check_not_too_new(db)
        migrate(db)
        return schema_version(db)


def _set_current_aside(paths: Paths, progress: Progress) -> tuple[BackupInfo | None, list[Path]]:
    """A safety backup of the current database; if it does not open, copies of its files instead."""
    live = paths.db_path
    if not live.exists():
        return None, _move_aside(wal_of(live))
    try:
        info = write_backup(
            partial(copy_closed, live), live, paths, BackupKind.SAFETY, "before restore", None, None,
            lambda fraction, message: progress(fraction, f"safety backup: {message}"),
        )  # fmt: skip
    except DatabaseOpenError as exc:
        log.warning("the current database does not open; keeping a copy of it", error=str(exc))
        kept = live.with_name(f"{live.name}.damaged-{datetime.now():%Y%m%d-%H%M%S}")
        shutil.copyfile(live, kept)
        return None, [kept, *_move_aside(wal_of(live), kept.name.removeprefix(live.name))]
    if wal_of(live).exists():
        raise BackupError(f"another process opened {live} during the restore; it was left as it was")
    return info, []


def _move_aside(path: Path, suffix: str | None = None) -> list[Path]:
    """Rename `path` (if it exists) so it cannot be mistaken for the new database's WAL."""
    if not path.exists():
        return []
    target = path.with_name(path.name + (suffix or f".damaged-{datetime.now():%Y%m%d-%H%M%S}"))
    os.replace(path, target)
    return [target]


def restore_for_app(ref: str, paths: Paths, *, progress: Progress = silent) -> Outcome:
    """`restore`, its result told in words for the user; a refused restore leaves the database as it was."""
    try:
        restored = restore(ref, paths, progress=progress)
    except AppError as exc:
        log.warning("restore refused", backup=ref, error=str(exc))
        return Outcome(ok=False, message=f"The backup {ref} was not restored: {exc}. Your data is as it was.")
    return Outcome(ok=True, message=describe(restored))


def newest_good_backup(paths: Paths) -> BackupInfo | None:
    """The newest backup that verifies, or None."""
    try:
        path, manifest = find(LATEST, paths)
    except BackupError:
        return None
    return BackupInfo.of(str(path), path.stat().st_size, manifest)


def recovery_hint(paths: Paths) -> str:
    """What to do when the database does not open: restore the newest backup that verifies, if there is one."""
    backup = newest_good_backup(paths)
    if backup is None:
        return (
            f"there is no usable backup in {paths.backup_dir}; move {paths.db_path} away to start "
            "with an empty database"
        )
    made = backup.created_at.astimezone().strftime("%Y-%m-%d %H:%M") if backup.created_at else "?"
    return (
        f"the newest backup that verifies is {backup.id} (made {made}, {backup.rows} rows): restore it with "
        f"`robustapp backup restore latest` (a copy of the damaged file is kept)"
    )
