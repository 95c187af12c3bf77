"""Import throughput: `services.datasets.import_file` vs DuckDB's own reader on the same file.

    python bench/import_throughput.py [--rows 10000000] [--runs 3] [--json]

Generates a CSV (id, name, value, day, note) and a Parquet file of `--rows` rows in a temp dir,
then times, interleaved, a bare `CREATE TABLE AS SELECT * FROM read_csv(…)` / `read_parquet(…)`
in a fresh DuckDB file and `import_file` into a fresh migrated database (checks, sniffing,
malformed-row bookkeeping, the size estimate and the catalog row included). Medians in seconds,
rows/s, and the ratio app/raw (issue 5 target: ≥ 0.9 raw speed, i.e. a time ratio ≤ 1.11).
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


def _generate(folder: Path, rows: int) -> dict[str, Path]:
    import duckdb

    select = (
        f"SELECT i AS id, 'name ' || i AS name, i * 0.5 AS value, DATE '2020-01-01' + (i % 1000)::INT AS day, "
        f"CASE WHEN i % 7 = 0 THEN 'a note, with a comma' ELSE '' END AS note FROM range({rows}) t(i)"
    )
    paths = {"csv": folder / "data.csv", "parquet": folder / "data.parquet"}
    duckdb.execute(f"COPY ({select}) TO '{paths['csv']}' (HEADER)")
    duckdb.execute(f"COPY ({select}) TO '{paths['parquet']}' (FORMAT parquet)")
    return paths


def _raw(folder: Path, fmt: str, path: Path, run: int) -> float:
    import duckdb

    reader = "read_csv" if fmt == "csv" else "read_parquet"
    with duckdb.connect(str(folder / f"raw-{fmt}-{run}.duckdb")) as connection:
        start = time.perf_counter()
        connection.execute(f"CREATE TABLE t AS SELECT * FROM {reader}(?)", [str(path)])
        return time.perf_counter() - start


def _app(folder: Path, path: Path, run: int, fmt: str) -> float:
    from robustapp.services.datasets import import_file
    from robustapp.storage import Database, migrate

    with Database(folder / f"app-{fmt}-{run}.duckdb") as db:
        migrate(db)
        start = time.perf_counter()
        import_file(db, path)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="robustapp-bench-") as home:
        folder = Path(home)
        print(f"generating {args.rows} rows…", file=sys.stderr)
        paths = _generate(folder, args.rows)
        for fmt, path in paths.items():
            raw, app = [], []
            for run in range(args.runs):
                raw.append(_raw(folder, fmt, path, run))
                app.append(_app(folder, path, run, fmt))
                for leftover in folder.glob("*.duckdb*"):
                    leftover.unlink()
                print(f"{fmt} run {run + 1}: raw {raw[-1]:.2f} s, app {app[-1]:.2f} s", file=sys.stderr)
            raw_s, app_s = statistics.median(raw), statistics.median(app)
            results[fmt] = {
                "file_mb": round(path.stat().st_size / 2**20, 1),
                "raw_s": round(raw_s, 3),
                "app_s": round(app_s, 3),
                "raw_rows_per_s": round(args.rows / raw_s),
                "app_rows_per_s": round(args.rows / app_s),
                "speed_app_over_raw": round(raw_s / app_s, 3),
                "raw_samples": raw,
                "app_samples": app,
            }
    if args.json:
        machine = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "load_1m": os.getloadavg()[0]}
        print(json.dumps({"rows": args.rows, "results": results, "machine": machine}, indent=2))
        return
    print(f"{'format':8} {'file MB':>8} {'raw s':>7} {'app s':>7} {'app M rows/s':>13} {'speed app/raw':>14}")
    for fmt, r in results.items():
        print(f"{fmt:8} {r['file_mb']:8.1f} {r['raw_s']:7.2f} {r['app_s']:7.2f} "
              f"{r['app_rows_per_s'] / 1e6:13.2f} {r['speed_app_over_raw']:14.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
