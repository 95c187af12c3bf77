"""`robustapp data …` while no app runs: the command opens the database file itself.

(tests/integration/test_cli_running.py runs the same commands through a running app's control API.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from robustapp import cli
from robustapp.config import Paths
from robustapp.errors import DatasetNameTaken, DatasetNotFound, ImportFailed
from robustapp.storage import Database
from tests.corpus import BAD
from tests.integration import import_files
from tests.integration.helpers import robustapp


def invoke(*args: str):
    return CliRunner().invoke(cli.app, list(args))


@pytest.fixture
def paths(app_home: Path) -> Paths:
    return Paths.for_home(app_home)


def test_import_list_rename_delete_restore(paths: Paths, tmp_path: Path) -> None:
    people = import_files.people_csv(tmp_path)

    imported = invoke("data", "import", str(people), "--name", "Staff", "--type", "id=VARCHAR")
    listed = invoke("data", "list")
    renamed = invoke("data", "rename", "staff", "Team")
    deleted = invoke("data", "delete", "team")
    empty = invoke("data", "list")
    restored = invoke("data", "restore", "Team")

    assert imported.exit_code == 0, imported.output
    assert imported.stdout.startswith("imported 'Staff': 3 rows, 5 columns (table ds_")
    assert listed.stdout.startswith("Staff\t3 rows\t5 columns\t0.0 MB\t")
    assert listed.stdout.rstrip().endswith(str(people))
    assert renamed.stdout == "renamed 'staff' to 'Team'\n"
    assert deleted.stdout == "deleted 'Team'; undo with `robustapp data restore 'Team'` within 10 minutes\n"
    assert empty.stdout == "no datasets yet: import one with `robustapp data import PATH`\n"
    assert restored.stdout == "restored 'Team' (3 rows)\n"
    with Database(paths.db_path) as db:
        assert db.query_one("SELECT name, row_count FROM datasets WHERE deleted_at IS NULL") == ("Team", 3)


def test_import_and_list_as_json(paths: Paths, tmp_path: Path) -> None:
    book = import_files.xlsx(tmp_path)

    info = json.loads(invoke("data", "import", str(book), "--sheet", "Other", "--json").stdout)
    listed = json.loads(invoke("data", "list", "--json").stdout)

    assert info["name"] == "book"
    assert [c["name"] for c in info["columns"]] == ["a", "a_1", "column2", "b"]
    assert (info["source_options"]["format"], info["source_options"]["sheet"]) == ("xlsx", "Other")
    assert [d["name"] for d in listed] == ["book"]


def test_csv_options_reach_the_reader(paths: Paths, tmp_path: Path) -> None:
    path = import_files.write(tmp_path / "plain.txt", "1;Zoë\n2;Ann\n3\n", encoding="latin-1")

    result = invoke(
        "data", "import", str(path), "--delimiter", "semicolon", "--no-header", "--encoding", "latin-1",
        "--skip-bad-rows", "--json",
    )  # fmt: skip

    info = json.loads(result.stdout)
    assert (info["row_count"], info["skipped_rows"]) == (2, 1)
    assert info["rejected"][0]["line"] == 3
    with Database(paths.db_path) as db:
        assert db.query(f'SELECT * FROM "{info["table_name"]}" ORDER BY 1') == [(1, "Zoë"), (2, "Ann")]


def test_a_failed_import_raises_the_error_the_cli_prints(paths: Paths, tmp_path: Path) -> None:
    result = invoke("data", "import", str(BAD / "ragged.csv"))

    assert isinstance(result.exception, ImportFailed)
    assert "line 3, column 'c'" in str(result.exception)


def test_a_taken_name_and_an_unknown_dataset(paths: Paths, tmp_path: Path) -> None:
    people = import_files.people_csv(tmp_path)
    assert invoke("data", "import", str(people)).exit_code == 0

    again = invoke("data", "import", str(people))
    missing = invoke("data", "delete", "nobody")
    replaced = invoke("data", "import", str(people), "--replace")

    assert isinstance(again.exception, DatasetNameTaken)
    assert isinstance(missing.exception, DatasetNotFound)
    assert replaced.exit_code == 0


@pytest.mark.parametrize(
    ("args", "problem"),
    [(["--type", "id"], "expected COLUMN=TYPE"), (["--delimiter", ";;"], "expected one character"),
     (["--encoding", "klingon"], "is not known")],
)  # fmt: skip
def test_bad_options_are_usage_errors(paths: Paths, tmp_path: Path, args: list[str], problem: str) -> None:
    result = invoke("data", "import", str(import_files.people_csv(tmp_path)), *args)

    assert result.exit_code == 2
    assert problem in result.output


def test_the_exit_code_and_message_of_a_bad_file(paths: Paths, tmp_path: Path) -> None:
    result = robustapp("data", "import", str(BAD / "photo.csv"))

    assert result.returncode == 1
    assert result.stderr.strip().endswith("ImportFailed: photo.csv is binary data, not a CSV/TSV text file")
    assert "Traceback" not in result.stderr
