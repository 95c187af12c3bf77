"""Importing files into a real DuckDB file, and the dataset catalog: round trips, one transaction, tags, undo."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from robustapp.domain.datasets import UNDO_WINDOW, DatasetInfo, ImportOptions
from robustapp.errors import DatasetNameTaken, DatasetNotFound, ImportCancelled, ImportFailed
from robustapp.services import datasets
from robustapp.storage import Database, migrate
from tests.corpus import BAD
from tests.integration import import_files


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with Database(tmp_path / "data.duckdb") as database:
        migrate(database)
        yield database


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    return folder


@pytest.fixture(scope="module")
def million_rows(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return import_files.million_rows_csv(tmp_path_factory.mktemp("big"))


def rows(db: Database, info: DatasetInfo, order: str = "1") -> list[tuple]:
    return db.query(f'SELECT * FROM "{info.table_name}" ORDER BY {order}')


def types(info: DatasetInfo) -> dict[str, str]:
    return {column.name: column.type for column in info.columns}


def user_tables(db: Database) -> set[str]:
    return {row[0] for row in db.query("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'ds_%'")}


def nothing_left(db: Database) -> bool:
    return not user_tables(db) and db.query("SELECT count(*) FROM datasets") == [(0,)]


class Stop(BaseException):
    """What a cancelled job's progress callback raises (like robustapp.jobs' JobCancelled)."""


# -- round trips -----------------------------------------------------------------------------------


def test_a_csv_round_trips_with_types_and_unicode(db: Database, files: Path) -> None:
    info = datasets.import_file(db, import_files.people_csv(files))

    assert info.name == "people"
    assert info.row_count == 3
    assert types(info) == {"id": "BIGINT", "name": "VARCHAR", "city": "VARCHAR", "score": "DOUBLE", "joined": "DATE"}
    assert rows(db, info) == [
        (1, "Zoë", "Zürich", 9.5, date(2024, 1, 2)),
        (2, "Ōsaka Bob", "東京", 7.25, date(2024, 2, 3)),
        (3, "Smith, Ann", "Paris", 8.0, date(2024, 3, 4)),
    ]
    assert info.size_bytes > 0
    assert info.source_format == "csv"
    assert datasets.list_datasets(db) == [info.model_copy(update={"rejected": []})]


def test_a_column_type_can_be_overridden(db: Database, files: Path) -> None:
    info = datasets.import_file(
        db, import_files.people_csv(files), ImportOptions(types={"id": "VARCHAR", "score": "DECIMAL(6,2)"})
    )

    assert types(info)["id"] == "VARCHAR"
    assert types(info)["score"] == "DECIMAL(6,2)"
    assert rows(db, info)[0][0] == "1"


def test_a_tsv_without_header_and_a_semicolon_csv(db: Database, files: Path) -> None:
    tsv = import_files.write(files / "plain.tsv", "1\tapple\n2\tpear\n")
    semicolons = import_files.write(files / "euro.csv", "land;wert\nÖsterreich;1,5\nDänemark;2\n")

    no_header = datasets.import_file(db, tsv, ImportOptions(header=False))
    euro = datasets.import_file(db, semicolons)

    assert [c.name for c in no_header.columns] == ["column0", "column1"]
    assert rows(db, no_header) == [(1, "apple"), (2, "pear")]
    assert rows(db, euro) == [("Dänemark", "2"), ("Österreich", "1,5")]


def test_utf8_with_a_bom_and_latin1_and_cp1252(db: Database, files: Path) -> None:
    bom = datasets.import_file(db, import_files.bom_utf8(files))
    latin = datasets.import_file(db, BAD / "latin1.csv", ImportOptions(encoding="latin-1"))
    windows = import_files.write(files / "windows.csv", "id,price\n1,5 €\n", encoding="cp1252")
    cp1252 = datasets.import_file(db, windows, ImportOptions(encoding="cp1252"))

    assert [c.name for c in bom.columns] == ["name", "value"]
    assert rows(db, bom) == [("José", 1)]
    assert rows(db, latin) == [(1, "café"), (2, "Müller")]
    assert rows(db, cp1252) == [(1, "5 €")]
    assert cp1252.source_options.encoding == "cp1252"  # a re-import transcodes again


def test_parquet_round_trips(db: Database, files: Path) -> None:
    info = datasets.import_file(db, import_files.parquet(files, 1000), name="Numbers")

    assert info.row_count == 1000
    assert types(info) == {"id": "BIGINT", "label": "VARCHAR", "quarter": "DOUBLE", "day": "DATE"}
    assert rows(db, info)[999] == (999, "name 999", 249.75, date(2026, 9, 26))


def test_json_and_ndjson_round_trip(db: Database, files: Path) -> None:
    array = datasets.import_file(db, import_files.json_array(files))
    lines = datasets.import_file(db, import_files.ndjson(files))

    assert types(array) == {"id": "BIGINT", "name": "VARCHAR", "tags": "VARCHAR[]"}
    assert rows(db, array) == [(1, "Zoë", ["a", "b"]), (2, "東京", [])]
    assert lines.source_format == "ndjson"
    assert rows(db, lines) == [(1, "click"), (2, "view"), (3, "clíck")]


def test_an_xlsx_sheet_round_trips_by_name_or_number(db: Database, files: Path) -> None:
    book = import_files.xlsx(files)

    first = datasets.import_file(db, book)
    other = datasets.import_file(db, book, ImportOptions(sheet="Other"), name="other")
    by_number = datasets.import_file(db, book, ImportOptions(sheet=1), name="other again")

    assert types(first) == {"id": "BIGINT", "customer": "VARCHAR", "amount": "DOUBLE", "day": "TIMESTAMP"}
    assert rows(db, first)[0] == (1, "Zoë 1", 1.5, datetime(2024, 1, 1))
    assert [c.name for c in other.columns] == ["a", "a_1", "column2", "b"]
    assert other.import_notes == [
        "column 2 repeats the name 'a': renamed 'a_1'",
        "column 3 has no name in the file: named 'column2'",
    ]
    assert rows(db, by_number) == rows(db, other) == [(1, 2, 3, 4)]


def test_duckdb_reads_json_and_parquet_without_loading_or_downloading_an_extension(tmp_path: Path) -> None:
    offline = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    with duckdb.connect(str(tmp_path / "fresh.duckdb"), config=offline) as connection:
        modes = dict(
            connection.execute(
                "SELECT extension_name, install_mode FROM duckdb_extensions() "
                "WHERE extension_name IN ('json', 'parquet')"
            ).fetchall()
        )
    assert modes == {"json": "STATICALLY_LINKED", "parquet": "STATICALLY_LINKED"}


def test_a_million_row_csv_imports_in_reasonable_time(db: Database, million_rows: Path) -> None:
    started = time.perf_counter()
    info = datasets.import_file(db, million_rows)
    seconds = time.perf_counter() - started

    print(f"\n1,000,000-row CSV ({million_rows.stat().st_size / 2**20:.0f} MB): {seconds:.2f} s, "
          f"{1_000_000 / seconds / 1e6:.2f} M rows/s")  # fmt: skip
    assert info.row_count == 1_000_000
    assert types(info) == {"id": "BIGINT", "name": "VARCHAR", "value": "DOUBLE", "day": "DATE"}


def test_progress_goes_from_zero_to_one(db: Database, files: Path) -> None:
    reports: list[tuple[float, str]] = []

    datasets.import_file(db, import_files.people_csv(files), progress=lambda f, m: reports.append((f, m)))

    assert reports[0] == (0.0, "checking people.csv")
    assert reports[-1] == (1.0, "imported 3 rows into 'people'")
    assert [f for f, _ in reports] == sorted(f for f, _ in reports)


# -- one transaction -------------------------------------------------------------------------------


def test_an_import_commits_the_dataset_and_table_tags(db: Database, files: Path) -> None:
    commits: list[frozenset[str]] = []
    db.on_commit(commits.append)

    info = datasets.import_file(db, import_files.people_csv(files))

    assert commits == [frozenset({"dataset:people", f"table:{info.table_name}"})]


@pytest.mark.parametrize("stage", ["reading", "saving"])
def test_a_cancel_through_progress_leaves_nothing_behind(db: Database, files: Path, stage: str) -> None:
    def progress(fraction: float, message: str) -> None:
        if message.startswith(stage):
            raise Stop

    with pytest.raises(Stop):
        datasets.import_file(db, import_files.people_csv(files), progress=progress)

    assert nothing_left(db)


def test_interrupting_the_cursor_cancels_a_running_import(db: Database, files: Path, million_rows: Path) -> None:
    cursor = db.cursor()

    def progress(fraction: float, message: str) -> None:
        if message.startswith("reading") and fraction > 0.05:  # DuckDB is reading: stop it from outside
            threading.Thread(target=cursor.interrupt).start()

    with pytest.raises(ImportCancelled, match="the import of million.csv was cancelled; nothing was written"):
        datasets.import_file(db, million_rows, progress=progress, cursor=cursor)

    assert nothing_left(db)
    assert datasets.import_file(db, import_files.people_csv(files), cursor=cursor).row_count == 3  # the cursor works on


def test_a_cursor_of_another_thread_is_refused(db: Database, files: Path) -> None:
    with pytest.raises(ValueError, match="this thread's db.cursor"):
        datasets.import_file(db, import_files.people_csv(files), cursor=db._conn.cursor())


def test_the_other_writers_go_on_after_a_failed_import(db: Database, files: Path) -> None:
    with pytest.raises(ImportFailed):
        datasets.import_file(db, BAD / "ragged.csv")

    db.write(lambda cursor: cursor.execute("INSERT INTO app_meta (key, value) VALUES ('after', 'ok')"))
    assert db.query_one("SELECT value FROM app_meta WHERE key = 'after'") == ("ok",)
    assert datasets.import_file(db, import_files.people_csv(files)).row_count == 3


# -- names -----------------------------------------------------------------------------------------


def test_a_taken_name_is_refused_case_insensitively_and_nothing_changes(db: Database, files: Path) -> None:
    first = datasets.import_file(db, import_files.people_csv(files), name="Sales")

    with pytest.raises(DatasetNameTaken, match="a dataset named 'Sales' already exists"):
        datasets.import_file(db, import_files.parquet(files), name="  SALES ")

    assert [info.id for info in datasets.list_datasets(db)] == [first.id]
    assert user_tables(db) == {first.table_name}


def test_replace_swaps_the_data_and_keeps_the_notes(db: Database, files: Path) -> None:
    first = datasets.import_file(db, import_files.people_csv(files), name="sales")
    datasets.set_notes(db, "sales", "from the Q1 export")

    second = datasets.import_file(db, import_files.parquet(files), name="Sales", replace=True)

    assert second.row_count == 1000
    assert second.notes == "from the Q1 export"
    assert user_tables(db) == {second.table_name}
    assert [info.name for info in datasets.list_datasets(db)] == ["Sales"]
    assert first.table_name != second.table_name


def test_a_name_with_sql_in_it_is_just_a_name(db: Database, files: Path) -> None:
    name = 'x"; DROP TABLE datasets; --'

    info = datasets.import_file(db, import_files.people_csv(files), name=name)
    renamed = datasets.rename_dataset(db, name, "Robert'); DROP TABLE app_meta;--")

    assert info.table_name.startswith("ds_") and '"' not in info.table_name
    assert datasets.get_dataset(db, "Robert'); DROP TABLE app_meta;--").row_count == 3
    assert renamed.table_name == info.table_name
    assert db.query_one("SELECT count(*) FROM app_meta")[0] >= 1


# -- the catalog -----------------------------------------------------------------------------------


def test_rename_and_notes_touch_the_old_and_new_names(db: Database, files: Path) -> None:
    info = datasets.import_file(db, import_files.people_csv(files))
    commits: list[frozenset[str]] = []
    db.on_commit(commits.append)

    datasets.rename_dataset(db, "PEOPLE", "staff")
    datasets.set_notes(db, "staff", "HR list")

    assert datasets.get_dataset(db, "Staff").notes == "HR list"
    assert commits[0] == {"dataset:people", "dataset:staff", f"table:{info.table_name}"}
    with pytest.raises(DatasetNotFound, match="there is no dataset named 'people'"):
        datasets.get_dataset(db, "people")


def test_rename_to_a_taken_name_is_refused(db: Database, files: Path) -> None:
    datasets.import_file(db, import_files.people_csv(files))
    datasets.import_file(db, import_files.parquet(files))

    with pytest.raises(DatasetNameTaken, match="a dataset named 'numbers' exists"):
        datasets.rename_dataset(db, "people", "Numbers")
    datasets.rename_dataset(db, "people", "People")  # only the case changes: its own name


def test_an_unknown_name_suggests_close_ones(db: Database, files: Path) -> None:
    datasets.import_file(db, import_files.people_csv(files))

    with pytest.raises(DatasetNotFound, match="did you mean 'people'"):
        datasets.delete_dataset(db, "peple")


def test_delete_can_be_undone_within_the_window_then_is_purged(db: Database, files: Path) -> None:
    info = datasets.import_file(db, import_files.people_csv(files))
    deleted_at = datetime.now(UTC)

    datasets.delete_dataset(db, "people", now=deleted_at)
    assert datasets.list_datasets(db) == []
    restored = datasets.restore_dataset(db, "people", now=deleted_at + UNDO_WINDOW - timedelta(seconds=1))
    assert restored.deleted_at is None
    assert rows(db, datasets.get_dataset(db, "people"))[0][1] == "Zoë"

    datasets.delete_dataset(db, "people", now=deleted_at)
    with pytest.raises(DatasetNotFound, match="deleted more than 10 minutes ago"):
        datasets.restore_dataset(db, "people", now=deleted_at + UNDO_WINDOW)
    assert info.table_name in user_tables(db)  # kept until the purge
    purged = datasets.purge_deleted(db, now=deleted_at + UNDO_WINDOW)

    assert [p.name for p in purged] == ["people"]
    assert nothing_left(db)


def test_restore_refuses_when_the_name_was_taken_meanwhile(db: Database, files: Path) -> None:
    datasets.import_file(db, import_files.people_csv(files))
    datasets.delete_dataset(db, "people")
    datasets.import_file(db, import_files.parquet(files), name="people")

    with pytest.raises(DatasetNameTaken, match="another dataset has that name now"):
        datasets.restore_dataset(db, "people")


def test_reimport_reads_the_source_again_with_its_options(db: Database, files: Path) -> None:
    source = Path(shutil.copy(BAD / "latin1.csv", files))  # rewritten below
    first = datasets.import_file(db, source, ImportOptions(encoding="latin-1"), name="clients")
    datasets.set_notes(db, "clients", "keep me")
    import_files.write(source, "id,name\n1,café\n2,Müller\n3,Łódź?\n".replace("Łódź?", "Ærø"), encoding="latin-1")

    again = datasets.reimport_dataset(db, "clients")

    assert (again.id, again.name, again.notes, again.row_count) == (first.id, "clients", "keep me", 3)
    assert rows(db, again)[2] == (3, "Ærø")
    assert user_tables(db) == {again.table_name}


def test_a_failed_reimport_leaves_the_dataset_as_it_was(db: Database, files: Path) -> None:
    source = import_files.people_csv(files)
    first = datasets.import_file(db, source)
    source.unlink()

    with pytest.raises(ImportFailed, match="people.csv does not exist"):
        datasets.reimport_dataset(db, "people")

    assert datasets.get_dataset(db, "people").table_name == first.table_name
    assert len(rows(db, first)) == 3


# -- an import does not hold up the app's other writes ------------------------------------------


def _csv(files: Path, name: str, rows: int = 3) -> Path:
    path = files / name
    path.write_text("id,label\n" + "".join(f"{i},row {i}\n" for i in range(rows)), encoding="utf-8")
    return path


def test_the_apps_other_writes_commit_while_an_import_reads_its_file(db: Database, files: Path) -> None:
    db.write(lambda cursor: cursor.execute("CREATE TABLE saved_inputs (v INTEGER)"))
    saved_while_reading: list[bool] = []

    def progress(fraction: float, message: str) -> None:
        if message.startswith("reading") and not saved_while_reading:  # inside the import's transaction
            writer = threading.Thread(target=lambda: db.write(lambda c: c.execute("INSERT INTO saved_inputs VALUES (1)")))
            writer.start()
            writer.join(timeout=10)
            saved_while_reading.append(not writer.is_alive())

    info = datasets.import_file(db, _csv(files, "slow.csv"), progress=progress)

    assert saved_while_reading == [True]
    assert db.query("SELECT count(*) FROM saved_inputs") == [(1,)]
    assert info.row_count == 3


def test_two_imports_racing_for_one_name_leave_one_dataset_and_a_clear_refusal(db: Database, files: Path) -> None:
    first, second = _csv(files, "first.csv", rows=2), _csv(files, "second.csv", rows=5)
    other: list[DatasetInfo] = []

    def progress(fraction: float, message: str) -> None:
        if message.startswith("reading") and not other:  # the second import runs and commits meanwhile
            runner = threading.Thread(target=lambda: other.append(datasets.import_file(db, second, name="sales")))
            runner.start()
            runner.join(timeout=30)

    with pytest.raises(DatasetNameTaken, match="'sales' already exists"):
        datasets.import_file(db, first, name="sales", progress=progress)

    assert [(d.name, d.row_count) for d in datasets.list_datasets(db)] == [("sales", 5)]
    assert user_tables(db) == {other[0].table_name}
