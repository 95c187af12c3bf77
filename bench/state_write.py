"""Saving one input: StateService.save against a bare DuckDB upsert, same machine, same run.

    python bench/state_write.py [--saves 500] [--warmup 20] [--json] [--statements]

Both write to a file database in a fresh temp dir, opened with the app's connection settings:
  save      StateService.save of one Change (one widget value), committed: the state row, its
            audit entry and the audit head, in one transaction through the single write path
  baseline  BEGIN; INSERT OR REPLACE one row; COMMIT on a bare DuckDB connection
Values alternate between two strings, so every save is a real change. The two are interleaved
(save, baseline, save, …) so drifting machine load hits both alike. Figures in ms.
`--statements` then runs the saves again with every SQL statement timed, and prints the
median of each kind per save (what is left is Python, the writer lock and the retry wrapper).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--saves", type=int, default=500, help="timed saves of each kind")
    parser.add_argument("--warmup", type=int, default=20, help="untimed saves of each kind first")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--statements", action="store_true", help="also time each SQL statement of a save")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="robustapp-bench-") as home:
        os.environ["ROBUSTAPP_HOME"] = home
        os.environ["ROBUSTAPP_ENV_FILE"] = str(Path(home) / "no-such.env")
        save, baseline, db, close = _contestants(Path(home))
        try:
            for _ in range(args.warmup):
                save()
                baseline()
            samples: dict[str, list[float]] = {"save": [], "baseline": []}
            for _ in range(args.saves):
                samples["save"].append(_timed(save))
                samples["baseline"].append(_timed(baseline))
            statements = _statements(save, db, args.saves) if args.statements else None
        finally:
            close()

    figures = {name: _figures(values) for name, values in samples.items()}
    ratio = {stat: figures["save"][stat] / figures["baseline"][stat] for stat in ("median", "p95")}
    if args.json:
        print(json.dumps({"figures": figures, "ratio": ratio, "samples": samples, "machine": _machine()}, indent=2))
    else:
        machine = _machine()
        print(
            f"{args.saves} saves each · Python {machine['python']} · DuckDB {machine['duckdb']} · "
            f"{machine['cpus']} CPUs · load {machine['load_1min']}"
        )
        print(f"{'':<10}{'median':>9}{'p95':>9}{'min':>9}{'max':>9}")
        for name, figure in figures.items():
            print(f"{name:<10}" + "".join(f"{figure[stat]:>9.3f}" for stat in ("median", "p95", "min", "max")))
        print(f"{'ratio':<10}{ratio['median']:>9.2f}{ratio['p95']:>9.2f}")
    if statements:
        print(statements)


def _contestants(home: Path) -> tuple[Callable[[], object], Callable[[], object], Any, Callable[[], None]]:
    from robustapp.logs import configure_logging
    from robustapp.services.state import Actor, Change, StateService
    from robustapp.storage import Database, migrate
    from robustapp.storage.database import open_connection

    configure_logging(home / "bench.log", level="WARNING")
    db = Database(home / "app.duckdb", checkpoint_idle_seconds=3600)  # no idle checkpoint mid-run
    migrate(db)
    state = StateService(db)
    actor = Actor(owner="bench", name="bench", session_id="bench-session")
    version: list[int | None] = [None]
    saves = itertools.count(1)

    def save() -> object:
        turn = next(saves)
        change = Change("demo", "name", f"value {turn % 2}", base_version=version[0])
        result = state.save(actor, [change], trace_id=f"trace-{turn}")
        if result.written != 1:
            raise SystemExit("a save wrote nothing: the benchmark must change the value every time")
        version[0] = result.versions[("demo", "name")]
        return result

    bare = open_connection(home / "bare.duckdb")
    bare.execute("CREATE TABLE kv (k VARCHAR PRIMARY KEY, v VARCHAR NOT NULL)")

    upserts = itertools.count(1)

    def baseline() -> object:
        bare.execute("BEGIN TRANSACTION")
        bare.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", ["name", f"value {next(upserts) % 2}"])
        return bare.execute("COMMIT")

    def close() -> None:
        bare.close()
        db.close()

    return save, baseline, db, close


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _statements(save: Callable[[], object], db: Any, saves: int) -> str:
    """Time every statement of `saves` saves: median ms per kind, and how many of each a save runs."""
    times: dict[str, list[float]] = defaultdict(list)
    totals: list[float] = []
    cursor = db.cursor()

    class TimedCursor:
        def execute(self, sql: str, params: Any = None) -> Any:
            start = time.perf_counter()
            try:
                return cursor.execute(sql, params)
            finally:
                times[" ".join(sql.split()[:3])].append((time.perf_counter() - start) * 1000)

        def __getattr__(self, name: str) -> Any:
            return getattr(cursor, name)

    timed = TimedCursor()
    db.cursor = lambda: timed  # this thread's cursor, seen through the timer
    try:
        for _ in range(saves):
            totals.append(_timed(save))
    finally:
        del db.cursor
    lines = [f"{'statement':<32}{'per save':>9}{'median':>9}"]
    for kind, values in sorted(times.items(), key=lambda item: -statistics.median(item[1]) * len(item[1])):
        lines.append(f"{kind:<32}{len(values) / saves:>9.2f}{statistics.median(values):>9.3f}")
    accounted = sum(statistics.median(values) * len(values) / saves for values in times.values())
    lines.append(f"{'rest (Python, lock, retry)':<32}{'':>9}{statistics.median(totals) - accounted:>9.3f}")
    lines.append(f"{'whole save':<32}{'':>9}{statistics.median(totals):>9.3f}")
    return "\n".join(lines)


def _figures(values: list[float]) -> dict[str, float]:
    return {
        "median": statistics.median(values),
        "p95": statistics.quantiles(values, n=20)[-1],
        "min": min(values),
        "max": max(values),
    }


def _machine() -> dict[str, object]:
    import duckdb

    return {
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "cpus": os.cpu_count(),
        "load_1min": round(os.getloadavg()[0], 2),
    }


if __name__ == "__main__":
    main()
