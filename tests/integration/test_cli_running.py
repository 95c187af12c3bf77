"""Commands while the app runs: they go through its control API, never to the locked DuckDB file.

One real server (`python -m robustapp run --headless`) serves the whole module; it is stopped through
POST /api/shutdown at the end, and what the commands did is then checked in the database file.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from robustapp import cli
from robustapp.errors import AlreadyRunningError, AppError, DatabaseBusyError
from robustapp.storage import MIGRATIONS, Database
from tests.integration.helpers import robustapp
from tests.servers import HeadlessApp, server_env

LATEST = MIGRATIONS[-1].version
DUCKDB_LOCK_ERROR = re.compile(r"Could not set lock|Conflicting lock|IO Error|DatabaseBusyError")


class RunningServer(HeadlessApp):
    """The module's server, with what the tests ask of it."""

    seeded = 0  # demo items the tests seeded through it, checked in the file once it stopped

    @property
    def proc(self) -> subprocess.Popen[str]:
        return self.process

    @property
    def url(self) -> str:
        return self.base_url

    @property
    def env(self) -> dict[str, str]:
        """The environment of a command run on the server's data home."""
        return server_env(self.home)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = RunningServer(tmp_path_factory.mktemp("running-home"))
    try:
        yield running

        assert running.stop() == 0
        assert not running.paths.runtime_file.exists()
        assert not running.paths.token_file.exists()
        with Database(running.paths.db_path) as db:  # released by the server, and nothing lost
            assert db.query_one("SELECT count(*) FROM demo_items") == (running.seeded,)
    finally:
        running.close()


@pytest.fixture
def at_server(server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> RunningServer:
    """Point this test's commands at the running server's data home."""
    monkeypatch.setenv("ROBUSTAPP_HOME", str(server.home))
    return server


def invoke(*args: str):
    return CliRunner().invoke(cli.app, list(args))


def test_status_reports_the_running_app(at_server: RunningServer) -> None:
    result = invoke("status")

    assert result.exit_code == 0, result.output
    assert f"running: yes (PID {at_server.proc.pid}, headless) at {at_server.url}" in result.stdout
    assert f"schema_version: {LATEST}" in result.stdout
    assert not DUCKDB_LOCK_ERROR.search(result.output)


def test_status_json_comes_from_the_control_api(at_server: RunningServer) -> None:
    info = json.loads(invoke("status", "--json").stdout)

    assert info["running"] is True
    assert info["pid"] == at_server.proc.pid
    assert info["url"] == at_server.url
    assert info["schema_version"] == LATEST


def test_health_asks_the_running_app(at_server: RunningServer) -> None:
    result = invoke("health")

    assert result.exit_code == 0, result.output
    assert f"checked: running app (PID {at_server.proc.pid})" in result.stdout
    assert f"ok   database: schema {LATEST}/{LATEST}" in result.stdout


def test_db_status_asks_the_running_app(at_server: RunningServer) -> None:
    result = invoke("db", "status")

    assert result.exit_code == 0, result.output
    assert f"schema version: {LATEST}" in result.stdout
    assert all(f"applied  {m.name}" in result.stdout for m in MIGRATIONS)
    assert not DUCKDB_LOCK_ERROR.search(result.output)


def test_db_migrate_reports_that_the_running_app_migrated(at_server: RunningServer) -> None:
    result = invoke("db", "migrate")

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"the running app (PID {at_server.proc.pid}) migrated the database when it started: "
        f"schema {LATEST}/{LATEST}\n"
    )


def test_db_seed_goes_through_the_running_app(at_server: RunningServer) -> None:
    result = invoke("db", "seed", "--rows", "7")

    assert result.exit_code == 0, result.output
    at_server.seeded += 7  # checked in the file once the server has stopped
    assert result.stdout == "added 7 demo rows\ndemo dataset 'demo_sales' is ready: open it on the app's Browse page\n"
    listed = json.loads(invoke("data", "list", "--json").stdout)
    assert ("demo_sales", 100_000) in [(info["name"], info["row_count"]) for info in listed]


def test_init_leaves_a_running_app_alone(at_server: RunningServer) -> None:
    result = invoke("init")

    assert result.exit_code == 0
    assert f"robustapp is running (PID {at_server.proc.pid})" in result.stdout


def test_clean_all_refuses_while_the_app_runs(at_server: RunningServer) -> None:
    result = invoke("clean", "--all", "--yes")

    assert isinstance(result.exception, AppError)
    assert "the app is running" in str(result.exception)
    assert at_server.paths.db_path.exists()


def test_the_database_file_belongs_to_the_server_alone(at_server: RunningServer) -> None:
    with pytest.raises(DatabaseBusyError, match=f"PID {at_server.proc.pid}"):
        Database(at_server.paths.db_path)


def test_a_second_server_for_the_same_home_exits_1(at_server: RunningServer) -> None:
    result = robustapp("run", "--headless", env=at_server.env)

    assert result.returncode == 1
    assert result.stderr.startswith(
        f"{AlreadyRunningError.__name__}: robustapp is already running at {at_server.url} (PID {at_server.proc.pid})"
    )
    assert "Traceback" not in result.stderr
    assert at_server.proc.poll() is None  # the first one keeps serving


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003 - stdlib signature
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code, dict(exc.headers)


def test_the_served_app_is_behind_the_access_gate(server: RunningServer) -> None:
    assert _get(server.url + "/_stcore/health")[0] == 200
    assert _get(server.url + "/")[0] == 403
    assert _get(server.url + "/api/status")[0] == 401

    status, headers = _get(f"{server.url}/?token={server.token}")
    assert status == 303
    assert headers["location"] == "/"
    cookie = headers["set-cookie"].split(";")[0]
    assert _get(server.url + "/", headers={"Cookie": cookie})[0] == 200


def test_the_worker_refuses_while_the_app_runs_its_jobs(at_server: RunningServer) -> None:
    result = robustapp("worker", env=at_server.env)

    assert result.returncode == 1
    assert result.stderr.startswith(
        f"AlreadyRunningError: the app is running (PID {at_server.proc.pid}, {at_server.url}) and runs its jobs "
        "itself; stop it before running `robustapp worker`"
    )
    assert at_server.proc.poll() is None


def test_status_counts_the_apps_jobs(at_server: RunningServer) -> None:
    info = json.loads(invoke("status", "--json").stdout)

    assert info["jobs"] == {"queued": 0, "running": 0}


def test_data_commands_go_through_the_running_app(at_server: RunningServer, tmp_path: Path) -> None:
    from robustapp.errors import DatasetNameTaken

    people = tmp_path / "people.csv"
    people.write_text("id,name\n1,Zoë\n2,Ann\n", encoding="utf-8")

    imported = invoke("data", "import", str(people), "--name", "Staff", "--type", "id=VARCHAR")
    again = invoke("data", "import", str(people), "--name", "staff")
    listed = json.loads(invoke("data", "list", "--json").stdout)
    renamed = invoke("data", "rename", "Staff", "Team")
    deleted = invoke("data", "delete", "Team")
    restored = invoke("data", "restore", "team")
    missing = robustapp("data", "import", str(tmp_path / "nope.csv"), env=at_server.env)

    assert imported.exit_code == 0, imported.output
    assert imported.stdout.startswith("imported 'Staff': 2 rows, 2 columns (table ds_")
    assert isinstance(again.exception, DatasetNameTaken)
    mine = [(d["name"], d["columns"][0]["type"]) for d in listed if d["name"] != "demo_sales"]  # seeded above
    assert mine == [("Staff", "VARCHAR")]
    assert renamed.stdout == "renamed 'Staff' to 'Team'\n"
    assert deleted.exit_code == 0 and restored.stdout == "restored 'Team' (2 rows)\n"
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines()[-1] == f"ImportFailed: {tmp_path / 'nope.csv'} does not exist"
    assert not DUCKDB_LOCK_ERROR.search(imported.output + missing.stderr)
