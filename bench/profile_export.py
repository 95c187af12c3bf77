"""Profile, export and SQL-editor figures on a generated dataset (no server).

    python bench/profile_export.py [--rows 10000000] [--runs 3] [--xlsx-rows 100000] [--json]

Imports a generated table of `--rows` rows (id, code, category, day, amount, ratio, flag, user)
into a fresh migrated database, then times, each `--runs` times:
- profile:  `services.profile` computing the profile (cache bypassed), and re-opening it (a cache hit)
- export:   `services.export` to CSV and Parquet vs a bare `COPY (SELECT * FROM t) TO …` of the same table
- xlsx:     `services.export` of the first `--xlsx-rows` rows to .xlsx (rows/s)
- sql:      one small aggregate through the `data.sql` job: Run → rows kept in a file (enqueue → succeeded)
Medians in seconds; ratios app/raw where there is a raw counterpart.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _dataset(folder: Path, rows: int) -> tuple[object, str]:
    import duckdb

    os.environ["ROBUSTAPP_HOME"] = str(folder / "home")
    from robustapp import bootstrap
    from robustapp.services.datasets import import_file

    source = folder / "data.parquet"
    duckdb.execute(
        f"COPY (SELECT range AS id, (range % 1000)::INTEGER AS code, 'cat ' || (range % 37) AS category, "
        f"DATE '2020-01-01' + (range % 2000)::INTEGER AS day, random() * 100 AS amount, "
        f"CASE WHEN range % 10 = 0 THEN NULL ELSE random() END AS ratio, range % 2 = 0 AS flag, "
        f"'user ' || (hash(range) % 1000000) AS user FROM range({rows})) TO '{source}' (FORMAT parquet)"
    )
    services = bootstrap.start()
    info = import_file(services.db, source, name="bench")
    return services, info.table_name


def _timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="robustapp-bench-") as tmp:
        folder = Path(tmp)
        print(f"generating and importing {args.rows:,} rows…", file=sys.stderr)
        services, table = _dataset(folder, args.rows)
        from robustapp.domain.export import ExportSource
        from robustapp.services import export, profile
        from robustapp.storage.identifiers import quote_identifier

        cursor = services.db.cursor()
        samples: dict[str, list[float]] = {k: [] for k in ("profile", "profile cached", "csv", "csv raw",
                                                            "parquet", "parquet raw", "xlsx", "sql job")}  # fmt: skip
        services.jobs.start()
        for run in range(args.runs):
            print(f"run {run + 1} of {args.runs}…", file=sys.stderr)
            samples["profile"].append(_timed(lambda: profile._compute(cursor, "bench", lambda f, m: None)))
            profile.profile_dataset(cursor, "bench")
            samples["profile cached"].append(_timed(lambda: profile.cached_profile("bench")))
            for fmt in ("csv", "parquet"):
                target = folder / f"out.{fmt}"
                options = "FORMAT csv, HEADER" if fmt == "csv" else "FORMAT parquet, COMPRESSION zstd"
                raw = f"COPY (SELECT * FROM main.{quote_identifier(table)}) TO '{folder / ('raw.' + fmt)}' ({options})"
                pair = [
                    (fmt, lambda: export.export(cursor, ExportSource.dataset("bench"), target, fmt)),
                    (f"{fmt} raw", lambda: cursor.execute(raw).fetchall()),
                ]
                for name, work in pair if run % 2 == 0 else reversed(pair):  # interleaved: neither always goes first
                    samples[name].append(_timed(work))
            first = ExportSource.query(f"SELECT * FROM bench LIMIT {args.xlsx_rows}")
            samples["xlsx"].append(_timed(lambda: export.export(cursor, first, folder / "out.xlsx", "xlsx")))
            for _ in range(10):
                sql = "SELECT category, count(*) AS n, avg(amount) AS mean FROM bench GROUP BY category"
                samples["sql job"].append(_timed(
                    lambda: services.jobs.wait(services.jobs.enqueue("data.sql", sql=sql), timeout=120)
                ))  # fmt: skip
        medians = {name: statistics.median(values) for name, values in samples.items()}
        figures = {
            "rows": args.rows,
            "median_seconds": medians,
            "ratio_csv_app_raw": medians["csv"] / medians["csv raw"],
            "ratio_parquet_app_raw": medians["parquet"] / medians["parquet raw"],
            "xlsx_rows_per_second": args.xlsx_rows / medians["xlsx"],
            "cpus": os.cpu_count(),
            "load_1min": os.getloadavg()[0],
        }
        services.close()
    if args.json:
        print(json.dumps({**figures, "samples": samples}, indent=2))
        return
    print(f"{args.rows:,} rows, median of {args.runs} runs ({os.cpu_count()} CPUs, load {figures['load_1min']:.1f})")
    for name, seconds in medians.items():
        print(f"  {name:<16} {seconds * 1000:10.1f} ms")
    print(f"  CSV export app/raw     {figures['ratio_csv_app_raw']:.2f}")
    print(f"  Parquet export app/raw {figures['ratio_parquet_app_raw']:.2f}")
    print(f"  xlsx                   {figures['xlsx_rows_per_second']:,.0f} rows/s")


if __name__ == "__main__":
    main()
