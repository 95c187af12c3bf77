"""Background jobs: what JobService adds to a bare ProcessPoolExecutor(spawn), same machine, same run.

    python bench/jobs.py [--jobs 200] [--warmup 20] [--burst 200] [--workers 1] [--json]

Both pools are started and warmed up first (spawn start-up is not what is measured). Then, one
trivial job at a time, interleaved (service, bare, service, …), so drifting load hits both alike:
  enqueue        the enqueue() call: the job's row committed
  → running      enqueue() called → the job's function begins in a worker (its started_at)
  → succeeded    enqueue() called → wait() returns it succeeded, final state committed
  bare           ProcessPoolExecutor.submit(trivial).result(): the round trip a job needs at least
  overhead       → succeeded minus bare (median and p95 of the pairs): what the service costs per job
Then a burst: `--burst` trivial jobs enqueued back to back and waited for, against the same
number of bare submits gathered at once; per-job time and the ratio. Figures in ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=200, help="timed single jobs of each kind")
    parser.add_argument("--warmup", type=int, default=20, help="untimed jobs of each kind first")
    parser.add_argument("--burst", type=int, default=200, help="jobs in the burst (0: no burst)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes of both pools")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    import multiprocessing

    from robustapp.logs import configure_logging
    from robustapp.services.jobs import JobService
    from robustapp.storage import Database, migrate

    with tempfile.TemporaryDirectory(prefix="robustapp-bench-") as home:
        configure_logging(Path(home) / "bench.log", level="WARNING")
        db = Database(Path(home) / "jobs.duckdb", checkpoint_idle_seconds=3600)  # no idle checkpoint mid-run
        migrate(db)
        jobs = JobService(db, workers=args.workers)
        jobs.start()
        bare = ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn"))
        try:
            for _ in range(args.warmup):
                _service_once(jobs)
                _bare_once(bare)
            samples: dict[str, list[float]] = {"enqueue": [], "running": [], "succeeded": [], "bare": []}
            for _ in range(args.jobs):
                for name, value in _service_once(jobs).items():
                    samples[name].append(value)
                samples["bare"].append(_bare_once(bare))
            burst = _burst(jobs, bare, args.burst) if args.burst else None
        finally:
            bare.shutdown()
            jobs.stop()
            db.close()

    samples["overhead"] = [s - b for s, b in zip(samples["succeeded"], samples["bare"], strict=True)]
    figures = {name: _figures(values) for name, values in samples.items()}
    report = {"figures_ms": figures, "burst_ms_per_job": burst, "machine": _machine(args.workers), "samples": samples}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    machine = report["machine"]
    print(
        f"{args.jobs} single jobs each · {args.workers} worker(s) · Python {machine['python']} · "
        f"DuckDB {machine['duckdb']} · {machine['cpus']} CPUs · load {machine['load_1min']}"
    )
    print(f"{'':<14}{'median':>9}{'p95':>9}{'min':>9}{'max':>9}")
    labels = {
        "enqueue": "enqueue", "running": "→ running", "succeeded": "→ succeeded", "bare": "bare", "overhead": "overhead"
    }
    for name, label in labels.items():
        print(f"{label:<14}" + "".join(f"{figures[name][stat]:>9.3f}" for stat in ("median", "p95", "min", "max")))
    ratio = figures["succeeded"]["median"] / figures["bare"]["median"]
    print(f"{'ratio':<14}{ratio:>9.1f}   (→ succeeded / bare, median)")
    if burst:
        print(
            f"burst of {args.burst}: {burst['service']:.3f} ms per job vs bare {burst['bare']:.3f} ms "
            f"(ratio {burst['service'] / burst['bare']:.1f})"
        )


def _service_once(jobs: Any) -> dict[str, float]:
    start = time.time()
    job_id = jobs.enqueue("noop")
    queued = time.time()
    info = jobs.wait(job_id, timeout=30)
    done = time.time()
    if info.state != "succeeded" or info.started_at is None:
        raise SystemExit(f"job {job_id} ended {info.state}: {info.error}")
    return {
        "enqueue": (queued - start) * 1000,
        "running": (info.started_at.timestamp() - start) * 1000,
        "succeeded": (done - start) * 1000,
    }


def _bare_once(bare: ProcessPoolExecutor) -> float:
    start = time.perf_counter()
    bare.submit(os.getpid).result()
    return (time.perf_counter() - start) * 1000


def _burst(jobs: Any, bare: ProcessPoolExecutor, count: int) -> dict[str, float]:
    start = time.perf_counter()
    ids = [jobs.enqueue("noop") for _ in range(count)]
    for job_id in ids:
        jobs.wait(job_id, timeout=60)
    service = (time.perf_counter() - start) * 1000 / count
    start = time.perf_counter()
    for future in [bare.submit(os.getpid) for _ in range(count)]:
        future.result()
    return {"service": service, "bare": (time.perf_counter() - start) * 1000 / count}


def _figures(values: list[float]) -> dict[str, float]:
    return {
        "median": statistics.median(values),
        "p95": statistics.quantiles(values, n=20)[-1],
        "min": min(values),
        "max": max(values),
    }


def _machine(workers: int) -> dict[str, object]:
    import duckdb

    return {
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "cpus": os.cpu_count(),
        "workers": workers,
        "load_1min": round(os.getloadavg()[0], 2),
    }


if __name__ == "__main__":
    main()
