"""Import throughput and memory: the app's `data.import` job vs DuckDB's own reader on the same file.

    python bench/import_throughput.py [--rows 10000000] [--runs 5] [--formats csv,parquet]
                                      [--browse] [--memory-limit 512MB] [--json]

Generates a CSV (id, name, value, day, note; 10 M rows ≈ 474 MB, 21 M ≈ 1 GB) and a Parquet file of
`--rows` rows in a temp dir. Each sample is a fresh process, so its peak RSS is its own; raw and app
alternate, swapping order every run, so drifting load hits both alike:

    raw   duckdb.connect(<new file>); CREATE TABLE t AS SELECT * FROM read_csv(?) / read_parquet(?)
          DuckDB's defaults: sniffed dialect and types, threads = CPUs, a file database
    app   a fresh ROBUSTAPP_HOME (started and migrated as the server does), then the `data.import` job
          through JobService: enqueue → a DB task thread → import_file (file checks, dialect from the
          header line, the same sniffed types, malformed rows collected, size estimate, catalog row)
          → committed, the job's row saying succeeded. The time is enqueue → succeeded.

Both create the same table (same columns and types: checked every run) in a file database with the same threads;
neither time includes the final checkpoint when the database closes. `--browse` then reads the new
table as the Browse page does (first page, sorted by value descending, filtered on name, with the
matching-row count) in the same process, and reports the peak RSS after it. The app's DuckDB runs
with its own cap (ROBUSTAPP_DB_MEMORY_MB, 512 by default), raw DuckDB with its default (80 % of RAM);
`--memory-limit` sets the same memory_limit in both.

Medians in seconds, the speed ratio raw/app (issue 5 target: ≥ 0.9), the peak RSS of each process
(ru_maxrss: Python and its libraries included; `base` is the RSS just before the import) beside the
file's size, and the 1-minute load average before and after each sample.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MB = 2**20


def _generate(folder: Path, rows: int, formats: list[str]) -> dict[str, Path]:
    import duckdb

    select = (
        f"SELECT i AS id, 'name ' || i AS name, i * 0.5 AS value, DATE '2020-01-01' + (i % 1000)::INT AS day, "
        f"CASE WHEN i % 7 = 0 THEN 'a note, with a comma' ELSE '' END AS note FROM range({rows}) t(i)"
    )
    paths = {fmt: folder / f"data.{fmt}" for fmt in formats}
    connection = duckdb.connect()
    connection.execute("SET enable_progress_bar = false")
    for fmt, path in paths.items():
        connection.execute(f"COPY ({select}) TO '{path}' ({'HEADER' if fmt == 'csv' else 'FORMAT parquet'})")
    return paths


def _rss_now() -> float:
    """This process's resident set now, in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak() -> float:
    """This process's peak resident set so far, in MB (ru_maxrss is in kB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- one sample, in a child process ---------------------------------------------------------


def _child_raw(folder: Path, fmt: str, path: Path, memory_limit: str | None, browse: bool) -> dict[str, Any]:
    import duckdb

    reader = "read_csv" if fmt == "csv" else "read_parquet"
    with duckdb.connect(str(folder / "raw.duckdb")) as connection:
        connection.execute("SET enable_progress_bar = false")
        if memory_limit:
            connection.execute("SET memory_limit = ?", [memory_limit])
        base = _rss_now()
        start = time.perf_counter()
        connection.execute(f"CREATE TABLE t AS SELECT * FROM {reader}(?)", [str(path)])
        seconds = time.perf_counter() - start
        figures = {"seconds": seconds, "base_mb": base, "import_peak_mb": _peak()}
        figures["columns"] = [list(row[:2]) for row in connection.execute("DESCRIBE t").fetchall()]
        if browse:
            for sql, params in (
                ("SELECT * FROM t LIMIT 50", []),
                ('SELECT * FROM t ORDER BY "value" DESC NULLS LAST, rowid LIMIT 50', []),
                ("SELECT * FROM t WHERE contains(lower(CAST(name AS VARCHAR)), lower(?)) LIMIT 50", ["77"]),
                ("SELECT count(*) FROM t WHERE contains(lower(CAST(name AS VARCHAR)), lower(?))", ["77"]),
            ):
                connection.sql(sql, params=params).to_arrow_table()
            figures["browse_peak_mb"] = _peak()
    return figures


def _child_app(folder: Path, path: Path, memory_limit: str | None, browse: bool) -> dict[str, Any]:
    os.environ["ROBUSTAPP_HOME"] = str(folder / "home")
    os.environ["ROBUSTAPP_ENV_FILE"] = str(folder / "no-such.env")
    from robustapp import bootstrap
    from robustapp.domain.browse import BrowseQuery, Filter, Sort
    from robustapp.domain.jobs import JobState
    from robustapp.services import browse as browsing

    services = bootstrap.start()
    try:
        if memory_limit:
            services.db.cursor().execute("SET memory_limit = ?", [memory_limit])
        services.jobs.start()
        base = _rss_now()
        start = time.perf_counter()
        job = services.jobs.enqueue("data.import", path=str(path), name="bench")
        info = services.jobs.wait(job, timeout=3600)
        seconds = time.perf_counter() - start
        if info.state is not JobState.SUCCEEDED:
            raise SystemExit(f"the import job ended {info.state}: {info.error}")
        figures = {"seconds": seconds, "base_mb": base, "import_peak_mb": _peak()}
        dataset = browsing.datasets.get_dataset(services.db, "bench")
        figures["columns"] = [[column.name, column.type] for column in dataset.columns]
        if browse:
            contains = [Filter(column="name", op="contains", value="77")]
            for query in (
                BrowseQuery(),
                BrowseQuery(sort=Sort(column="value", descending=True)),
                BrowseQuery(filters=contains),
            ):
                browsing.browse(services.db, "bench", query)
            figures["browse_peak_mb"] = _peak()
    finally:
        bootstrap.stop()
    return figures


def _sample(side: str, fmt: str, path: Path, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """One timed import in a fresh process, in a fresh folder."""
    work = Path(tempfile.mkdtemp(prefix=f"{side}-", dir=folder))
    command = [sys.executable, __file__, "--child", side, "--format", fmt, "--path", str(path), "--work", str(work)]
    if args.memory_limit:
        command += ["--memory-limit", args.memory_limit]
    if args.browse:
        command.append("--browse")
    load_before = os.getloadavg()[0]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    subprocess.run(["rm", "-rf", str(work)], check=True)
    if done.returncode != 0:
        raise SystemExit(f"{side} {fmt} failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["load"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return figures


def _median(samples: list[dict[str, Any]], key: str) -> float:
    return statistics.median(sample[key] for sample in samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--formats", default="csv,parquet", help="comma-separated: csv, parquet")
    parser.add_argument("--browse", action="store_true", help="browse the new table after the import (memory)")
    parser.add_argument("--memory-limit", help="DuckDB memory_limit for both sides, e.g. 512MB")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--child", choices=["raw", "app"], help=argparse.SUPPRESS)
    parser.add_argument("--format", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        work, path = Path(args.work), Path(args.path)
        if args.child == "raw":
            figures = _child_raw(work, args.format, path, args.memory_limit, args.browse)
        else:
            figures = _child_app(work, path, args.memory_limit, args.browse)
        print(json.dumps(figures))
        return

    formats = [fmt.strip() for fmt in args.formats.split(",") if fmt.strip()]
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="robustapp-bench-") as home:
        folder = Path(home)
        print(f"generating {args.rows:,} rows…", file=sys.stderr)
        paths = _generate(folder, args.rows, formats)
        for fmt, path in paths.items():
            samples: dict[str, list[dict[str, Any]]] = {"raw": [], "app": []}
            for run in range(args.runs):
                for side in ("raw", "app") if run % 2 == 0 else ("app", "raw"):
                    samples[side].append(_sample(side, fmt, path, args, folder))
                raw, app = samples["raw"][-1], samples["app"][-1]
                if raw["columns"] != app["columns"]:
                    raise SystemExit(f"{fmt}: not the same table: raw {raw['columns']}, app {app['columns']}")
                print(
                    f"{fmt} run {run + 1}: raw {raw['seconds']:.2f} s, app {app['seconds']:.2f} s "
                    f"(peak RSS raw {raw['import_peak_mb']:.0f} MB, app {app['import_peak_mb']:.0f} MB; "
                    f"load {raw['load'][0]:.2f}–{app['load'][1]:.2f})",
                    file=sys.stderr,
                )
            raw_s, app_s = _median(samples["raw"], "seconds"), _median(samples["app"], "seconds")
            loads = [value for side in samples.values() for sample in side for value in sample["load"]]
            results[fmt] = {
                "file_mb": round(path.stat().st_size / MB, 1),
                "raw_s": round(raw_s, 3),
                "app_s": round(app_s, 3),
                "raw_rows_per_s": round(args.rows / raw_s),
                "app_rows_per_s": round(args.rows / app_s),
                "speed_app_over_raw": round(raw_s / app_s, 3),
                "load_min_max": [min(loads), max(loads)],
                **{
                    f"{side}_{key}": round(max(sample[key] for sample in samples[side]))
                    for side in ("raw", "app")
                    for key in ("base_mb", "import_peak_mb", "browse_peak_mb")
                    if key in samples[side][0]
                },
                "samples": samples,
            }
    machine = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "memory_limit": args.memory_limit}
    if args.json:
        print(json.dumps({"rows": args.rows, "runs": args.runs, "results": results, "machine": machine}, indent=2))
        return
    limit = args.memory_limit or "the app's setting (ROBUSTAPP_DB_MEMORY_MB) and DuckDB's default (raw)"
    print(f"{args.rows:,} rows, {args.runs} runs each, {os.cpu_count()} CPUs, memory_limit {limit}")
    print(f"{'format':8} {'file MB':>8} {'raw s':>7} {'app s':>7} {'app M rows/s':>13} {'speed app/raw':>14} "
          f"{'load':>10} {'peak RSS MB raw / app (base)':>30}")  # fmt: skip
    for fmt, r in results.items():
        browse = (f"; after browse {r['raw_browse_peak_mb']} / {r['app_browse_peak_mb']}"
                  if "app_browse_peak_mb" in r else "")  # fmt: skip
        print(f"{fmt:8} {r['file_mb']:8.1f} {r['raw_s']:7.2f} {r['app_s']:7.2f} "
              f"{r['app_rows_per_s'] / 1e6:13.2f} {r['speed_app_over_raw']:14.2f} "
              f"{r['load_min_max'][0]:4.1f}–{r['load_min_max'][1]:4.1f} "
              f"{r['raw_import_peak_mb']:>10} / {r['app_import_peak_mb']} ({r['raw_base_mb']} / {r['app_base_mb']})"
              f"{browse}")  # fmt: skip


if __name__ == "__main__":
    main()
