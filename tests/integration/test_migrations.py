"""Migrations against real DuckDB files: to the latest, idempotent, atomic, and refusing a newer schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from robustapp import bootstrap
from robustapp.config import load_settings
from robustapp.errors import MigrationError, SchemaTooNewError
from robustapp.storage import MIGRATIONS, Database, latest_version, migrate, schema_version
from robustapp.storage import migrations as migrations_module
from robustapp.storage.migrations import Migration


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with Database(tmp_path / "migrations.duckdb") as database:
        yield database


def _tables(db: Database) -> set[str]:
    return {name for (name,) in db.query("SELECT table_name FROM information_schema.tables")}


def _records(db: Database) -> list[tuple[int, str]]:
    return db.query("SELECT version, name FROM schema_migrations ORDER BY version")


def test_a_fresh_database_migrates_to_the_latest_version(db: Database) -> None:
    applied = migrate(db)

    assert [m.name for m in applied] == [m.name for m in MIGRATIONS]
    assert schema_version(db) == latest_version() == MIGRATIONS[-1].version
    assert _records(db) == [(m.version, m.name) for m in MIGRATIONS]
    assert {"app_meta", "user_settings", "demo_items"} <= _tables(db)


def test_migrating_again_changes_nothing(db: Database) -> None:
    migrate(db)
    created_at = db.query_one("SELECT value FROM app_meta WHERE key = 'created_at'")

    assert migrate(db) == []
    assert _records(db) == [(m.version, m.name) for m in MIGRATIONS]
    assert db.query_one("SELECT value FROM app_meta WHERE key = 'created_at'") == created_at


def test_migration_versions_are_numbered_in_order() -> None:
    versions = [m.version for m in MIGRATIONS]

    assert versions == list(range(1, len(MIGRATIONS) + 1))
    assert all(m.name.startswith(f"m{m.version:03d}_") for m in MIGRATIONS)


def _half_done_sql(cursor) -> None:
    cursor.execute("CREATE TABLE half_done (id INTEGER)")
    cursor.execute("INSERT INTO half_done VALUES (1)")
    cursor.execute("SELECT * FROM no_such_table")


def _half_done_python(cursor) -> None:
    cursor.execute("CREATE TABLE half_done (id INTEGER)")
    raise RuntimeError("bug in the migration")


@pytest.mark.parametrize("broken", [_half_done_sql, _half_done_python], ids=["sql-error", "python-error"])
def test_a_failing_migration_leaves_the_previous_version_and_nothing_half_done(
    db: Database, monkeypatch: pytest.MonkeyPatch, broken
) -> None:
    migrate(db)
    last = latest_version()
    extra = Migration(last + 1, f"m{last + 1:03d}_broken", broken)
    monkeypatch.setattr(migrations_module, "MIGRATIONS", (*MIGRATIONS, extra))

    with pytest.raises(MigrationError) as caught:
        migrate(db)

    message = str(caught.value)
    assert message.startswith(f"{extra.name} failed:")
    assert f"schema version {last}" in message
    assert schema_version(db) == last
    assert "half_done" not in _tables(db)


def test_a_failure_midway_keeps_the_migrations_before_it(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    first, _, *rest = MIGRATIONS
    monkeypatch.setattr(
        migrations_module, "MIGRATIONS", (first, Migration(2, "m002_broken", _half_done_python), *rest)
    )

    with pytest.raises(MigrationError, match="m002_broken"):
        migrate(db)

    assert schema_version(db) == 1
    assert _records(db) == [(1, first.name)]
    assert "demo_items" not in _tables(db)


def _mark_as_newer(db: Database) -> None:
    migrate(db)
    with db.transaction() as cursor:
        cursor.execute("INSERT INTO schema_migrations VALUES (99, 'm099_from_the_future', now())")


def test_a_database_from_a_newer_robustapp_is_refused(db: Database) -> None:
    _mark_as_newer(db)

    with pytest.raises(SchemaTooNewError) as caught:
        migrate(db)

    message = str(caught.value)
    assert "schema version 99" in message
    assert f"({latest_version()})" in message
    assert "install a newer robustapp" in message


def test_the_app_refuses_to_start_on_a_newer_schema_and_releases_the_file(app_home: Path) -> None:
    settings = load_settings()
    settings.paths.ensure()
    with Database(settings.paths.db_path) as db:
        _mark_as_newer(db)

    with pytest.raises(SchemaTooNewError):
        bootstrap.build(settings)

    with Database(settings.paths.db_path) as db:  # not left open by the failed start
        assert schema_version(db) == 99
