"""The audit trail on a real database: written by StateService, tampered with by SQL, checked by the CLI.

While no app runs the commands open the file themselves; while one runs (one real server for the
module's last tests) they go through its control API, and never meet DuckDB's file lock.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import threading
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from robustapp import cli
from robustapp.config import Paths
from robustapp.errors import StorageError
from robustapp.services import audit
from robustapp.services.state import Actor, Change, StateService
from robustapp.storage import MIGRATIONS, Database, migrate, schema_version
from robustapp.storage import migrations as migrations_module
from tests.integration.helpers import robustapp
from tests.servers import HeadlessApp

FIELDS = tuple("seq changed_at actor session_id scope key old_value new_value trace_id prev_hash hash".split())
DUCKDB_LOCK_ERROR = re.compile(r"Could not set lock|Conflicting lock|IO Error|DatabaseBusyError")
ADA = Actor(owner="ada", name="ada", session_id="session-ada")
BOB = Actor(owner="ada", name="bob", session_id="session-bob")
ENTRIES = 6
TODAY = date.today()
DAYS = {"YESTERDAY": TODAY - timedelta(days=1), "TOMORROW": TODAY + timedelta(days=1)}


def write_changes(db_path: Path) -> None:
    """Six audit entries, through the same write path the widgets use."""
    with Database(db_path) as db:
        migrate(db)
        state = StateService(db)
        state.save(ADA, [Change("demo", "name", "Ada"), Change("demo", "count", 3)], trace_id="trace-1")  # 1, 2
        state.save(ADA, [Change("settings", "theme", "dark")], trace_id="trace-2")  # 3
        state.save(ADA, [Change("demo", "name", "Ada Lovelace")], trace_id="trace-3")  # 4
        state.save(BOB, [Change("demo", "tags", ["fast", "ünïcode"])], trace_id="trace-4")  # 5
        state.save(ADA, [Change("demo", "count", 4)], trace_id="trace-5")  # 6


def logged(paths: Paths) -> list[dict[str, Any]]:
    """The audit_log table as it is, read with plain SQL."""
    with Database(paths.db_path) as db:
        rows = db.query(f"SELECT {', '.join(FIELDS)} FROM audit_log ORDER BY seq")
    return [dict(zip(FIELDS, row, strict=True)) for row in rows]


def tamper(paths: Paths, sql: str) -> None:
    with Database(paths.db_path) as db:
        db.write(lambda cursor: cursor.execute(sql))


def from_json(text: str) -> list[dict[str, Any]]:
    return [{**row, "changed_at": _utc(row["changed_at"])} for row in json.loads(text)]


def from_csv(text: str) -> list[dict[str, Any]]:
    return [
        {
            **{name: value or None for name, value in row.items()},  # an empty cell is a missing value
            "seq": int(row["seq"]),
            "changed_at": _utc(row["changed_at"]),
        }
        for row in csv.DictReader(io.StringIO(text))
    ]


def _utc(text: str) -> datetime:
    assert text.endswith("Z")
    return datetime.fromisoformat(text.removesuffix("Z"))


def invoke(*args: str):
    return CliRunner().invoke(cli.app, list(args))


def with_days(args: list[str]) -> list[str]:
    return [DAYS[arg].isoformat() if arg in DAYS else arg for arg in args]


EXPORT_FILTERS = [
    ([], [1, 2, 3, 4, 5, 6]),
    (["--scope", "demo"], [1, 2, 4, 5, 6]),
    (["--key", "name"], [1, 4]),
    (["--scope", "demo", "--key", "count"], [2, 6]),
    (["--actor", "bob"], [5]),
    (["--scope", "nowhere"], []),
    (["--since", "YESTERDAY", "--until", "TOMORROW"], [1, 2, 3, 4, 5, 6]),
    (["--since", "TOMORROW"], []),
    (["--until", "YESTERDAY"], []),
]


@pytest.fixture
def paths(app_home: Path) -> Paths:
    return Paths.for_home(app_home)


@pytest.fixture
def trail(paths: Paths) -> Paths:
    write_changes(paths.db_path)
    return paths


# -- verify, with the app stopped ---------------------------------------------------------


def test_an_untouched_trail_verifies(trail: Paths) -> None:
    result = invoke("audit", "verify")

    assert result.exit_code == 0, result.output
    assert result.stdout == f"audit trail intact: {ENTRIES} entries\n"


def test_an_edited_value_is_named_by_its_seq(trail: Paths) -> None:
    tamper(trail, """UPDATE audit_log SET new_value = '"Mallory"' WHERE seq = 4""")

    result = invoke("audit", "verify")

    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"audit trail BROKEN: 1 problem(s) in {ENTRIES} entries",
        "  entry 4: was edited after it was written (its hash does not match)",
    ]


def test_a_deleted_middle_entry_is_named_by_its_seq(trail: Paths) -> None:
    tamper(trail, "DELETE FROM audit_log WHERE seq = 3")

    result = invoke("audit", "verify")

    assert result.exit_code == 1
    assert "  entry 3: is missing: it was deleted" in result.stdout.splitlines()


def test_a_deleted_last_entry_is_named_as_removed_from_the_end(trail: Paths) -> None:
    tamper(trail, f"DELETE FROM audit_log WHERE seq = {ENTRIES}")

    result = invoke("audit", "verify")

    assert result.exit_code == 1
    assert f"  entry {ENTRIES}: is missing: it was removed from the end of the log" in result.stdout.splitlines()


def test_verify_json_lists_the_problems_and_still_exits_1(trail: Paths) -> None:
    tamper(trail, "DELETE FROM audit_log WHERE seq = 2")
    tamper(trail, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 5")

    result = invoke("audit", "verify", "--json")

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["entries"] == ENTRIES - 1
    assert [(problem["seq"], problem["reason"]) for problem in report["problems"]] == [
        (2, "is missing: it was deleted"),
        (5, "was edited after it was written (its hash does not match)"),
    ]


def test_verify_json_of_an_intact_trail(trail: Paths) -> None:
    result = invoke("audit", "verify", "--json")

    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"ok": True, "entries": ENTRIES, "problems": []}


def test_an_empty_trail_verifies(paths: Paths) -> None:
    assert invoke("init").exit_code == 0

    result = invoke("audit", "verify")

    assert result.exit_code == 0
    assert result.stdout == "audit trail intact: 0 entries\n"


@pytest.mark.parametrize("command", [["audit", "verify"], ["audit", "export"]], ids=["verify", "export"])
def test_before_init_the_commands_say_to_run_init_and_create_nothing(paths: Paths, command: list[str]) -> None:
    result = robustapp(*command)

    assert result.returncode == 1
    assert result.stderr.startswith("AppError: there is no database at ")
    assert "run `robustapp init`" in result.stderr
    assert "Traceback" not in result.stderr
    assert not paths.db_path.exists()


def test_verify_does_not_migrate_an_older_database(paths: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    older = next(m.version for m in MIGRATIONS if m.name == "m004_ui_state")
    with monkeypatch.context() as patch:
        patch.setattr(migrations_module, "MIGRATIONS", MIGRATIONS[:older])
        with Database(paths.db_path) as db:
            migrate(db)

    result = invoke("audit", "verify")

    assert isinstance(result.exception, StorageError)
    assert "run `robustapp db migrate`" in str(result.exception)
    with Database(paths.db_path) as db:
        assert schema_version(db) == older


def test_verify_never_mistakes_changes_committed_meanwhile_for_a_cut_log(paths: Paths) -> None:
    """Entries and the recorded end are read in one snapshot, so a concurrent save cannot split them."""
    with Database(paths.db_path) as db:
        migrate(db)
        state, done, reports = StateService(db), threading.Event(), []

        def keep_saving() -> None:
            try:
                for value in range(150):
                    state.save(ADA, [Change("demo", "count", value)], trace_id=f"t{value}")
            finally:
                done.set()

        writer = threading.Thread(target=keep_saving)
        writer.start()
        while not done.is_set():
            reports.append(audit.verify(db))
        writer.join()
        reports.append(audit.verify(db))

    assert [report.problems for report in reports if not report.ok] == []
    assert reports[-1].entries == 150


# -- export, with the app stopped ---------------------------------------------------------


def test_csv_export_holds_exactly_the_entries(trail: Paths) -> None:
    result = invoke("audit", "export", "--format", "csv")

    assert result.exit_code == 0, result.output
    assert from_csv(result.stdout) == logged(trail)
    assert result.stdout.splitlines()[0] == ",".join(FIELDS)


def test_json_export_holds_exactly_the_entries(trail: Paths) -> None:
    result = invoke("audit", "export", "--format", "json")

    assert result.exit_code == 0, result.output
    assert from_json(result.stdout) == logged(trail)


def test_an_export_keeps_values_as_the_json_text_the_hashes_cover(trail: Paths) -> None:
    exported = from_json(invoke("audit", "export", "-f", "json", "--actor", "bob").stdout)

    assert [row["new_value"] for row in exported] == ['["fast","ünïcode"]']
    assert exported[0]["old_value"] is None


@pytest.mark.parametrize(("args", "seqs"), EXPORT_FILTERS, ids=lambda value: " ".join(map(str, value)) or "all")
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_filters(trail: Paths, fmt: str, args: list[str], seqs: list[int]) -> None:
    result = invoke("audit", "export", "--format", fmt, *with_days(args))

    assert result.exit_code == 0, result.output
    rows = from_csv(result.stdout) if fmt == "csv" else from_json(result.stdout)
    assert [row["seq"] for row in rows] == seqs
    assert rows == [row for row in logged(trail) if row["seq"] in seqs]


def test_export_to_a_file_replaces_it_whole_and_leaves_nothing_else(trail: Paths, tmp_path: Path) -> None:
    target = tmp_path / "exports" / "audit.json"
    target.parent.mkdir()
    target.write_text("an older export", encoding="utf-8")

    result = invoke("audit", "export", "--format", "json", "--output", str(target))

    assert result.exit_code == 0, result.output
    assert result.stdout == f"exported {ENTRIES} entries to {target}\n"
    assert from_json(target.read_text(encoding="utf-8")) == logged(trail)
    assert [path.name for path in target.parent.iterdir()] == ["audit.json"]


@pytest.fixture
def local_time_in_new_york() -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def test_export_days_are_local_days(local_time_in_new_york: None) -> None:
    winter, summer = date(2026, 1, 15), date(2026, 7, 15)

    assert audit.utc_range(winter, summer) == (datetime(2026, 1, 15, 5, 0), datetime(2026, 7, 16, 4, 0))
    assert audit.utc_range(None, None) == (None, None)


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--format", "xml"], "'--format'"),
        (["--since", "2026-13-01"], "'--since'"),
        (["--until", "yesterday"], "'--until'"),
        (["--since", "2026-02-01", "--until", "2026-01-31"], "2026-01-31 is before --since 2026-02-01"),
        (["--output", "no-such-folder/audit.csv"], "the folder no-such-folder does not exist"),
    ],
    ids=["format", "since", "until", "range", "output"],
)
def test_bad_export_values_are_usage_errors(trail: Paths, args: list[str], complaint: str) -> None:
    result = invoke("audit", "export", *args)

    assert result.exit_code == 2
    assert complaint in result.stderr
    assert result.stdout == ""


# -- through a running app ----------------------------------------------------------------


def _get(server: HeadlessApp, path: str) -> tuple[int, Any]:
    response = server.api("GET", path)
    return response.status_code, response.json()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeadlessApp]:
    home = tmp_path_factory.mktemp("audit-home")
    write_changes(Paths.for_home(home).db_path)
    running = HeadlessApp(home)
    try:
        yield running

        assert running.stop() == 0
        with Database(running.paths.db_path) as db:  # released, and the trail is still whole
            assert audit.verify(db) == audit.VerifyReport(ENTRIES, [])
    finally:
        running.close()


@pytest.fixture
def at_server(server: HeadlessApp, monkeypatch: pytest.MonkeyPatch) -> HeadlessApp:
    """Point this test's commands at the running server's data home."""
    monkeypatch.setenv("ROBUSTAPP_HOME", str(server.home))
    return server


def test_verify_goes_through_the_running_app(at_server: HeadlessApp) -> None:
    result = invoke("audit", "verify")

    assert result.exit_code == 0, result.output
    assert result.stdout == f"audit trail intact: {ENTRIES} entries\n"
    assert not DUCKDB_LOCK_ERROR.search(result.output)


def test_verify_json_comes_from_the_control_api(at_server: HeadlessApp) -> None:
    assert _get(at_server, "/api/audit/verify") == (200, {"ok": True, "entries": ENTRIES, "problems": []})

    result = invoke("audit", "verify", "--json")

    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"ok": True, "entries": ENTRIES, "problems": []}


@pytest.mark.parametrize(("args", "seqs"), EXPORT_FILTERS, ids=lambda value: " ".join(map(str, value)) or "all")
def test_export_goes_through_the_running_app(at_server: HeadlessApp, args: list[str], seqs: list[int]) -> None:
    result = invoke("audit", "export", "--format", "json", *with_days(args))

    assert result.exit_code == 0, result.output
    assert [row["seq"] for row in from_json(result.stdout)] == seqs
    assert not DUCKDB_LOCK_ERROR.search(result.output)


def test_csv_export_to_a_file_through_the_running_app(at_server: HeadlessApp, tmp_path: Path) -> None:
    target = tmp_path / "audit.csv"

    result = invoke("audit", "export", "--output", str(target), "--key", "name")

    assert result.exit_code == 0, result.output
    assert result.stdout == f"exported 2 entries to {target}\n"
    status, body = _get(at_server, "/api/audit/export?format=csv&key=name")
    assert status == 200
    assert body["entries"] == 2
    assert target.read_text(encoding="utf-8") == body["text"]
    assert [row["seq"] for row in from_csv(body["text"])] == [1, 4]


@pytest.mark.parametrize(
    ("query", "complaint"),
    [("format=xml", "format='xml'"), ("since=last-week", "since='last-week'"), ("until=2026-02-30", "until=")],
    ids=["format", "since", "until"],
)
def test_the_control_api_refuses_a_bad_export_request(server: HeadlessApp, query: str, complaint: str) -> None:
    status, body = _get(server, f"/api/audit/export?{query}")

    assert status == 400
    assert complaint in body["error"]
