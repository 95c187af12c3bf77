"""Backup and restore: robustapp's vs DuckDB's own, on the same database, in the same run.

    python bench/backup.py [--size-mb 1024] [--runs 2] [--json]

Generates a data home whose database holds a dataset table of about `--size-mb` MB (plus the app's
own tables), then times, round after round:

  backup   raw COPY          ATTACH '<new file>'; COPY FROM DATABASE … TO it; DETACH, on the open database
           raw EXPORT        EXPORT DATABASE '<dir>' (FORMAT parquet), on the open database
           app online        services.backups.create: the same COPY, plus counting every table, sha256,
                             re-opening the copy to check it, and the manifest (what the running app does)
           app offline       services.backups.create_offline: the stopped app's file, checkpointed and
                             copied while held read-only, plus the same checks (what the CLI does)
  restore  raw COPY          a new file; ATTACH the snapshot READ_ONLY; COPY FROM DATABASE it TO the new one
           raw IMPORT        a new file; IMPORT DATABASE '<dir>' (from the EXPORT above)
           app               services.restore.restore: verify (sha256, opens, rows), unpack + fsync, schema
                             check, a safety backup of the current database, atomic swap

Medians of wall and CPU seconds (the CPU time of this process, all threads: steadier than the wall time
on a busy machine) and the ratios app/raw (issue 6 target: ≤ 1.2). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROWS_PER_MB = 41_000  # of the generated table, as DuckDB stores it


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process (DuckDB's too)
    return usage.ru_utime + usage.ru_stime


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of `fn()`: on a busy machine the CPU time moves less than the wall time."""
    start, cpu = time.perf_counter(), _cpu()
    fn()
    return time.perf_counter() - start, _cpu() - cpu


def _generate(paths, size_mb: int) -> None:  # paths: robustapp.config.Paths, imported late
    from robustapp.storage import Database, migrate

    with Database(paths.db_path) as db:
        migrate(db)
        db.write(lambda cursor: cursor.execute(
            f"""CREATE TABLE ds_bench AS SELECT range AS id, random() AS value, md5(range::VARCHAR) AS name,
                ['a', 'b', 'c', 'd'][1 + range % 4] AS category, TIMESTAMP '2024-01-01' + to_seconds(range) AS at
                FROM range({size_mb * ROWS_PER_MB})"""
        ))  # fmt: skip


def _raw_copy(db, target: Path) -> None:  # db: robustapp.storage.Database
    cursor = db.cursor()
    catalog = cursor.execute("SELECT current_database()").fetchone()[0]
    cursor.execute(f"ATTACH '{target}' AS raw_snapshot")
    cursor.execute(f'COPY FROM DATABASE "{catalog}" TO raw_snapshot')
    cursor.execute("DETACH raw_snapshot")


def _raw_restore_copy(snapshot: Path, target: Path) -> None:
    import duckdb

    with duckdb.connect(str(target)) as connection:
        connection.execute(f"ATTACH '{snapshot}' AS source (READ_ONLY)")
        catalog = connection.execute("SELECT current_database()").fetchone()[0]
        connection.execute(f'COPY FROM DATABASE source TO "{catalog}"')


def _raw_import(folder: Path, target: Path) -> None:
    import duckdb

    with duckdb.connect(str(target)) as connection:
        connection.execute(f"IMPORT DATABASE '{folder}'")


def _round(paths, work: Path, order: int) -> dict[str, tuple[float, float]]:
    from robustapp.services import backups, restore
    from robustapp.storage import Database

    times: dict[str, tuple[float, float]] = {}
    made: list[str] = []
    with Database(paths.db_path) as db:
        steps = [
            ("backup raw COPY", lambda: _raw_copy(db, work / "raw.duckdb")),
            ("backup raw EXPORT", lambda: db.cursor().execute(f"EXPORT DATABASE '{work / 'export'}' (FORMAT parquet)")),
            ("backup app online", lambda: made.append(backups.create(db, paths).id)),
        ]
        for name, step in steps if order % 2 == 0 else reversed(steps):
            times[name] = _timed(step)
            print(f"  {name}: {times[name][0]:.2f} s (CPU {times[name][1]:.2f} s)", file=sys.stderr)
    times["backup app offline"] = _timed(lambda: backups.create_offline(paths))
    print(f"  backup app offline: {times['backup app offline'][0]:.2f} s", file=sys.stderr)
    restores = [
        ("restore raw COPY", lambda: _raw_restore_copy(work / "raw.duckdb", work / "restored-copy.duckdb")),
        ("restore raw IMPORT", lambda: _raw_import(work / "export", work / "restored-import.duckdb")),
        ("restore app", lambda: restore.restore(made[0], paths)),
    ]
    for name, step in restores if order % 2 == 0 else reversed(restores):
        times[name] = _timed(step)
        print(f"  {name}: {times[name][0]:.2f} s (CPU {times[name][1]:.2f} s)", file=sys.stderr)
    shutil.rmtree(work)
    shutil.rmtree(paths.backup_dir)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1024, help="size of the generated dataset table")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    from robustapp.config import Paths
    from robustapp.logs import configure_logging

    samples: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="robustapp-bench-") as home:
        paths = Paths.for_home(Path(home)).ensure()
        configure_logging(paths.log_file)
        print(f"generating a ~{args.size_mb} MB database…", file=sys.stderr)
        _generate(paths, args.size_mb)
        db_mb = paths.db_path.stat().st_size / 2**20
        for run in range(args.runs):
            print(f"round {run + 1} ({db_mb:.0f} MB database)", file=sys.stderr)
            work = Path(home) / "work"
            work.mkdir()
            for name, seconds in _round(paths, work, run).items():
                samples.setdefault(name, []).append(seconds)
    wall = {name: statistics.median(w for w, _ in values) for name, values in samples.items()}
    cpu = {name: statistics.median(c for _, c in values) for name, values in samples.items()}
    pairs = [("backup app online", "backup raw COPY"), ("backup app online", "backup raw EXPORT"),
             ("backup app offline", "backup raw COPY"), ("restore app", "restore raw COPY"),
             ("restore app", "restore raw IMPORT")]  # fmt: skip
    ratios = {f"{app} / {raw.split(' ', 1)[1]}": (wall[app] / wall[raw], cpu[app] / cpu[raw]) for app, raw in pairs}
    if args.json:
        machine = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "load_1m": os.getloadavg()[0]}
        print(json.dumps({"database_mb": round(db_mb), "wall_s": wall, "cpu_s": cpu, "ratios_wall_cpu": ratios,
                          "samples_wall_cpu": samples, "machine": machine}, indent=2))  # fmt: skip
        return
    print(f"database: {db_mb:.0f} MB, {args.runs} round(s), load {os.getloadavg()[0]:.2f}")
    print(f"{'':22} {'wall s':>7} {'CPU s':>7}")
    for name, seconds in wall.items():
        print(f"{name:22} {seconds:7.2f} {cpu[name]:7.2f}")
    for name, (by_wall, by_cpu) in ratios.items():
        print(f"{name:34} {by_wall:5.2f} (CPU {by_cpu:.2f})")


if __name__ == "__main__":
    main()
