"""The corpus of files the import tests read, good and bad, each written into a test's temp dir.

Generated rather than checked in: each is a few lines here, the bad ones are easier to read as code
than as bytes, and the big ones (a 10 MB field, a million rows) would bloat the repository.
"""

from __future__ import annotations

import datetime as dt
import os
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


# -- bad files -----------------------------------------------------------------------------------


def empty(folder: Path) -> Path:
    return write(folder / "empty.csv", "")


def blank_lines(folder: Path) -> Path:
    return write(folder / "blank.csv", "\n  \n\n")


def binary_named_csv(folder: Path) -> Path:
    path = folder / "photo.csv"
    path.write_bytes(bytes(range(256)) * 40)
    return path


def parquet_named_csv(folder: Path) -> Path:
    target = folder / "really-parquet.csv"
    os.replace(parquet(folder, 10), target)
    return target


def ragged(folder: Path) -> Path:
    return write(folder / "ragged.csv", "a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n")


def unclosed_quote(folder: Path) -> Path:
    return write(
        folder / "unclosed.csv",
        'id,name,city\n1,"Smith, John",Paris\n2,"Doe, Jane",Rome\n'
        '3,"Broken, Bob,Oslo\n'  # the quote never closes
        '4,"Roe, Rick",Bern\n5,Plain,Wien\n',
    )


def latin1(folder: Path) -> Path:
    return write(folder / "latin1.csv", "id,name\n1,café\n2,Müller\n", encoding="latin-1")


def bom_utf8(folder: Path) -> Path:
    path = folder / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "name,value\nJosé,1\n".encode())
    return path


def huge_field(folder: Path, size: int = 10 * 2**20) -> Path:
    return write(folder / "huge-field.csv", 'id,body\n1,"' + "x" * size + '"\n2,short\n')


def duplicate_and_empty_names(folder: Path) -> Path:
    return write(folder / "names.csv", "id,value,value,,Value\n1,2,3,4,5\n")


def corrupt_parquet(folder: Path) -> Path:
    path = folder / "corrupt.parquet"
    path.write_bytes(b"PAR1" + os.urandom(2000) + b"PAR1")
    return path


def truncated_parquet(folder: Path) -> Path:
    source = parquet(folder, 5000)
    data = source.read_bytes()
    path = folder / "truncated.parquet"
    path.write_bytes(data[: len(data) // 2])
    return path


def corrupt_xlsx(folder: Path) -> Path:
    path = folder / "corrupt.xlsx"
    path.write_bytes(b"PK\x03\x04" + os.urandom(2000))
    return path


def truncated_xlsx(folder: Path) -> Path:
    data = xlsx(folder).read_bytes()
    path = folder / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def malformed_json(folder: Path) -> Path:
    return write(folder / "broken.json", '[{"id": 1}, {"id": ')
