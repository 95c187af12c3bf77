"""The table view's SQL on a real DuckDB file: pages, sort, filters with bound values, counts, and
what happens when the dataset changes under a view."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from robustapp.domain.browse import BrowseQuery, Filter, Sort
from robustapp.domain.datasets import DatasetInfo
from robustapp.services import browse, datasets
from robustapp.services.browse import count_matching
from robustapp.storage import Database
from tests.integration.helpers import app_database
from tests.integration.import_files import write

CITIES = ["Paris", "Rome", "Oslo", "Zürich", None]


def _people(folder: Path, rows: int = 23, *, with_city: bool = True) -> Path:
    """id, "first name", city (some empty), score (ties), joined; ids in file order 1..rows."""
    lines = ['id,first name,city,score,joined,"we""ird"' if with_city else 'id,first name,score,joined,"we""ird"']
    for i in range(1, rows + 1):
        city = CITIES[i % len(CITIES)] or ""
        cells = [str(i), f"Name {i}", city, str(i % 4), f"2024-01-{i:02d}", f"w{i}"]
        if not with_city:
            del cells[2]
        lines.append(",".join(cells))
    return write(folder / "people.csv", "\n".join(lines) + "\n")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with app_database(tmp_path / "data.duckdb") as database:
        yield database


@pytest.fixture
def people(db: Database, tmp_path: Path) -> DatasetInfo:
    return datasets.import_file(db, _people(tmp_path), name="people")


def _ids(page: browse.BrowsePage) -> list[int]:
    return page.rows.column("id").to_pylist()


def test_the_first_page_is_the_start_of_the_file_and_the_count_covers_every_row(db: Database, people) -> None:
    page = browse.browse(db, "people", BrowseQuery(page_size=10))

    assert _ids(page) == list(range(1, 11))
    assert (page.total, page.pages, page.first_row, page.last_row) == (23, 3, 1, 10)
    assert page.rows.column_names == ["id", "first name", "city", "score", "joined", 'we"ird']


def test_later_pages_follow_on_and_the_last_one_is_short(db: Database, people) -> None:
    second = browse.browse(db, "people", BrowseQuery(page_size=10, page=2))
    last = browse.browse(db, "people", BrowseQuery(page_size=10, page=3))

    assert _ids(second) == list(range(11, 21))
    assert _ids(last) == [21, 22, 23]
    assert (last.first_row, last.last_row) == (21, 23)


def test_a_page_past_the_end_shows_the_last_page(db: Database, people) -> None:
    page = browse.browse(db, "people", BrowseQuery(page_size=10, page=99))

    assert page.query.page == 3
    assert _ids(page) == [21, 22, 23]


def test_sort_orders_every_page_with_nulls_last_and_pages_neither_overlap_nor_skip(db: Database, people) -> None:
    pages = [
        browse.browse(db, "people", BrowseQuery(page_size=5, page=n, sort=Sort(column="score"))) for n in range(1, 6)
    ]
    ids = [i for page in pages for i in _ids(page)]
    scores = [s for page in pages for s in page.rows.column("score").to_pylist()]

    assert sorted(ids) == list(range(1, 24))  # every row exactly once, despite the ties
    assert scores == sorted(scores)
    by_city = browse.browse(db, "people", BrowseQuery(page_size=50, sort=Sort(column="city", descending=True)))
    cities = by_city.rows.column("city").to_pylist()
    assert cities[0] == "Zürich" and cities[-1] is None  # descending, nulls still last


def test_only_the_chosen_columns_come_back_in_the_chosen_order(db: Database, people) -> None:
    page = browse.browse(db, "people", BrowseQuery(columns=["score", 'we"ird', "id"], page_size=3))

    assert page.rows.column_names == ["score", 'we"ird', "id"]
    assert page.rows.column('we"ird').to_pylist() == ["w1", "w2", "w3"]


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (Filter(column="id", op="=", value="7"), [7]),
        (Filter(column="id", op="<", value="3"), [1, 2]),
        (Filter(column="id", op="<=", value="3"), [1, 2, 3]),
        (Filter(column="id", op=">", value="21"), [22, 23]),
        (Filter(column="id", op=">=", value="22"), [22, 23]),
        (Filter(column="score", op="!=", value="0"), [i for i in range(1, 24) if i % 4]),
        (Filter(column="joined", op=">=", value="2024-01-20"), [20, 21, 22, 23]),
        (Filter(column="city", op="=", value="Zürich"), [3, 8, 13, 18, 23]),
        (Filter(column="city", op="contains", value="ZÜR"), [3, 8, 13, 18, 23]),  # case does not matter
        (Filter(column="first name", op="contains", value="me 1"), [1, *range(10, 20)]),
        (Filter(column="city", op="is null"), [4, 9, 14, 19]),
        (Filter(column="id", op="contains", value="2"), [2, 12, 20, 21, 22, 23]),  # a number searched as text
    ],
    ids=lambda value: value.describe() if isinstance(value, Filter) else "",
)
def test_each_operator_filters_the_rows_and_the_count_agrees(db: Database, people, flt: Filter, expected) -> None:
    page = browse.browse(db, "people", BrowseQuery(filters=[flt], page_size=100))

    assert _ids(page) == expected
    assert page.total == len(expected)
    assert page.notices == []


def test_filters_combine_with_and(db: Database, people) -> None:
    query = BrowseQuery(
        filters=[Filter(column="city", op="is not null"), Filter(column="score", op="=", value="1")], page_size=100
    )
    assert _ids(browse.browse(db, "people", query)) == [1, 5, 13, 17, 21]


@pytest.mark.parametrize(
    "value",
    ["x' OR '1'='1", "'); DROP TABLE datasets; --", 'Paris" OR "1"="1', "%", "_", "\\"],
)
def test_a_value_that_looks_like_sql_is_only_ever_a_value(db: Database, people, value: str) -> None:
    for op in ("=", "contains"):
        page = browse.browse(db, "people", BrowseQuery(filters=[Filter(column="city", op=op, value=value)]))
        assert (page.total, page.rows.num_rows) == (0, 0)
    assert [info.name for info in datasets.list_datasets(db)] == ["people"]  # nothing dropped
    assert browse.browse(db, "people", BrowseQuery()).total == 23


def test_a_value_with_quotes_finds_the_rows_that_hold_it(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path / "quotes.csv", 'id,text\n1,"O\'Brien said ""hi"""\n2,plain\n3,"a; DROP TABLE x; --"\n')
    datasets.import_file(db, path, name="quotes")

    said = browse.browse(db, "quotes", BrowseQuery(filters=[Filter(column="text", op="=", value='O\'Brien said "hi"')]))
    dropped = browse.browse(db, "quotes", BrowseQuery(filters=[Filter(column="text", op="contains", value="DROP TABLE")]))

    assert said.rows.column("id").to_pylist() == [1]
    assert dropped.rows.column("id").to_pylist() == [3]


def test_a_value_that_does_not_read_as_the_columns_type_is_left_out_with_a_notice(db: Database, people) -> None:
    query = BrowseQuery(filters=[Filter(column="id", op=">", value="ten"), Filter(column="score", op="=", value="1")])

    page = browse.browse(db, "people", query)

    assert page.query.filters == [Filter(column="score", op="=", value="1")]
    assert page.total == 6
    (notice,) = page.notices
    assert "id > 'ten'" in notice and "BIGINT" in notice
    assert browse.check_filter(db, "people", Filter(column="joined", op="<", value="31/01/2024")) is not None
    assert browse.check_filter(db, "people", Filter(column="joined", op="<", value="2024-01-31")) is None


def test_a_filter_and_a_sort_on_a_column_the_replaced_dataset_no_longer_has_are_dropped_with_a_notice(
    db: Database, people, tmp_path: Path
) -> None:
    query = BrowseQuery(
        filters=[Filter(column="city", op="=", value="Rome"), Filter(column="score", op=">", value="1")],
        sort=Sort(column="city"), columns=["city", "id"], page_size=100,
    )  # fmt: skip
    assert browse.browse(db, "people", query).total == 2

    (tmp_path / "v2").mkdir()
    datasets.import_file(db, _people(tmp_path / "v2", with_city=False), name="people", replace=True)
    page = browse.browse(db, "people", query)

    assert page.query.filters == [Filter(column="score", op=">", value="1")]
    assert page.query.sort is None and page.query.columns == ["id"]
    assert page.total == 12
    assert any("city = 'Rome'" in notice and "no column 'city'" in notice for notice in page.notices)
    assert any("sorting by 'city'" in notice for notice in page.notices)


def test_the_count_is_cached_and_a_write_to_the_dataset_makes_it_fresh(db: Database, people, tmp_path: Path) -> None:
    flt = (Filter(column="score", op="=", value="0"),)
    types = {column.name: column.type for column in people.columns}
    assert count_matching("people", people.table_name, flt, _db=db, _types=types) == 5
    db.write(lambda cursor: cursor.execute(f'DELETE FROM "{people.table_name}" WHERE id = 4'))  # behind its back
    assert count_matching("people", people.table_name, flt, _db=db, _types=types) == 5  # served from the cache

    db.write(lambda cursor: cursor.execute(f'DELETE FROM "{people.table_name}" WHERE id = 8'),
             touches={"dataset:people"})  # fmt: skip
    assert count_matching("people", people.table_name, flt, _db=db, _types=types) == 3


def test_nested_values_show_as_text_and_filter_with_contains_only(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path / "items.ndjson", '{"id": 1, "tags": ["a", "b"]}\n{"id": 2, "tags": ["c"]}\n')
    datasets.import_file(db, path, name="items")

    page = browse.browse(db, "items", BrowseQuery())
    tagged = browse.browse(db, "items", BrowseQuery(filters=[Filter(column="tags", op="contains", value="c")]))
    compared = browse.browse(db, "items", BrowseQuery(filters=[Filter(column="tags", op="=", value="[c]")]))

    assert page.rows.column("tags").to_pylist() == ["[a, b]", "[c]"]
    assert tagged.rows.column("id").to_pylist() == [2]
    assert compared.total == 2 and "contains" in compared.notices[0]


def test_an_empty_result_is_one_empty_page(db: Database, people) -> None:
    page = browse.browse(db, "people", BrowseQuery(filters=[Filter(column="id", op=">", value="1000")]))

    assert (page.total, page.pages, page.query.page, page.rows.num_rows, page.first_row) == (0, 1, 1, 0, 0)
