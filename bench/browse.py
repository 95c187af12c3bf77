"""Browse on a big dataset: one page and the matching-row count through the app's service, against a
bare DuckDB query for the same rows, in the same run (no server).

    python bench/browse.py [--rows 10000000] [--runs 30] [--json]

A table of --rows generated sales rows (order_id, date, region, product, units, price, ~2 % nulls)
is created in a fresh app database and entered in the dataset catalog. For each scenario:

    app page     services.browse.browse(): the dataset looked up in the catalog, each filter checked
                 against its column (a cast in DuckDB), the count (from the cache: as when paging),
                 the page's rows as Arrow
    bare page    the same page by hand: `SELECT * FROM t [WHERE …] [ORDER BY …] LIMIT 50 OFFSET n`,
                 on the same connection, to Arrow
    app count    services.browse.count_matching() with its cache dropped first (a miss: as after a write)
    app count, cached   the same call again (a hit)
    bare count   `SELECT count(*) FROM t [WHERE …]`

Runs of app and bare alternate (and swap order every run) so drifting load hits both alike. The
targets (issue 5): first page, a sort, a filter on 10 M rows, each ≤ 150 ms of server time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PAGE = 50


def _generate(db: Any, rows: int) -> str:  # Any: robustapp is imported late, after the path is set
    """A sales table of `rows` rows in the app's database, in the catalog as dataset "sales"."""
    from robustapp.domain.datasets import DatasetInfo, ImportOptions
    from robustapp.storage import datasets as catalog
    from robustapp.storage import readers

    table = "ds_bench_sales"
    regions = "['North', 'South', 'East', 'West', 'Central']"
    products = "[" + ", ".join(f"'product {i}'" for i in range(200)) + "]"
    db.write(lambda cursor: cursor.execute(f"""
        CREATE TABLE {table} AS SELECT
            i + 1 AS order_id,
            DATE '2020-01-01' + (i % 2000)::INTEGER AS date,
            CASE WHEN hash(i, 'r') % 50 = 0 THEN NULL ELSE {regions}[(hash(i, 'region') % 5)::BIGINT + 1] END AS region,
            {products}[(hash(i, 'product') % 200)::BIGINT + 1] AS product,
            CASE WHEN hash(i, 'u') % 50 = 0 THEN NULL ELSE (hash(i, 'units') % 20)::INTEGER + 1 END AS units,
            CASE WHEN hash(i, 'p') % 50 = 0 THEN NULL ELSE round((hash(i, 'price') % 100000)::INTEGER / 100, 2) END AS price
        FROM range({int(rows)}) t(i)
    """))
    columns = readers.table_columns(db.cursor(), table)
    info = DatasetInfo(
        id=0, name="sales", table_name=table, row_count=rows, columns=columns, size_bytes=0,
        source_path="(generated)", source_format="csv", source_options=ImportOptions(format="csv"),
        imported_at=datetime.now(UTC),
    )  # fmt: skip
    db.write(lambda cursor: catalog.insert(cursor, info))
    return table


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _figures(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"median": statistics.median(ordered), "p95": ordered[max(0, int(len(ordered) * 0.95) - 1)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows in the generated dataset")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per figure")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="robustapp-bench-") as home:
        os.environ["ROBUSTAPP_HOME"] = home
        os.environ["ROBUSTAPP_ENV_FILE"] = str(Path(home) / "no-such.env")
        from robustapp import bootstrap
        from robustapp.domain.browse import BrowseQuery, Filter, Sort
        from robustapp.services import browse

        services = bootstrap.start()
        db = services.db
        print(f"generating {args.rows:,} rows…", file=sys.stderr)
        started = time.perf_counter()
        table = _generate(db, args.rows)
        print(f"  {time.perf_counter() - started:.1f} s", file=sys.stderr)
        last_page = (args.rows - 1) // PAGE + 1
        east = [Filter(column="region", op="=", value="East"), Filter(column="units", op=">", value="10")]
        scenarios = {
            "first page": (BrowseQuery(page_size=PAGE), "", [], ""),
            "middle page": (BrowseQuery(page_size=PAGE, page=last_page // 2), "", [], ""),
            "sort price desc": (
                BrowseQuery(page_size=PAGE, sort=Sort(column="price", descending=True)), "", [],
                ' ORDER BY "price" DESC NULLS LAST, rowid',
            ),
            "filter region, units": (
                BrowseQuery(page_size=PAGE, filters=east),
                ' WHERE "region" = CAST(? AS VARCHAR) AND "units" > CAST(? AS INTEGER)', ["East", "10"], "",
            ),
            "filter contains": (
                BrowseQuery(page_size=PAGE, filters=[Filter(column="product", op="contains", value="UCT 17")]),
                ' WHERE contains(lower(CAST("product" AS VARCHAR)), lower(?))', ["UCT 17"], "",
            ),
            "filter + sort, page 3": (
                BrowseQuery(page_size=PAGE, page=3, filters=east, sort=Sort(column="date")),
                ' WHERE "region" = CAST(? AS VARCHAR) AND "units" > CAST(? AS INTEGER)', ["East", "10"],
                ' ORDER BY "date" ASC NULLS LAST, rowid',
            ),
        }
        types = {column.name: column.type for column in browse.datasets.get_dataset(db, "sales").columns}
        cursor = db.cursor()
        results: dict[str, dict[str, dict[str, float]]] = {}
        for name, (query, where, params, order) in scenarios.items():
            print(f"{name}…", file=sys.stderr)
            offset = query.offset
            bare_page = f"SELECT * FROM {table}{where}{order} LIMIT {PAGE} OFFSET {offset}"
            bare_count = f"SELECT count(*) FROM {table}{where}"
            filters = tuple(query.filters)

            def app_page(query=query) -> None:
                browse.browse(db, "sales", query)

            def bare_page_fn(sql=bare_page, params=params) -> None:
                cursor.sql(sql, params=params).to_arrow_table()

            def app_count(filters=filters) -> None:
                browse.count_matching("sales", table, filters, _db=db, _types=types)

            def app_count_cold(filters=filters) -> None:
                services.cache.invalidate("dataset:sales")
                app_count(filters)

            def bare_count_fn(sql=bare_count, params=params) -> None:
                cursor.execute(sql, params).fetchall()

            app_page(), bare_page_fn()  # warm-up: the count is cached, DuckDB has read the columns once
            samples: dict[str, list[float]] = {
                "app page": [], "bare page": [], "app count": [], "app count, cached": [], "bare count": []
            }  # fmt: skip
            for run in range(args.runs):
                pairs = [("app page", app_page), ("bare page", bare_page_fn)]
                counts = [("app count", app_count_cold), ("bare count", bare_count_fn)]
                for label, fn in (pairs if run % 2 == 0 else pairs[::-1]) + (counts if run % 2 == 0 else counts[::-1]):
                    samples[label].append(_timed(fn))
                app_count()  # the count is cached again for the next app page
                samples["app count, cached"].append(_timed(app_count))
            results[name] = {label: _figures(values) for label, values in samples.items()}
        bootstrap.stop()

    if args.json:
        print(json.dumps({"unit": "ms", "rows": args.rows, "runs": args.runs, "cpus": os.cpu_count(),
                          "load": os.getloadavg()[0], "figures": results}, indent=2))  # fmt: skip
        return
    print(f"{args.rows:,} rows, {args.runs} runs, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; ms")
    header = ["app page", "bare page", "app count", "app count, cached", "bare count"]
    print(f"{'scenario':<24}" + "".join(f"{label + ' med/p95':>28}" for label in header) + f"{'page app/bare':>15}")
    for name, figures in results.items():
        cells = "".join(f"{figures[label]['median']:>18.1f} / {figures[label]['p95']:>7.1f}" for label in header)
        ratio = figures["app page"]["median"] / figures["bare page"]["median"]
        print(f"{name:<24}{cells}{ratio:>15.2f}")


if __name__ == "__main__":
    main()
