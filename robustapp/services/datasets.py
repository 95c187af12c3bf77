"""Datasets as their users see them: import a file; list, rename, annotate; delete with undo; re-import.

    import_file ─ check the file ─ (xlsx: read the sheet · other encodings: transcode)   no lock held
                └ db.transaction(touches={"dataset:<name>", "table:<table>"}, exclusive=False):
                      name free? ─ CREATE TABLE ds_<hex> AS read_…(file) ─ malformed rows? ─ catalog row
                      └ commit (writer lock): still free among what others committed meanwhile?
                  One transaction: a failure or a cancel anywhere leaves no table and no catalog row;
                  other writes (the UI saving an input) go on while the file is read.

Every write names the dataset and table tags it touches, so cached results on them are dropped
when it commits. `progress(fraction, message)` may be called from a helper thread while DuckDB
reads; if it raises (a cancelled job), the import stops and its exception propagates. Passing
`cursor` (this thread's `db.cursor()`) lets another thread stop the import with `cursor.interrupt()`.
"""

from __future__ import annotations

import difflib
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from robustapp.domain.datasets import (
    NATIVE_ENCODINGS,
    UNDO_WINDOW,
    DatasetInfo,
    ImportOptions,
    default_name,
    guess_delimiter,
    is_expired,
    name_key,
    new_table_name,
    rejects_note,
    valid_name,
)
from robustapp.errors import DatasetError, DatasetNameTaken, DatasetNotFound, ImportFailed
from robustapp.logs import get_logger
from robustapp.storage import datasets as catalog
from robustapp.storage import readers, sources
from robustapp.storage.database import Database

if TYPE_CHECKING:
    import duckdb

Progress = Callable[[float, str], None]
NOTES_MAX = 10_000
log = get_logger(__name__)

__all__ = [
    "UNDO_WINDOW",
    "delete_dataset",
    "get_dataset",
    "import_file",
    "list_datasets",
    "purge_deleted",
    "recently_deleted",
    "reimport_dataset",
    "rename_dataset",
    "restore_dataset",
    "set_notes",
]


def _silent(fraction: float, message: str) -> None:
    """The progress callback when nobody listens."""


# -- import ----------------------------------------------------------------------------------


def import_file(
    db: Database,
    path: str | Path,
    options: ImportOptions | None = None,
    *,
    name: str | None = None,
    replace: bool = False,
    progress: Progress | None = None,
    cursor: duckdb.DuckDBPyConnection | None = None,
    temp_dir: Path | None = None,
) -> DatasetInfo:
    """Import the file at `path` as a new dataset (named after the file unless `name` is given).

    `replace=True` replaces a live dataset of that name (keeping its notes); otherwise the name must be
    free. Raises ImportFailed, ImportCancelled, ImportOptionsError, DatasetNameTaken or DatasetNameInvalid;
    whatever it raises, nothing was written."""
    report = progress or _silent
    report(0.0, f"checking {Path(path).name}")
    source = sources.check(Path(path))
    options = options or ImportOptions()
    options = options.with_defaults_for(sources.guessed_format(source, options), source.path)
    name = valid_name(name if name is not None else default_name(source.path))
    with tempfile.TemporaryDirectory(prefix="robustapp-import-", dir=temp_dir) as scratch:
        return _import(db, source, options, name, Path(scratch), report, cursor, replace=replace)


def reimport_dataset(
    db: Database,
    name: str,
    *,
    progress: Progress | None = None,
    cursor: duckdb.DuckDBPyConnection | None = None,
    temp_dir: Path | None = None,
) -> DatasetInfo:
    """Read a dataset's source file again, with the options it was imported with; the name, notes
    and id stay. Like an import, it is one transaction: if it fails, the dataset is as it was."""
    current = get_dataset(db, name)
    report = progress or _silent
    report(0.0, f"checking {Path(current.source_path).name}")
    source = sources.check(Path(current.source_path))
    with tempfile.TemporaryDirectory(prefix="robustapp-import-", dir=temp_dir) as scratch:
        return _import(
            db, source, current.source_options, current.name, Path(scratch), report, cursor, previous=current
        )


def _import(
    db: Database,
    source: sources.Source,
    options: ImportOptions,
    name: str,
    scratch: Path,
    report: Progress,
    cursor: duckdb.DuckDBPyConnection | None,
    *,
    replace: bool = False,
    previous: DatasetInfo | None = None,
) -> DatasetInfo:
    if cursor is not None and cursor is not db.cursor():
        raise ValueError("import_file works on this thread's db.cursor(): pass that cursor, or none")
    if previous is None and not replace:
        _check_name_free(catalog.find_live(db, name))  # early, before the file is read; again under the lock
    table = new_table_name()
    plan = _plan(db.cursor(), source, options, table, scratch, report)
    reading = f"reading {source.label}"

    def on_progress(fraction: float) -> None:
        report(0.05 + 0.85 * fraction, reading)

    import duckdb

    try:
        # Not exclusive: the file is read into a new table while the app's other writes go on;
        # the writer lock is taken to commit, after a last look at the names others committed.
        with db.transaction(touches={f"dataset:{name}", f"table:{table}"}, exclusive=False) as tx:
            taken = None if previous else catalog.find_live(tx, name)
            if not replace:
                _check_name_free(taken)
            if previous is None:
                db.before_commit(lambda: _check_still_free(db, name, taken))
            report(0.05, reading)
            loaded = readers.create(tx, plan, on_progress)
            if loaded.rejected_total and not options.skip_bad_rows:
                raise ImportFailed(
                    f"{source.label}: {rejects_note(loaded.rejected, loaded.rejected_total)}. Nothing was imported: "
                    "fix the file, or import with skip bad rows to leave these rows out"
                )
            report(0.95, "saving")
            info = _info(name, table, source, options, loaded)
            if previous is not None:
                info = _replace_data(db, tx, previous, info)
            else:
                if taken is not None:
                    info = info.model_copy(update={"notes": taken.notes})
                    with db.transaction(touches={f"dataset:{taken.name}", f"table:{taken.table_name}"}):
                        catalog.remove(tx, taken)
                info = catalog.insert(tx, info)
    except duckdb.TransactionException as exc:  # another write changed the same catalog rows first
        raise ImportFailed(
            f"{source.label}: the datasets changed while it was read ({exc}); nothing was imported, try again"
        ) from None
    finally:
        readers.release(db.cursor(), plan)
    log.info("dataset imported", dataset=name, table=table, rows=info.row_count, skipped=info.skipped_rows)
    report(1.0, f"imported {info.row_count} rows into {name!r}")
    return info.model_copy(update={"rejected": loaded.rejected})


def _check_still_free(db: Database, name: str, replacing: DatasetInfo | None) -> None:
    """At commit: no other dataset took the name while the file was read."""
    with db.fresh_cursor() as latest:
        now = catalog.find_live(latest, name)
    if now is not None and (replacing is None or now.id != replacing.id):
        _check_name_free(now)


def _check_name_free(taken: DatasetInfo | None) -> None:
    if taken is not None:
        raise DatasetNameTaken(f"a dataset named {taken.name!r} already exists; choose another name or replace it")


def _replace_data(db: Database, tx: Any, previous: DatasetInfo, info: DatasetInfo) -> DatasetInfo:
    """A re-import: the dataset keeps its id, name and notes; its old table goes."""
    with db.transaction(touches={f"dataset:{previous.name}", f"table:{previous.table_name}"}):
        catalog.drop_table(tx, previous.table_name)
        catalog.replace_data(tx, previous.id, info)
    return info.model_copy(update={"id": previous.id, "notes": previous.notes})


def _plan(
    cursor: duckdb.DuckDBPyConnection,
    source: sources.Source,
    options: ImportOptions,
    table: str,
    scratch: Path,
    report: Progress,
) -> readers.Plan:
    """Everything that can be worked out before the write transaction: the file is read, checked,
    sniffed (and an xlsx sheet loaded, another encoding transcoded) without holding the writer lock."""
    if options.format == "xlsx":
        report(0.02, f"reading {source.label}")
        batch, raw_header = sources.read_sheet(source, options)
        plan = readers.plan_arrow(cursor, readers.Target(source.path, source.path, table), options, batch)
        plan.header = raw_header
        return plan
    if options.format != "csv":
        target = readers.Target(source.path, sources.readable_path(source, scratch), table)
        if options.format == "parquet":
            return readers.plan_parquet(cursor, target, options)
        return readers.plan_json(cursor, target, options)
    sources.check_text(source, options)
    header_line = sources.first_line(source, options.encoding)
    read_options = options
    if options.encoding in NATIVE_ENCODINGS:
        read_path = sources.readable_path(source, scratch)
    else:
        report(0.02, f"converting {source.label} from {options.encoding} to UTF-8")
        read_path = sources.transcode(source, options.encoding, scratch)
        read_options = options.model_copy(update={"encoding": "utf-8"})
    long_lines = sources.has_long_line(source, readers.USUAL_LINE_BYTES, read_path)
    target = readers.Target(source.path, read_path, table)
    plan = readers.plan_csv(cursor, target, read_options, header_line, long_lines=long_lines)
    if options.header is not False:
        delimiter = options.delimiter or guess_delimiter(header_line, options.quote_char) or ","
        plan.header = sources.header_names(header_line, delimiter, options.quote_char)
    return plan


def _info(name: str, table: str, source: sources.Source, options: ImportOptions, loaded: readers.Loaded) -> DatasetInfo:
    notes = list(loaded.notes)
    if loaded.rejected_total:
        notes.append(f"skipped {rejects_note(loaded.rejected, loaded.rejected_total)}")
    return DatasetInfo(
        id=0,
        name=name,
        table_name=table,
        row_count=loaded.row_count,
        columns=loaded.columns,
        size_bytes=loaded.size_bytes,
        source_path=str(source.path),
        source_format=options.format or "csv",
        source_options=options,
        imported_at=datetime.now(UTC),
        import_notes=notes,
        skipped_rows=loaded.rejected_total,
    )


# -- the catalog -------------------------------------------------------------------------------


def list_datasets(db: Database) -> list[DatasetInfo]:
    """Every dataset not deleted, by name."""
    return catalog.live(db)


def get_dataset(db: Database, name: str) -> DatasetInfo:
    """The live dataset called `name` (case-insensitively); DatasetNotFound otherwise."""
    found = catalog.find_live(db, name)
    if found is None:
        raise _not_found(db, name)
    return found


def rename_dataset(db: Database, old: str, new: str) -> DatasetInfo:
    """Give a dataset a new name (its table keeps its generated name)."""
    new = valid_name(new)
    current = get_dataset(db, old)

    def rename(tx: Any) -> DatasetInfo:
        taken = catalog.find_live(tx, new)
        if taken and taken.id != current.id:
            raise DatasetNameTaken(f"cannot rename {current.name!r} to {new!r}: a dataset named {taken.name!r} exists")
        catalog.rename(tx, current.id, new)
        return current.model_copy(update={"name": new})

    return db.write(rename, touches=_tags(current, also=new))


def set_notes(db: Database, name: str, notes: str) -> DatasetInfo:
    """Replace a dataset's notes."""
    if len(notes) > NOTES_MAX:
        raise DatasetError(f"notes for {name!r} are {len(notes)} characters long; at most {NOTES_MAX}")
    current = get_dataset(db, name)
    db.write(lambda tx: catalog.set_notes(tx, current.id, notes), touches=_tags(current))
    return current.model_copy(update={"notes": notes})


def delete_dataset(db: Database, name: str, *, now: datetime | None = None) -> DatasetInfo:
    """Hide a dataset; `restore_dataset` brings it back within UNDO_WINDOW, then a purge drops it."""
    now = now or datetime.now(UTC)
    current = get_dataset(db, name)
    db.write(lambda tx: catalog.mark_deleted(tx, current.id, now), touches=_tags(current))
    purge_deleted(db, now=now)
    return current.model_copy(update={"deleted_at": now})


def restore_dataset(
    db: Database, name: str, *, now: datetime | None = None, window: timedelta = UNDO_WINDOW
) -> DatasetInfo:
    """Undo the latest delete of the dataset called `name`, if it is within its undo window."""
    now = now or datetime.now(UTC)
    deleted = catalog.find_deleted(db, name)
    if deleted is None or deleted.deleted_at is None:
        raise DatasetNotFound(f"there is no deleted dataset named {name!r} to restore")
    if is_expired(deleted.deleted_at, now, window):
        minutes = int(window.total_seconds() // 60)
        raise DatasetNotFound(f"{deleted.name!r} was deleted more than {minutes} minutes ago and cannot be restored")

    def restore(tx: Any) -> DatasetInfo:
        taken = catalog.find_live(tx, deleted.name)
        if taken:
            raise DatasetNameTaken(
                f"cannot restore {deleted.name!r}: another dataset has that name now; rename that one first"
            )
        catalog.mark_deleted(tx, deleted.id, None)
        return deleted.model_copy(update={"deleted_at": None})

    return db.write(restore, touches=_tags(deleted))


def recently_deleted(
    db: Database, *, now: datetime | None = None, window: timedelta = UNDO_WINDOW
) -> list[DatasetInfo]:
    """The datasets `restore_dataset` can still bring back, newest deletion first (one per name:
    the one a restore of that name would restore) and none whose name a live dataset has taken."""
    moment = (now or datetime.now(UTC)) - window
    live = {name_key(info.name) for info in catalog.live(db)}
    found: dict[str, DatasetInfo] = {}
    for info in catalog.deleted_after(db, moment):
        found.setdefault(name_key(info.name), info)
    return [info for key, info in found.items() if key not in live]


def purge_deleted(db: Database, *, now: datetime | None = None, window: timedelta = UNDO_WINDOW) -> list[DatasetInfo]:
    """Drop, for good, the datasets deleted more than `window` ago; returns them."""
    moment = (now or datetime.now(UTC)) - window
    expired = catalog.deleted_before(db.cursor(), moment)
    if not expired:
        return []
    tags = {tag for info in expired for tag in _tags(info)}

    def purge(tx: Any) -> list[DatasetInfo]:
        gone = catalog.deleted_before(tx, moment)  # again, under the writer lock
        for info in gone:
            catalog.remove(tx, info)
        return gone

    purged = db.write(purge, touches=tags)
    log.info("deleted datasets purged", datasets=[info.name for info in purged])
    return purged


def _tags(info: DatasetInfo, *, also: str | None = None) -> set[str]:
    tags = {f"dataset:{info.name}", f"table:{info.table_name}"}
    if also is not None:
        tags.add(f"dataset:{also}")
    return tags


def _not_found(db: Database, name: str) -> DatasetNotFound:
    names = [info.name for info in catalog.live(db)]
    close = difflib.get_close_matches(name_key(name), [name_key(n) for n in names], n=3, cutoff=0.6)
    suggestion = [n for n in names if name_key(n) in close]
    hint = f"; did you mean {', '.join(map(repr, suggestion))}?" if suggestion else ""
    return DatasetNotFound(f"there is no dataset named {name!r}{hint}")
