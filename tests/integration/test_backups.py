"""Backups and restores on real DuckDB files: round trips, a live writer, damaged files, automatic backups.

The kills (kill -9 in the middle) are in test_backup_kills.py; the CLI beside a running app in
test_backup_running_app.py.
"""

from __future__ import annotations

import io
import json
import shutil
import threading
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from robustapp import bootstrap
from robustapp.config import Paths, load_settings
from robustapp.domain.backups import BackupKind
from robustapp.domain.jobs import JobState
from robustapp.errors import (
    BackupBusyError,
    BackupInvalidError,
    BackupNotFoundError,
    BackupTooNewError,
    DatabaseOpenError,
)
from robustapp.services import auto_backups, backups, restore
from robustapp.services.backup_files import list_folder
from robustapp.storage import Database, latest_version, migrate, schema_version
from robustapp.storage import migrations as migrations_module
from tests.integration.backup_support import everything, fill
from tests.integration.helpers import robustapp, wait_until


@pytest.fixture
def paths() -> Paths:
    return load_settings().paths.ensure()


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    return folder


def _filled_home(files: Path, rounds: int = 1) -> bootstrap.Services:
    services = bootstrap.build(load_settings())
    for round_ in range(1, rounds + 1):
        fill(services, files, round_)
    return services


@pytest.mark.parametrize("app_running", [True, False], ids=["from-the-open-database", "from-the-stopped-app"])
def test_a_restore_brings_back_every_table_exactly_as_it_was_at_backup_time(
    paths: Paths, files: Path, app_running: bool
) -> None:
    services = _filled_home(files)
    if app_running:
        made = backups.create(services.db, paths)
        services.close()
    else:
        services.close()
        made = backups.create_offline(paths)
    at_backup = everything(paths.db_path)
    services = bootstrap.build(load_settings())
    fill(services, files, 2)
    services.db.write(lambda cursor: cursor.execute("DELETE FROM demo_items WHERE id = 1"))
    services.close()
    changed = everything(paths.db_path)
    assert changed != at_backup

    restored = restore.restore(made.id, paths)

    assert everything(paths.db_path) == at_backup
    assert restored.safety is not None and restored.safety.kind is BackupKind.SAFETY
    assert not paths.result_cache_dir.exists()  # no result cached from the replaced data is served
    restore.restore(restored.safety.id, paths)  # the safety backup undoes the restore
    assert everything(paths.db_path) == changed


def test_a_backup_taken_while_another_thread_commits_holds_every_commit_before_it_and_no_gap(paths: Paths) -> None:
    with Database(paths.db_path) as db:
        migrate(db)
        db.write(lambda cursor: cursor.execute(
            "CREATE TABLE counter (n BIGINT PRIMARY KEY); CREATE TABLE mirror (n BIGINT PRIMARY KEY);"
            "CREATE TABLE filler AS SELECT range AS id, md5(range::VARCHAR) AS text FROM range(1500000)"
        ))  # fmt: skip
        acknowledged, stop = [0], threading.Event()

        def insert(cursor: duckdb.DuckDBPyConnection, n: int) -> None:
            cursor.execute("INSERT INTO counter VALUES (?)", [n])
            cursor.execute("INSERT INTO mirror VALUES (?)", [n])

        def commit_continuously() -> None:
            while not stop.is_set():
                n = acknowledged[0] + 1
                db.write(lambda cursor, n=n: insert(cursor, n))
                acknowledged[0] = n

        writer = threading.Thread(target=commit_continuously)
        writer.start()
        try:
            assert wait_until(lambda: acknowledged[0] >= 20)
            before = acknowledged[0]
            made = backups.create(db, paths)
            after = acknowledged[0]
        finally:
            stop.set()
            writer.join()

    manifest = backups.verify_file(Path(made.path))
    snapshot = duckdb.connect(made.path, read_only=True)  # a backup file opens as it is
    counter = [n for (n,) in snapshot.execute("SELECT n FROM counter ORDER BY n").fetchall()]
    mirror = [n for (n,) in snapshot.execute("SELECT n FROM mirror ORDER BY n").fetchall()]
    snapshot.close()
    assert counter == mirror == list(range(1, len(counter) + 1))
    assert before <= len(counter) <= after
    assert manifest.tables["main.counter"] == len(counter)
    assert after - len(counter) > 0  # the writer was not blocked while the copy was made


def test_a_backup_job_cancelled_in_the_middle_leaves_no_backup_and_no_partial_file(
    paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = bootstrap.start(load_settings())
    services.db.write(lambda cursor: cursor.execute(
        "CREATE TABLE filler AS SELECT range AS id, md5(range::VARCHAR) AS text FROM range(1000000)"
    ))  # fmt: skip
    snapshot_taken, cancel_sent = threading.Event(), threading.Event()

    def hold(point: str) -> None:  # the job stops between the snapshot and checking it, until cancelled
        if point == "backup:snapshot":
            snapshot_taken.set()
            assert cancel_sent.wait(30)

    monkeypatch.setattr(backups, "hold_point", hold)
    services.jobs.start()
    job_id = backups.queue_backup(services.jobs, name="to be cancelled")
    assert snapshot_taken.wait(30)
    with pytest.raises(BackupBusyError, match="already being made"):
        backups.queue_backup(services.jobs)

    services.jobs.cancel(job_id)
    cancel_sent.set()

    assert wait_until(lambda: services.jobs.poll(job_id).is_finished, timeout=30)
    assert services.jobs.poll(job_id).state is JobState.CANCELLED
    assert list_folder(paths.backup_dir) == []
    assert [p.name for p in paths.backup_dir.iterdir()] == []


# -- damaged, edited, foreign and too new files -------------------------------------------------


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def _edited_manifest(data: bytes, size: int, **changes: object) -> bytes:
    """The backup with its manifest rewritten (checksum left as it was), as a hand edit would."""
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        manifest = json.loads(zipped.read("manifest.json"))
    manifest.update(changes)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("manifest.json", json.dumps(manifest))
    return data[:size] + archive.getvalue()


def _too_new_backup(paths: Paths, folder: Path) -> Path:
    """A genuine backup of a database whose schema is newer than this robustapp knows."""
    newer = folder / "newer.duckdb"
    with Database(newer) as db:
        migrate(db)
        db.write(lambda cursor: cursor.execute(
            "INSERT INTO schema_migrations VALUES (?, 'm999_from_the_future', now())", [latest_version() + 1]
        ))  # fmt: skip
        return Path(backups.create(db, paths, folder=folder).path)


DAMAGE = {
    "a flipped byte in the database": (lambda d, size: _flip(d, size // 2), "does not match the checksum"),
    "a flipped byte in the manifest": (lambda d, size: _flip(d, size + 40), "manifest"),
    "cut in half": (lambda d, size: d[: size // 2], "not a robustapp backup, or it is truncated"),
    "its last bytes cut": (lambda d, size: d[:-10], "not a robustapp backup, or it is truncated"),
    "bytes added in the middle": (lambda d, size: d[:size] + b"\0" * 4096 + d[size:], "cut or added to"),
    "a row count edited": (lambda d, size: _edited_manifest(d, size, tables={"main.app_meta": 99}), "edited"),
    "the schema edited": (lambda d, size: _edited_manifest(d, size, schema_version=1), "edited"),
    "a CSV file": (lambda d, size: b"id,name\n1,ada\n", "not a robustapp backup"),
    "a plain DuckDB file": (lambda d, size: d[:size], "not a robustapp backup"),
    "another program's zip": (lambda d, size: _edited_manifest(d[size:], 0, format="something-else"), "another format"),
}


def test_damaged_edited_foreign_and_too_new_files_are_refused_and_the_database_is_untouched(
    paths: Paths, files: Path, tmp_path: Path
) -> None:
    services = _filled_home(files)
    good = Path(backups.create(services.db, paths).path)
    services.close()
    before = everything(paths.db_path)
    data, size = good.read_bytes(), backups.verify_file(good).database.size
    bad = tmp_path / "bad"
    bad.mkdir()
    cases = {name: (bad / f"{i}.robustapp-backup", expected) for i, (name, (_, expected)) in enumerate(DAMAGE.items())}
    for name, (damage, _) in DAMAGE.items():
        cases[name][0].write_bytes(damage(data, size))
    cases["a backup from a newer schema"] = (_too_new_backup(paths, bad), "made by a newer robustapp")

    for name, (path, expected) in cases.items():
        with pytest.raises(BackupInvalidError) as verify_refusal:
            backups.verify_file(path)
            pytest.fail(f"{name}: verified")
        with pytest.raises(BackupInvalidError) as restore_refusal:
            restore.restore(str(path), paths)
            pytest.fail(f"{name}: restored")
        assert expected in str(verify_refusal.value), name
        assert str(restore_refusal.value) == str(verify_refusal.value), name

    assert isinstance(verify_refusal.value, BackupTooNewError)
    assert everything(paths.db_path) == before
    assert [info.path for info in list_folder(paths.backup_dir)] == [str(good)]  # no safety backup was needed
    assert sorted(p.name for p in paths.data_dir.iterdir() if p.name.startswith(".")) == []


def test_the_cli_verifies_a_backup_and_refuses_a_damaged_one_with_exit_code_1(paths: Paths, files: Path) -> None:
    services = _filled_home(files)
    good = Path(backups.create(services.db, paths, name="before the trip").path)
    services.close()
    damaged = good.with_name("damaged.robustapp-backup")
    damaged.write_bytes(_flip(good.read_bytes(), 5000))

    ok = robustapp("backup", "verify", good.name.split(".")[0], "--json")
    broken = robustapp("backup", "verify", str(damaged))
    listed = robustapp("backup", "list")
    refused = robustapp("backup", "restore", str(damaged), "--yes")

    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["ok"] is True
    assert broken.returncode == 1
    assert "BackupInvalidError:" in broken.stderr and "does not match the checksum" in broken.stderr
    assert listed.returncode == 0 and "before the trip" in listed.stdout
    assert refused.returncode == 1 and "BackupInvalidError:" in refused.stderr


def test_backup_ids_latest_and_prefixes_name_backups_and_unknown_ones_are_refused(paths: Paths, files: Path) -> None:
    services = _filled_home(files)
    first = backups.create(services.db, paths, name="one")
    second = backups.create(services.db, paths, name="two")
    services.close()

    assert backups.find("latest", paths)[1].id == second.id
    assert backups.resolve(first.id.removesuffix("-one") + "-o", paths) == Path(first.path)
    with pytest.raises(BackupNotFoundError, match="several backups start with it"):
        backups.resolve(first.id[:8], paths)
    with pytest.raises(BackupNotFoundError, match="robustapp backup list"):
        backups.resolve("nothing-like-it", paths)


def test_only_one_backup_runs_at_a_time(paths: Paths, files: Path) -> None:
    services = _filled_home(files)
    try:
        with backups.exclusive(paths), pytest.raises(BackupBusyError, match="in progress"):
            backups.create(services.db, paths)
    finally:
        services.close()
    assert list_folder(paths.backup_dir) == []


# -- automatic backups ------------------------------------------------------------------------------


def test_migrating_an_existing_database_backs_it_up_first_and_a_new_database_is_not_backed_up(
    paths: Paths, files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    every = migrations_module.MIGRATIONS
    monkeypatch.setattr(migrations_module, "MIGRATIONS", every[:-1])  # an older robustapp made this database
    _filled_home(files).close()
    older = everything(paths.db_path)
    assert list_folder(paths.backup_dir) == []  # a brand-new database: nothing to back up
    monkeypatch.setattr(migrations_module, "MIGRATIONS", every)

    bootstrap.build(load_settings()).close()  # this robustapp migrates it

    (made,) = list_folder(paths.backup_dir)
    assert (made.kind, made.schema_version) == (BackupKind.PRE_MIGRATION, every[-2].version)
    restored = restore.restore(made.id, paths)  # an older backup is brought up to date
    assert (restored.schema_from, restored.schema_version) == (every[-2].version, every[-1].version)
    now = everything(paths.db_path)
    unchanged = set(older) - {"main.schema_migrations", "sequences"}
    assert {name: now[name] for name in unchanged} == {name: older[name] for name in unchanged}
    with Database(paths.db_path) as db:
        assert schema_version(db) == latest_version()


def test_the_daily_backup_runs_once_a_day_but_not_on_the_day_the_database_was_made(paths: Paths, files: Path) -> None:
    services = _filled_home(files)
    try:
        new_today = auto_backups.run_daily(services.db, paths, keep=10)
        services.db.write(lambda cursor: cursor.execute(
            "UPDATE app_meta SET value = CAST(now() - INTERVAL 3 DAY AS VARCHAR) WHERE key = 'created_at'"
        ))  # fmt: skip
        first = auto_backups.run_daily(services.db, paths, keep=10)
        again = auto_backups.run_daily(services.db, paths, keep=10)
        tomorrow = datetime.now().astimezone() + timedelta(days=1)
        next_day = auto_backups.run_daily(services.db, paths, keep=10, now=tomorrow)
    finally:
        services.close()

    assert new_today is None and again is None
    assert first is not None and first.kind is BackupKind.AUTO
    assert next_day is not None and next_day.kind is BackupKind.AUTO


def test_the_app_start_makes_the_daily_backup_in_the_background(
    paths: Paths, files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auto_backups, "DAILY_DELAY_SECONDS", 0.1)
    services = _filled_home(files)
    services.db.write(lambda cursor: cursor.execute(
        "UPDATE app_meta SET value = CAST(now() - INTERVAL 1 DAY AS VARCHAR) WHERE key = 'created_at'"
    ))  # fmt: skip
    services.close()

    started = bootstrap.start(load_settings())  # what the server's lifespan does
    assert started.daily_backup is not None
    started.daily_backup.join(timeout=30)

    (made,) = list_folder(paths.backup_dir)
    assert made.kind is BackupKind.AUTO


def test_automatic_backups_are_pruned_to_the_setting_and_manual_ones_are_kept(paths: Paths, files: Path) -> None:
    services = _filled_home(files)
    try:
        manual = backups.create(services.db, paths, name="mine")
        automatic = [backups.create(services.db, paths, kind=BackupKind.AUTO, keep=2) for _ in range(3)]
        automatic.append(backups.create(services.db, paths, kind=BackupKind.PRE_MIGRATION, keep=2))
    finally:
        services.close()

    assert {info.id for info in list_folder(paths.backup_dir)} == {manual.id, automatic[2].id, automatic[3].id}


def test_prune_keeps_the_newest_n_and_removes_files_left_by_a_crash(paths: Paths, files: Path) -> None:
    services = _filled_home(files)
    made = [backups.create(services.db, paths, name=str(i)) for i in range(3)]
    services.close()
    stray = paths.backup_dir / ".20990101-000000-manual.robustapp-backup.999999999.part"  # no such process
    stray.write_bytes(b"half a backup")

    removed = backups.prune(paths, keep=1)

    assert [info.id for info in removed] == [made[1].id, made[0].id]
    assert [info.id for info in list_folder(paths.backup_dir)] == [made[2].id]
    assert not stray.exists()
    with pytest.raises(ValueError, match="at least one"):
        backups.prune(paths, keep=0)


# -- recovery ----------------------------------------------------------------------------------------


def test_a_database_that_does_not_open_names_the_backup_to_restore_and_restore_latest_brings_it_back(
    paths: Paths, files: Path
) -> None:
    services = _filled_home(files)
    made = backups.create(services.db, paths)
    services.close()
    at_backup = everything(paths.db_path)
    paths.db_path.write_bytes(b"this is not a database" * 1000)

    with pytest.raises(DatabaseOpenError) as refusal:
        bootstrap.build(load_settings())
    cli = robustapp("status")
    restored = robustapp("backup", "restore", "latest", "--yes")

    assert made.id in str(refusal.value) and "`robustapp backup restore latest`" in str(refusal.value)
    assert cli.returncode == 1 and "robustapp backup restore latest" in cli.stderr
    assert restored.returncode == 0, restored.stderr
    assert everything(paths.db_path) == at_backup
    (kept,) = paths.data_dir.glob("robustapp.duckdb.damaged-*")
    assert kept.read_bytes() == b"this is not a database" * 1000


def test_without_any_backup_the_message_says_so(paths: Paths) -> None:
    paths.db_path.write_bytes(b"not a database")
    with pytest.raises(DatabaseOpenError, match="There is no usable backup"):
        bootstrap.build(load_settings())
    with pytest.raises(BackupNotFoundError, match="no backup"):
        restore.restore("latest", paths)
    assert paths.db_path.read_bytes() == b"not a database"


def test_a_backup_can_be_written_to_another_folder_and_restored_from_its_path(
    paths: Paths, files: Path, tmp_path: Path
) -> None:
    services = _filled_home(files)
    elsewhere = tmp_path / "usb stick"
    made = backups.create(services.db, paths, folder=elsewhere)
    services.close()
    at_backup = everything(paths.db_path)
    shutil.rmtree(paths.data_dir)

    restore.restore(made.path, paths)

    assert Path(made.path).parent == elsewhere
    assert everything(paths.db_path) == at_backup
