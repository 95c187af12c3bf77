"""Good files the import tests read, each written into a test's temp dir.

Generated rather than checked in: each is a few lines here, and the big ones (a million rows) would
bloat the repository. The bad input is kept as files: tests/corpus/bad (its README says what each is).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# -- good files ----------------------------------------------------------------------------------

PEOPLE_CSV = (
    "id,name,city,score,joined\n"
    "1,Zoë,Zürich,9.5,2024-01-02\n"
    "2,Ōsaka Bob,東京,7.25,2024-02-03\n"
    '3,"Smith, Ann",Paris,8,2024-03-04\n'
)


def people_csv(folder: Path) -> Path:
    return write(folder / "people.csv", PEOPLE_CSV)


def bom_utf8(folder: Path) -> Path:
    path = folder / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "name,value\nJosé,1\n".encode())
    return path


def parquet(folder: Path, rows: int = 1000) -> Path:
    path = folder / "numbers.parquet"
    duckdb.execute(
        f"COPY (SELECT i AS id, 'name ' || i AS label, i / 4 AS quarter, DATE '2024-01-01' + i::INT AS day "
        f"FROM range({rows}) t(i)) TO '{path}' (FORMAT parquet)"
    )
    return path


def json_array(folder: Path) -> Path:
    return write(
        folder / "items.json", '[{"id": 1, "name": "Zoë", "tags": ["a", "b"]}, {"id": 2, "name": "東京", "tags": []}]'
    )


def ndjson(folder: Path) -> Path:
    return write(
        folder / "events.ndjson", '{"id": 1, "kind": "click"}\n{"id": 2, "kind": "view"}\n{"id": 3, "kind": "clíck"}\n'
    )


def xlsx(folder: Path) -> Path:
    import xlsxwriter

    path = folder / "book.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sales = workbook.add_worksheet("Sales")
    sales.write_row(0, 0, ["id", "customer", "amount", "day"])
    for row in range(1, 4):
        sales.write_row(row, 0, [row, f"Zoë {row}", row * 1.5])
        sales.write_datetime(row, 3, dt.datetime(2024, 1, row), dates)
    other = workbook.add_worksheet("Other")
    other.write_row(0, 0, ["a", "a", "", "b"])
    other.write_row(1, 0, [1, 2, 3, 4])
    workbook.close()
    return path


def million_rows_csv(folder: Path, rows: int = 1_000_000) -> Path:
    path = folder / "million.csv"
    duckdb.execute(
        f"COPY (SELECT i AS id, 'name ' || i AS name, i * 0.5 AS value, DATE '2020-01-01' + (i % 1000)::INT AS day "
        f"FROM range({rows}) t(i)) TO '{path}' (HEADER)"
    )
    return path
