"""Numbered schema migrations, each applied in one transaction together with its record.

A migration is a function `mNNN_name(cursor)`; MIGRATIONS lists them in order. The
`schema_migrations` table records what has been applied. A database whose schema is newer
than the last migration this code knows refuses to open (an older app must not write to it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from robustapp.errors import MigrationError, SchemaTooNewError
from robustapp.logs import get_logger
from robustapp.storage.database import Database

log = get_logger(__name__)

Cursor = duckdb.DuckDBPyConnection


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Cursor], None]


def m001_app_meta(cursor: Cursor) -> None:
    cursor.execute(
        """
        CREATE TABLE app_meta (
            key VARCHAR PRIMARY KEY,
            value VARCHAR NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )
        """
    )
    cursor.execute("INSERT INTO app_meta (key, value) VALUES ('created_at', CAST(now() AS VARCHAR))")


def m002_user_settings(cursor: Cursor) -> None:
    cursor.execute(
        """
        CREATE TABLE user_settings (
            owner VARCHAR NOT NULL,
            key VARCHAR NOT NULL,
            value JSON NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (owner, key)
        )
        """
    )


def m003_demo_items(cursor: Cursor) -> None:
    cursor.execute(
        """
        CREATE TABLE demo_items (
            id INTEGER PRIMARY KEY,
            name VARCHAR NOT NULL,
            category VARCHAR NOT NULL,
            value DOUBLE NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )
        """
    )


def m004_ui_state(cursor: Cursor) -> None:
    cursor.execute(
        """
        CREATE TABLE ui_state (
            owner VARCHAR NOT NULL,
            scope VARCHAR NOT NULL,
            key VARCHAR NOT NULL,
            value VARCHAR NOT NULL,          -- canonical JSON text
            version BIGINT NOT NULL,         -- +1 per change: how sessions notice newer values
            updated_at TIMESTAMP NOT NULL,   -- UTC
            updated_by VARCHAR NOT NULL,     -- session id
            PRIMARY KEY (owner, scope, key)
        )
        """
    )


def m005_audit_log(cursor: Cursor) -> None:
    cursor.execute(
        """
        CREATE TABLE audit_log (
            seq BIGINT PRIMARY KEY,
            changed_at TIMESTAMP NOT NULL,   -- UTC
            actor VARCHAR NOT NULL,
            session_id VARCHAR NOT NULL,
            scope VARCHAR NOT NULL,
            key VARCHAR NOT NULL,
            old_value VARCHAR,               -- canonical JSON text, NULL when there was none
            new_value VARCHAR,
            trace_id VARCHAR NOT NULL,
            prev_hash VARCHAR NOT NULL,
            hash VARCHAR NOT NULL
        )
        """
    )


def m006_form_state(cursor: Cursor) -> None:
    cursor.execute(
        """
        CREATE TABLE form_state (
            owner VARCHAR NOT NULL,
            form_id VARCHAR NOT NULL,
            history VARCHAR NOT NULL,        -- FormHistory as JSON text
            version BIGINT NOT NULL,         -- +1 per operation
            updated_at TIMESTAMP NOT NULL,   -- UTC
            updated_by VARCHAR NOT NULL,     -- session id
            PRIMARY KEY (owner, form_id)
        )
        """
    )


def m007_jobs(cursor: Cursor) -> None:
    cursor.execute("CREATE SEQUENCE job_ids START 1")
    cursor.execute(
        """
        CREATE TABLE jobs (
            id BIGINT PRIMARY KEY,           -- from job_ids
            name VARCHAR NOT NULL,           -- the registered job function
            kind VARCHAR NOT NULL,           -- process | db
            params VARCHAR NOT NULL,         -- JSON text
            state VARCHAR NOT NULL,          -- queued | running | succeeded | failed | cancelled | interrupted
            progress DOUBLE NOT NULL,        -- 0-1
            message VARCHAR NOT NULL,
            result VARCHAR,                  -- JSON text
            error VARCHAR,
            traceback VARCHAR,
            created_at TIMESTAMP NOT NULL,   -- UTC
            started_at TIMESTAMP,            -- UTC
            finished_at TIMESTAMP,           -- UTC
            timeout_seconds DOUBLE NOT NULL,
            attempt INTEGER NOT NULL,        -- 1, then +1 per re-run
            rerun_of BIGINT,                 -- the job this one re-runs
            owner VARCHAR NOT NULL,
            pid INTEGER                      -- the process that ran it
        )
        """
    )


def m008_datasets(cursor: Cursor) -> None:
    cursor.execute("CREATE SEQUENCE dataset_ids START 1")
    cursor.execute(
        """
        CREATE TABLE datasets (
            id BIGINT PRIMARY KEY,           -- from dataset_ids
            name VARCHAR NOT NULL,           -- as the user wrote it (trimmed)
            name_key VARCHAR NOT NULL,       -- casefolded name: unique among live datasets (the service checks)
            table_name VARCHAR NOT NULL,     -- generated ds_<hex>, never the user's text
            row_count BIGINT NOT NULL,
            columns VARCHAR NOT NULL,        -- JSON text: [{"name", "type"}]
            size_bytes BIGINT NOT NULL,      -- estimate, uncompressed
            source_path VARCHAR NOT NULL,
            source_format VARCHAR NOT NULL,  -- csv | parquet | json | ndjson | xlsx
            source_options VARCHAR NOT NULL, -- ImportOptions as JSON text, to re-import the same way
            imported_at TIMESTAMP NOT NULL,  -- UTC
            notes VARCHAR NOT NULL,
            import_notes VARCHAR NOT NULL,   -- JSON text: what the import changed (renamed columns, skipped rows)
            skipped_rows BIGINT NOT NULL,    -- malformed rows left out
            deleted_at TIMESTAMP             -- UTC; set during the undo window, then the row is purged
        )
        """
    )


def m009_sql_history(cursor: Cursor) -> None:
    cursor.execute("CREATE SEQUENCE sql_history_ids START 1")
    cursor.execute(
        """
        CREATE TABLE sql_history (
            id BIGINT PRIMARY KEY,           -- from sql_history_ids: newest is highest
            owner VARCHAR NOT NULL,
            sql VARCHAR NOT NULL,            -- the query as the user ran it (one row per distinct text)
            ran_at TIMESTAMP NOT NULL,       -- UTC
            job_id BIGINT                    -- the data.sql job that ran it (its outcome is in jobs)
        )
        """
    )


def m010_saved_analyses(cursor: Cursor) -> None:
    cursor.execute("CREATE SEQUENCE saved_analysis_ids START 1")
    cursor.execute(
        """
        CREATE TABLE saved_analyses (
            id BIGINT PRIMARY KEY,           -- from saved_analysis_ids
            owner VARCHAR NOT NULL,
            name VARCHAR NOT NULL,           -- as the user wrote it (trimmed)
            name_key VARCHAR NOT NULL,       -- casefolded name: unique per owner
            spec VARCHAR NOT NULL,           -- AnalysisSpec as JSON text
            created_at TIMESTAMP NOT NULL,   -- UTC
            updated_at TIMESTAMP NOT NULL,   -- UTC
            UNIQUE (owner, name_key)
        )
        """
    )


MIGRATIONS: tuple[Migration, ...] = tuple(
    Migration(int(fn.__name__[1:4]), fn.__name__, fn)
    for fn in (
        m001_app_meta,
        m002_user_settings,
        m003_demo_items,
        m004_ui_state,
        m005_audit_log,
        m006_form_state,
        m007_jobs,
        m008_datasets,
        m009_sql_history,
        m010_saved_analyses,
    )
)


def latest_version() -> int:
    return MIGRATIONS[-1].version if MIGRATIONS else 0


def _ensure_table(cursor: Cursor) -> None:
    cursor.execute(
        """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            name VARCHAR NOT NULL,
            applied_at TIMESTAMPTZ NOT NULL
        )
        """
    )


def schema_version(db: Database) -> int:
    """The highest applied migration (0 for a new database)."""
    exists = db.query_one(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    )
    if not exists or not exists[0]:
        return 0
    row = db.query_one("SELECT coalesce(max(version), 0) FROM schema_migrations")
    return int(row[0]) if row else 0


def pending(db: Database) -> list[Migration]:
    current = check_not_too_new(db)
    return [m for m in MIGRATIONS if m.version > current]


def check_not_too_new(db: Database) -> int:
    current = schema_version(db)
    if current > latest_version():
        raise SchemaTooNewError(
            f"database {db.path} has schema version {current}, newer than this robustapp knows "
            f"({latest_version()}); install a newer robustapp or restore an older backup"
        )
    return current


def migrate(db: Database, *, before: Callable[[int, list[Migration]], None] | None = None) -> list[Migration]:
    """Apply every pending migration; return the ones applied.

    `before(current_version, pending)` runs first when migrations are about to change a database
    that already has a schema (not a brand-new one): the app backs the database up there.
    """
    with db.transaction() as cursor:
        _ensure_table(cursor)
    applied = []
    current = check_not_too_new(db)
    todo = [m for m in MIGRATIONS if m.version > current]
    if todo and current > 0 and before is not None:
        before(current, todo)
    for migration in todo:
        try:
            with db.transaction() as cursor:
                migration.apply(cursor)
                cursor.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    [migration.version, migration.name, datetime.now(UTC)],
                )
        except Exception as exc:  # SQL or Python: either way the database stays as it was
            raise MigrationError(
                f"{migration.name} failed: {type(exc).__name__}: {exc}; "
                f"the database was left at schema version {current}"
            ) from exc
        log.info("migration applied", version=migration.version, name=migration.name)
        applied.append(migration)
        current = migration.version
    return applied
