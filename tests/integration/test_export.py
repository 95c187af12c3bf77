"""Exports on a real DuckDB file: what is written reads back the same, Excel's row limit, nothing half-written,
and `robustapp data export` with the app stopped and through the running app."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import fastexcel
import pytest
from typer.testing import CliRunner

from robustapp import bootstrap, cli
from robustapp.bootstrap import Services
from robustapp.domain.analysis import Aggregate, AnalysisSort, AnalysisSpec
from robustapp.domain.browse import Filter
from robustapp.domain.export import ExportSource
from robustapp.domain.jobs import JobState
from robustapp.errors import ExportError, QueryRefusedError
from robustapp.services import analysis, datasets, export
from robustapp.services import sql as queries
from tests.integration.helpers import robustapp
from tests.servers import HeadlessApp, server_env

ROWS = [
    {"id": 1, "amount": 10.5, "note": 'says "hi", twice\nthen stops', "day": dt.date(2024, 1, 31),
     "seen_at": dt.datetime(2024, 1, 31, 12, 30, 5), "ok": True},
    {"id": 2, "amount": None, "note": "=HYPERLINK(\"http://x\")", "day": None, "seen_at": None, "ok": False},
    {"id": 3, "amount": -0.25, "note": "ünïcødé ✓", "day": dt.date(1999, 12, 31),
     "seen_at": dt.datetime(2000, 2, 29, 0, 0), "ok": None},
]  # fmt: skip


@pytest.fixture
def services() -> Services:
    return bootstrap.start()


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """Where the tests write (tmp_path also holds the app's home)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def dataset(services: Services, tmp_path: Path) -> str:
    source = tmp_path / "mixed.parquet"
    with duckdb.connect() as scratch:
        table = scratch.sql(
            "SELECT * FROM (VALUES (1, 10.5, 'says \"hi\", twice' || chr(10) || 'then stops', DATE '2024-01-31', "
            "TIMESTAMP '2024-01-31 12:30:05', true), (2, NULL, '=HYPERLINK(\"http://x\")', NULL, NULL, false), "
            "(3, -0.25, 'ünïcødé ✓', DATE '1999-12-31', TIMESTAMP '2000-02-29 00:00:00', NULL)) "
            "AS t(id, amount, note, day, seen_at, ok)"
        )
        table.write_parquet(str(source))
    datasets.import_file(services.db, source, name="mixed data")
    return "mixed data"


def _read_back(path: Path, fmt: str, *, by_id: bool = True) -> list[dict]:
    """The file's rows (by their id, or in the file's order)."""
    if fmt == "xlsx":
        return fastexcel.read_excel(str(path)).load_sheet(0).to_arrow().to_pylist()
    with duckdb.connect() as scratch:
        reader = "read_parquet(?)" if fmt == "parquet" else "read_csv(?, header = true)"
        order = " ORDER BY id" if by_id else ""
        return scratch.sql(f"SELECT * FROM {reader}{order}", params=[str(path)]).to_arrow_table().to_pylist()


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_a_dataset_exported_reads_back_with_the_same_rows_and_values(
    services: Services, dataset: str, out: Path, fmt: str
) -> None:
    target = out / f"out.{fmt}"

    written = export.export(services.db.cursor(), ExportSource.dataset(dataset), target, fmt)

    assert (written.rows, written.file_name, written.bytes) == (3, f"mixed data.{fmt}", target.stat().st_size)
    back = _read_back(target, fmt)
    assert [row["note"] for row in back] == [row["note"] for row in ROWS]  # quotes, newline, a formula stay text
    assert [row["amount"] for row in back] == [row["amount"] for row in ROWS]
    assert [float(row["id"]) for row in back] == [1.0, 2.0, 3.0]
    assert [row["ok"] for row in back] == [True, False, None]
    if fmt != "xlsx":
        assert [row["day"] for row in back] == [row["day"] for row in ROWS]
        assert [row["seen_at"] for row in back] == [row["seen_at"] for row in ROWS]
    else:  # Excel keeps dates as date-times
        assert [row["seen_at"] for row in back] == [row["seen_at"] for row in ROWS]
        assert [row["day"].date() if row["day"] else None for row in back] == [row["day"] for row in ROWS]
    assert list(out.glob("*.partial")) == []


def test_a_query_and_a_kept_result_export_what_they_hold(services: Services, dataset: str, out: Path) -> None:
    sql = 'SELECT id, note FROM "mixed data" WHERE id > 1 ORDER BY id -- the trailing comment stays a comment'
    run = queries.run_to_file(services.db.cursor(), sql, out / "results")

    from_query = export.export(services.db.cursor(), ExportSource.query(sql), out / "q.csv", "csv")
    from_result = export.export(services.db.cursor(), ExportSource.result(run.path), out / "r.xlsx", "xlsx")

    assert from_query.rows == from_result.rows == 2
    assert [row["id"] for row in _read_back(out / "q.csv", "csv")] == [2, 3]
    assert [row["note"] for row in _read_back(out / "r.xlsx", "xlsx")] == [ROWS[1]["note"], ROWS[2]["note"]]


def _by_ok(**changes: object) -> AnalysisSpec:
    """Rows with an amount of at least -1 and a note that is not a hostile text, counted and summed by `ok`."""
    values = {
        "dataset": "mixed data", "group_by": ["ok"],
        "filters": [Filter(column="amount", op=">=", value="-1"),
                    Filter(column="note", op="!=", value="x'); DROP TABLE datasets; --")],
        "aggregates": [Aggregate(func="count"), Aggregate(func="sum", column="amount")],
        "sort": AnalysisSort(column="ok", descending=True),
    }  # fmt: skip
    return AnalysisSpec(**{**values, **changes})


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_an_analysis_exports_the_rows_it_shows(services: Services, dataset: str, out: Path, fmt: str) -> None:
    spec = _by_ok()
    shown = analysis.run_analysis(services.db, spec).rows.to_pylist()

    written = export.export(services.db.cursor(), ExportSource.analysis(spec), out / f"a.{fmt}", fmt)

    assert shown == [
        {"ok": True, "count(*)": 1, "sum(amount)": 10.5}, {"ok": None, "count(*)": 1, "sum(amount)": -0.25},
    ]  # fmt: skip
    assert (written.rows, written.file_name) == (2, f"mixed data analysis.{fmt}")
    assert _read_back(out / f"a.{fmt}", fmt, by_id=False) == shown
    assert datasets.get_dataset(services.db, "mixed data").row_count == 3  # the hostile value stayed a value


def test_an_analysis_that_no_longer_fits_its_dataset_is_not_exported(
    services: Services, dataset: str, out: Path
) -> None:
    gone = ExportSource.analysis(_by_ok(group_by=["city"], sort=None))

    with pytest.raises(ExportError) as refused:
        export.export(services.db.cursor(), gone, out / "a.csv", "csv")

    assert str(refused.value) == (
        "the analysis no longer fits dataset 'mixed data': group_by: the dataset has no column 'city'"
    )
    assert list(out.iterdir()) == []


def test_an_export_of_a_statement_that_writes_is_refused_and_writes_nothing(
    services: Services, dataset: str, out: Path
) -> None:
    with pytest.raises(QueryRefusedError, match="COPY reads or writes files"):
        export.export(services.db.cursor(), ExportSource.query(f"COPY (SELECT 1) TO '{out / 'x.csv'}'"),
                      out / "out.csv", "csv")  # fmt: skip
    assert sorted(p.name for p in out.iterdir() if p.suffix in (".csv", ".partial")) == []


def test_more_rows_than_an_excel_sheet_holds_are_refused_before_anything_is_written(
    services: Services, out: Path
) -> None:
    target = out / "big.xlsx"
    target.write_bytes(b"an earlier export")

    with pytest.raises(ExportError) as refused:
        export.export(services.db.cursor(), ExportSource.query("SELECT range AS n FROM range(1048576)"), target, "xlsx")

    assert "has 1,048,576 rows; an Excel sheet holds at most 1,048,576 rows including its header" in str(refused.value)
    assert target.read_bytes() == b"an earlier export"
    assert [p.name for p in out.iterdir()] == ["big.xlsx"]


def test_a_cancelled_export_job_leaves_no_file(services: Services, out: Path) -> None:
    services.jobs.start()
    target = out / "long.xlsx"
    source = ExportSource.query("SELECT range AS n, 'row ' || range AS label FROM range(1000000)")
    job_id = services.jobs.enqueue("data.export", source=source.model_dump(mode="json"), path=str(target),
                                   file_format="xlsx")  # fmt: skip
    while (info := services.jobs.poll(job_id)).progress < 0.01 and not info.is_finished:
        services.jobs.wait(job_id, timeout=0.05)

    services.jobs.cancel(job_id)

    assert services.jobs.wait(job_id, timeout=10).state is JobState.CANCELLED
    assert list(out.iterdir()) == []


def test_the_cli_exports_a_dataset_with_the_app_stopped(services: Services, dataset: str, out: Path) -> None:
    bootstrap.stop()  # the CLI opens the database file itself
    runner = CliRunner()

    by_extension = runner.invoke(cli.app, ["data", "export", dataset, str(out / "out.xlsx")])
    as_told = runner.invoke(cli.app, ["data", "export", dataset, str(out / "out.data"), "-f", "parquet", "--json"])
    unknown = runner.invoke(cli.app, ["data", "export", "no such", str(out / "x.csv")])
    bad_format = runner.invoke(cli.app, ["data", "export", dataset, str(out / "x.pdf"), "-f", "pdf"])

    assert by_extension.exit_code == 0, by_extension.output
    assert f"exported 3 rows of 'mixed data' to {out / 'out.xlsx'}" in by_extension.output
    assert len(_read_back(out / "out.xlsx", "xlsx")) == 3
    assert json.loads(as_told.stdout)["format"] == "parquet" and len(_read_back(out / "out.data", "parquet")) == 3
    assert unknown.exit_code == 1 and "there is no dataset named 'no such'" in str(unknown.exception)
    assert bad_format.exit_code == 2 and "expected one of csv, parquet, xlsx" in bad_format.output


def test_the_cli_exports_through_the_running_app(tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text("id,name\n1,Ada\n2,Grace\n", encoding="utf-8")
    with HeadlessApp(tmp_path / "home") as app:
        env = server_env(app.home)
        assert robustapp("data", "import", str(people), "--name", "people", env=env).returncode == 0

        done = robustapp("data", "export", "people", str(tmp_path / "people.xlsx"), env=env)
        missing = robustapp("data", "export", "nobody", str(tmp_path / "x.csv"), env=env)

        assert app.stop() == 0
    assert done.returncode == 0, done.stderr
    assert "exporting through the running app" in done.stderr and "exported 2 rows of 'people'" in done.stdout
    assert [row["name"] for row in _read_back(tmp_path / "people.xlsx", "xlsx")] == ["Ada", "Grace"]
    assert missing.returncode == 1 and "DatasetNotFound: there is no dataset named 'nobody'" in missing.stderr
