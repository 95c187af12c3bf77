"""Bad paths, options and names, and bad files read with options: each gets a clear message naming the
problem, and nothing is half-written. (The bad files themselves: tests/corpus/bad, test_bad_input_corpus.py.)

Every refusal ends with `nothing_written` (no table, no catalog row), and the database takes the next
import as if nothing had happened.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from robustapp.domain.datasets import ImportOptions
from robustapp.errors import DatasetError, DatasetNameInvalid, ImportFailed, ImportOptionsError
from robustapp.services import datasets
from robustapp.storage import Database, migrate, readers
from tests.corpus import BAD
from tests.integration import import_files


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with Database(tmp_path / "data.duckdb") as database:
        migrate(database)
        yield database
        # whatever a test did, the app keeps working: the next import succeeds
        assert datasets.import_file(database, import_files.people_csv(tmp_path), name="afterwards").row_count == 3


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    return folder


def nothing_written(db: Database) -> bool:
    tables = db.query("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'ds_%' OR temporary")
    return tables == [] and db.query("SELECT count(*) FROM datasets") == [(0,)]


def refused(
    db: Database, path: Path, error: type[DatasetError] = ImportFailed, options: ImportOptions | None = None, **kwargs
) -> str:
    with pytest.raises(error) as caught:
        datasets.import_file(db, path, options, **kwargs)
    assert nothing_written(db)
    return str(caught.value)


# -- paths that are not a file to read ------------------------------------------------------------


def test_a_missing_file(db: Database, files: Path) -> None:
    assert refused(db, files / "nope.csv") == f"{files / 'nope.csv'} does not exist"


def test_a_folder_instead_of_a_file(db: Database, files: Path) -> None:
    assert refused(db, files) == f"{files} is a folder, not a file: choose a file inside it"


def test_a_file_that_disappears_mid_import(db: Database, files: Path) -> None:
    path = import_files.people_csv(files)

    def delete_it(fraction: float, message: str) -> None:
        if message.startswith("reading"):  # checked and sniffed; DuckDB is about to read it
            path.unlink(missing_ok=True)

    message = refused(db, path, progress=delete_it)

    assert message.startswith(f"{path} disappeared while it was read")


# -- malformed rows, read with options ------------------------------------------------------------


def test_ragged_rows_can_be_skipped_and_are_reported(db: Database) -> None:
    info = datasets.import_file(db, BAD / "ragged.csv", ImportOptions(skip_bad_rows=True))

    assert db.query(f'SELECT * FROM "{info.table_name}" ORDER BY a') == [(1, 2, 3), (10, 11, 12)]
    assert info.skipped_rows == 2
    assert [(row.line, row.text) for row in info.rejected] == [(3, "4,5"), (4, "6,7,8,9")]
    assert info.import_notes[0].startswith("skipped 2 malformed rows: line 3")
    assert datasets.get_dataset(db, "ragged").skipped_rows == 2  # kept in the catalog


def test_a_file_bigger_than_the_memory_cap_still_lists_its_skipped_rows_and_the_cap_stays(tmp_path: Path) -> None:
    """Listing malformed rows reads the file again with a buffer as big as the file (up to 1 GiB): the
    database's memory cap makes room for that read only."""
    big = tmp_path / "big.csv"
    with open(big, "w", encoding="utf-8") as out:  # ~300 MB: more than the 256 MB cap
        out.write("a,b,c\n")
        out.writelines("1,2,3\n" * 1000 for _ in range(52_000))
        out.write("4,5\n")
    with Database(tmp_path / "small.duckdb", memory_mb=256) as small:
        migrate(small)
        info = datasets.import_file(small, big, ImportOptions(skip_bad_rows=True))
        cap = small.query("SELECT current_setting('memory_limit')")[0][0]

    assert (info.row_count, info.skipped_rows) == (52_000_000, 1)
    assert [(row.line, row.text) for row in info.rejected] == [(52_000_002, "4,5")]
    assert cap == "244.1 MiB"  # 256 MB, as before the import


def test_the_same_bytes_read_as_latin1_import(db: Database) -> None:
    info = datasets.import_file(db, BAD / "latin1.csv", ImportOptions(encoding="latin-1"))

    assert db.query(f'SELECT name FROM "{info.table_name}" ORDER BY id') == [("café",), ("Müller",)]


def test_a_value_that_does_not_fit_an_overridden_type_is_a_malformed_row(db: Database, files: Path) -> None:
    message = refused(db, import_files.people_csv(files), options=ImportOptions(types={"city": "INTEGER"}))

    assert message.startswith("people.csv: 3 malformed rows: line 2, column 'city': Error when converting column")
    assert "Could not convert string \"Zürich\" to 'INTEGER'" in message


@pytest.mark.parametrize(
    ("types", "problem"),
    [({"nope": "INTEGER"}, "no column 'nope'"), ({"id": "INTEGR"}, "Type with name INTEGR does not exist")],
)
def test_a_type_override_for_a_missing_column_or_an_unknown_type(
    db: Database, files: Path, types: dict, problem: str
) -> None:
    for path in (import_files.people_csv(files), import_files.parquet(files)):
        assert problem in refused(db, path, ImportOptionsError, ImportOptions(types=types))


# -- workbooks ---------------------------------------------------------------------------------------


def test_a_sheet_that_is_not_there(db: Database, files: Path) -> None:
    book = import_files.xlsx(files)

    assert refused(db, book, ImportOptionsError, ImportOptions(sheet="Costs")) == (
        "book.xlsx has no sheet 'Costs'; its sheets: 'Sales', 'Other'"
    )
    assert "there is no sheet number 5" in refused(db, book, ImportOptionsError, ImportOptions(sheet=5))


# -- long lines: read with a 16 MB limit when none is longer (memory, speed), else with 64 MB ------------

LONG = readers.USUAL_LINE_BYTES + 2**20  # past the usual limit, within MAX_LINE_BYTES


def _lengths(db: Database, table: str) -> list[tuple[int, int]]:
    return db.query(f'SELECT id, length(body) FROM "{table}" ORDER BY id')


def test_a_line_past_the_usual_limit_arrives_whole(db: Database, files: Path) -> None:
    path = import_files.write(files / "long.csv", "id,body\n1,short\n2," + "x" * LONG + "\n3,short\n")

    info = datasets.import_file(db, path)

    assert _lengths(db, info.table_name) == [(1, 5), (2, LONG), (3, 5)]


@pytest.mark.parametrize("rows_before", [0, 400_000], ids=["in the sniffed part", "past the first buffer"])
def test_a_quoted_record_past_the_usual_limit_arrives_whole(db: Database, files: Path, rows_before: int) -> None:
    body = ("y" * (2**20 - 1) + "\n") * (LONG // 2**20)  # its line breaks hide it from a look at the file
    rows = "".join(f"{i + 10},{'z' * 90}\n" for i in range(rows_before))  # ~40 MB: DuckDB's reader finds it
    path = import_files.write(files / "long.csv", f'id,body\n1,short\n{rows}2,"{body}"\n3,short\n')

    info = datasets.import_file(db, path)

    assert info.row_count == 3 + rows_before
    assert _lengths(db, info.table_name)[:3] == [(1, 5), (2, len(body)), (3, 5)]


# -- names --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "   ", "n" * 101])
def test_an_unusable_dataset_name(db: Database, files: Path, name: str) -> None:
    refused(db, import_files.people_csv(files), DatasetNameInvalid, name=name)


def test_a_file_name_with_glob_characters_is_read_literally(db: Database, files: Path) -> None:
    import_files.write(files / "a1.csv", "x\n1\n")
    import_files.write(files / "a[1].csv", "x\n2\n")

    info = datasets.import_file(db, files / "a[1].csv")

    assert db.query(f'SELECT x FROM "{info.table_name}"') == [(2,)]
