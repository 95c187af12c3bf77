"""The command line while no app is running: typer's runner in process, `python -m robustapp` for exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from robustapp import __version__, cli
from robustapp.config import Paths
from robustapp.errors import DatabaseBusyError, DatabaseOpenError
from robustapp.storage import MIGRATIONS, Database, migrate, schema_version
from robustapp.storage import migrations as migrations_module
from tests.integration.helpers import process_holding, robustapp

NOT_DUCKDB = b"My spreadsheet export, saved under the wrong name.\n" * 100


def invoke(*args: str, input: str | None = None):  # noqa: A002 - typer's name
    return CliRunner().invoke(cli.app, list(args), input=input)


@pytest.fixture
def paths(app_home: Path) -> Paths:
    return Paths.for_home(app_home)


@pytest.fixture
def initialised(paths: Paths) -> Paths:
    assert invoke("init").exit_code == 0
    return paths


def _schema(paths: Paths) -> int:
    with Database(paths.db_path) as db:
        return schema_version(db)


def _demo_rows(paths: Paths) -> int:
    with Database(paths.db_path) as db:
        return db.query_one("SELECT count(*) FROM demo_items")[0]


def _migrate_to(paths: Paths, version: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Leave the database at an older schema, as an older robustapp would have."""
    paths.ensure()
    with monkeypatch.context() as patch:
        patch.setattr(migrations_module, "MIGRATIONS", MIGRATIONS[:version])
        with Database(paths.db_path) as db:
            migrate(db)


def _not_duckdb_at_db_path(paths: Paths) -> None:
    paths.ensure()
    paths.db_path.write_bytes(NOT_DUCKDB)


# -- version, init, status ----------------------------------------------------------------


@pytest.mark.parametrize("args", [["--version"], ["version"]])
def test_version_prints_the_version(args: list[str]) -> None:
    result = invoke(*args)

    assert result.exit_code == 0
    assert result.stdout == f"robustapp {__version__}\n"


def test_init_creates_the_directories_and_a_migrated_database(paths: Paths) -> None:
    result = invoke("init")

    assert result.exit_code == 0
    assert f"Initialised {paths.data_dir} (database schema {MIGRATIONS[-1].version})" in result.stdout
    assert all(directory.is_dir() for directory in paths.all_dirs())
    assert _schema(paths) == MIGRATIONS[-1].version


def test_init_can_be_repeated_without_changing_the_data(initialised: Paths) -> None:
    with Database(initialised.db_path) as db:
        before = db.query("SELECT * FROM schema_migrations ORDER BY version")

    result = invoke("init")

    assert result.exit_code == 0
    with Database(initialised.db_path) as db:
        assert db.query("SELECT * FROM schema_migrations ORDER BY version") == before


def test_status_before_init_says_so_and_creates_nothing(paths: Paths) -> None:
    result = invoke("status")

    assert result.exit_code == 0
    assert "running: no" in result.stdout
    assert "not initialised yet: run `robustapp init`" in result.stdout
    assert not paths.db_path.exists()


def test_status_when_not_running_describes_the_database(initialised: Paths) -> None:
    result = invoke("status")

    assert result.exit_code == 0
    assert result.stdout.startswith("running: no\n")
    assert f"schema_version: {MIGRATIONS[-1].version}" in result.stdout
    assert f"database: {initialised.db_path}" in result.stdout
    assert f"data dir: {initialised.data_dir}" in result.stdout


def test_status_tells_when_the_last_backup_was_made(initialised: Paths) -> None:
    assert "last backup: none yet" in invoke("status").stdout

    created = invoke("backup", "create", "--json")
    assert created.exit_code == 0, created.output
    backup_id = json.loads(created.stdout)["id"]

    result = invoke("status")
    assert re.search(rf"last backup: \d{{4}}-\d\d-\d\dT[\d:]+\+00:00 \(manual, {re.escape(backup_id)}\)", result.stdout), result.stdout
    assert json.loads(invoke("status", "--json").stdout)["last_backup"]["id"] == backup_id


def test_status_json_is_machine_readable(initialised: Paths) -> None:
    result = invoke("status", "--json")

    info = json.loads(result.stdout)
    assert info["running"] is False
    assert info["schema_version"] == info["latest_schema_version"] == MIGRATIONS[-1].version


def test_status_does_not_migrate_an_older_database(paths: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    _migrate_to(paths, 2, monkeypatch)

    result = invoke("status")

    assert "schema_version: 2" in result.stdout
    assert _schema(paths) == 2


def test_status_ignores_the_files_of_an_app_that_was_killed(initialised: Paths) -> None:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    record = {"pid": finished.pid, "host": "127.0.0.1", "port": 9, "version": "0", "started_at": "", "mode": "headless"}
    initialised.runtime_file.write_text(json.dumps(record), encoding="utf-8")
    initialised.token_file.write_text("stale", encoding="utf-8")

    result = invoke("status")

    assert result.exit_code == 0
    assert result.stdout.startswith("running: no\n")


# -- health ------------------------------------------------------------------------------


def test_health_passes_on_a_healthy_database(initialised: Paths) -> None:
    result = invoke("health")

    assert result.exit_code == 0
    assert "checked: database file" in result.stdout
    assert f"ok   database: schema {MIGRATIONS[-1].version}/{MIGRATIONS[-1].version}" in result.stdout
    assert "ok   disk:" in result.stdout


def test_health_fails_on_a_schema_that_is_behind_and_leaves_it_alone(
    paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    _migrate_to(paths, 2, monkeypatch)

    result = invoke("health")

    assert result.exit_code == 1
    assert f"FAIL database: schema 2/{MIGRATIONS[-1].version} (run `robustapp db migrate`)" in result.stdout
    assert _schema(paths) == 2


def test_health_before_init_fails_and_says_what_to_do(paths: Paths) -> None:
    result = invoke("health")

    assert result.exit_code == 1
    assert "FAIL database:" in result.stdout
    assert "run `robustapp init`" in result.stdout
    assert not paths.db_path.exists()


def test_health_on_a_file_that_is_not_duckdb_exits_1_without_a_traceback(paths: Paths) -> None:
    _not_duckdb_at_db_path(paths)

    result = robustapp("health")

    assert result.returncode == 1
    assert "FAIL database: DatabaseOpenError:" in result.stdout
    assert "not a DuckDB database" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert paths.db_path.read_bytes() == NOT_DUCKDB


def test_health_json_reports_every_check(initialised: Paths) -> None:
    result = invoke("health", "--json")

    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert [check["name"] for check in report["checks"]] == ["database", "disk"]


# -- config, clean -----------------------------------------------------------------------


def test_config_prints_every_setting_with_the_secret_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROBUSTAPP_SECRET_KEY", "correct-horse-battery-staple")
    monkeypatch.setenv("ROBUSTAPP_PORT", "8765")

    result = invoke("config")

    assert result.exit_code == 0
    assert "correct-horse-battery-staple" not in result.output
    assert "ROBUSTAPP_SECRET_KEY=********" in result.stdout.splitlines()
    assert "ROBUSTAPP_PORT=8765" in result.stdout.splitlines()


def _litter(paths: Paths) -> list[Path]:
    """Files clean may remove."""
    files = [paths.cache_dir / "entries" / "a.val", paths.temp_dir / "upload.part", paths.log_dir / "robustapp.log.1"]
    for file in files:
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(b"x" * 1024)
    return files


def test_clean_removes_caches_and_logs_but_never_the_database(initialised: Paths) -> None:
    litter = _litter(initialised)
    backup = initialised.backup_dir / "backup-1.duckdb"
    backup.write_bytes(b"a backup")

    result = invoke("clean")

    assert result.exit_code == 0
    assert result.stdout.startswith("removed ")
    assert not any(file.exists() for file in litter)
    assert _schema(initialised) == MIGRATIONS[-1].version
    assert backup.read_bytes() == b"a backup"
    assert all(directory.is_dir() for directory in initialised.all_dirs())


def test_clean_all_asks_first_and_keeps_everything_on_no(initialised: Paths) -> None:
    result = invoke("clean", "--all", input="n\n")

    assert result.exit_code == 1
    assert "Delete ALL robustapp data" in result.output
    assert "Aborted" in result.output
    assert initialised.db_path.exists()


def test_clean_all_with_yes_deletes_the_user_data(initialised: Paths) -> None:
    result = invoke("clean", "--all", "--yes")

    assert result.exit_code == 0
    assert not initialised.db_path.exists()
    assert all(directory.is_dir() for directory in initialised.all_dirs())


# -- db ----------------------------------------------------------------------------------


def test_db_status_before_init_shows_every_migration_pending(paths: Paths) -> None:
    result = invoke("db", "status")

    assert result.exit_code == 0
    assert "schema version: 0" in result.stdout
    assert all(f"pending  {m.name}" in result.stdout for m in MIGRATIONS)
    assert not paths.db_path.exists()


def test_db_migrate_applies_what_is_pending_then_nothing(paths: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    _migrate_to(paths, 1, monkeypatch)

    first = invoke("db", "migrate")
    second = invoke("db", "migrate")

    assert first.exit_code == second.exit_code == 0
    assert first.stdout.splitlines() == [
        *(f"applied {m.name}" for m in MIGRATIONS[1:]),
        f"schema version {MIGRATIONS[-1].version} ({len(MIGRATIONS) - 1} applied)",
    ]
    assert second.stdout.splitlines() == [f"schema version {MIGRATIONS[-1].version} (0 applied)"]


def test_db_status_after_init_shows_every_migration_applied_and_nothing_else(initialised: Paths) -> None:
    result = invoke("db", "status")

    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"database: {initialised.db_path}",
        f"schema version: {MIGRATIONS[-1].version}",
        *(f"  applied  {m.name}" for m in MIGRATIONS),
    ]


def test_db_status_json_is_machine_readable_with_nothing_else_on_stdout(initialised: Paths) -> None:
    result = robustapp("db", "status", "--json")  # a fresh process: logging not yet set up by others

    assert result.returncode == 0
    assert json.loads(result.stdout)["schema_version"] == MIGRATIONS[-1].version


def test_db_seed_adds_rows(initialised: Paths) -> None:
    first = invoke("db", "seed", "--rows", "25")
    second = invoke("db", "seed", "--rows", "5")

    ready = "demo dataset 'demo_sales' is ready: open it on the app's Browse page\n"
    assert first.stdout == "added 25 demo rows\n" + ready
    assert second.stdout == "added 5 demo rows\n" + ready
    assert _demo_rows(initialised) == 30


def test_db_seed_adds_the_demo_dataset_once(initialised: Paths) -> None:
    invoke("db", "seed", "--rows", "1")
    invoke("db", "seed", "--rows", "1")

    listed = json.loads(invoke("data", "list", "--json").stdout)
    assert [(info["name"], info["row_count"]) for info in listed] == [("demo_sales", 100_000)]
    assert [column["name"] for column in listed[0]["columns"]] == ["order_id", "date", "region", "product", "units", "price"]
    assert Path(listed[0]["source_path"]).is_file()  # kept beside the database: it can be re-imported


def test_db_seed_refuses_zero_rows() -> None:
    assert invoke("db", "seed", "--rows", "0").exit_code == 2


# -- errors: exit codes through main() ----------------------------------------------------


def test_a_bad_setting_exits_1_naming_the_variable_and_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROBUSTAPP_PORT", "abc")

    result = robustapp("status")

    assert result.returncode == 1
    assert result.stderr.startswith("ConfigError: ")
    assert "ROBUSTAPP_PORT='abc'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["no-such-command"], ["status", "--no-such-option"]], ids=["command", "option"])
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = robustapp(*args)

    assert result.returncode == 2
    assert "No such" in result.stderr


def test_a_file_that_is_not_duckdb_at_the_db_path_exits_1_and_is_left_untouched(paths: Paths) -> None:
    _not_duckdb_at_db_path(paths)

    result = robustapp("status")

    assert result.returncode == 1
    assert result.stderr.startswith("DatabaseOpenError: ")
    assert str(paths.db_path) in result.stderr
    assert "not a DuckDB database" in result.stderr
    assert "Traceback" not in result.stderr
    assert paths.db_path.read_bytes() == NOT_DUCKDB
    assert sorted(p.name for p in paths.data_dir.iterdir()) == [paths.db_path.name]


@pytest.mark.parametrize("args", [["init"], ["db", "migrate"], ["db", "status"], ["db", "seed"]], ids=" ".join)
def test_no_command_writes_into_a_file_that_is_not_duckdb(paths: Paths, args: list[str]) -> None:
    _not_duckdb_at_db_path(paths)

    result = invoke(*args)

    assert result.exit_code == 1
    assert isinstance(result.exception, DatabaseOpenError)
    assert paths.db_path.read_bytes() == NOT_DUCKDB


def test_a_database_held_by_another_program_is_named(initialised: Paths) -> None:
    with process_holding(initialised.db_path) as holder:
        result = invoke("status")

    assert isinstance(result.exception, DatabaseBusyError)
    assert f"PID {holder.pid}" in str(result.exception)


def test_the_test_command_refuses_in_a_frozen_build(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "argv", ["robustapp", "test", "unit"])

    with pytest.raises(SystemExit) as exit_info:
        cli.main()

    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err == "AppError: tests are not available in this build; run them from a source checkout\n"


def test_run_refuses_a_host_that_is_not_loopback() -> None:
    result = robustapp("run", "--headless", "--host", "0.0.0.0")

    assert result.returncode == 1
    assert result.stderr.startswith("ConfigError: host '0.0.0.0' is not a loopback address")
    assert "127.0.0.1" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_on_a_port_in_use_says_so_and_names_the_port(paths: Paths) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = robustapp("run", "--headless", "--port", str(port))

    assert result.returncode == 1
    assert result.stderr.startswith(f"ConfigError: port {port} on 127.0.0.1 is in use by another program")
    assert "Traceback" not in result.stderr
    assert not paths.runtime_file.exists()
