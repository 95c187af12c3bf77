"""The jobs that come with the app (and serve the tests and benchmarks).

    process jobs (a worker; params in, data or a file out)   DB tasks (a thread with its own cursor)
      pi       Monte Carlo estimate of π, with progress        db.range_sum  a long, interruptible query
      sleep    waits, reporting progress; optionally deaf
      fail     raises, so errors and tracebacks can be seen
      parquet  writes a generated table to a Parquet file
      noop     returns at once (benchmarks: the per-job overhead)

Heavy imports (numpy, duckdb) happen inside the job that needs them: every worker imports
this module.
"""

from __future__ import annotations

import os
import time
from typing import Any

from robustapp.jobs.progress import Progress
from robustapp.jobs.registry import job


BATCH = 32_768  # points per numpy batch: 512 KiB of coordinates


@job("pi")
def monte_carlo_pi(
    progress: Progress, *, samples: int = 20_000_000, chunks: int = 50, seed: int | None = None
) -> dict[str, Any]:
    """Estimate π by throwing random points at a square (CPU-bound, in chunks with progress)."""
    import numpy as np

    if samples < 1 or chunks < 1:
        raise ValueError(f"samples={samples} and chunks={chunks} must both be at least 1")
    rng = np.random.default_rng(seed)
    inside = done = 0
    for chunk in range(chunks):
        size = samples // chunks + (1 if chunk < samples % chunks else 0)
        for start in range(0, size, BATCH):  # batches that fit in a core's cache: no memory traffic
            points = rng.random((min(BATCH, size - start), 2))  # that would slow the app's own work
            inside += int(np.count_nonzero((points**2).sum(axis=1) <= 1.0))
        done += size
        progress.report(done / samples, f"{done:,} of {samples:,} points")
    return {"pi": 4 * inside / done, "samples": done}


@job("sleep")
def sleep(progress: Progress, *, seconds: float = 1.0, steps: int = 20, deaf: bool = False) -> dict[str, Any]:
    """Wait `seconds`, reporting progress `steps` times; `deaf` ignores cancel requests."""
    if deaf:  # a job that never looks up: only killing its worker stops it
        time.sleep(seconds)
    else:
        for step in range(steps):
            time.sleep(seconds / steps)
            progress.report((step + 1) / steps, f"step {step + 1} of {steps}")
    return {"slept": seconds, "pid": os.getpid()}


class JobFailedOnPurpose(RuntimeError):
    """What the `fail` job raises."""


@job("fail")
def fail(progress: Progress, *, message: str = "this job fails on purpose", after: float = 0.0) -> None:
    """Raise an error (after `after` seconds), to see how a failure is reported."""
    if after:
        progress.report(0.5, "about to fail")
        time.sleep(after)
    raise JobFailedOnPurpose(message)


@job("noop")
def noop(progress: Progress) -> None:
    """Return at once."""


@job("parquet")
def random_parquet(progress: Progress, *, path: str, rows: int = 100_000, seed: int = 7) -> dict[str, Any]:
    """Write a generated table of `rows` rows to the Parquet file `path` (for the owner to load)."""
    import duckdb

    progress.report(0.0, "generating")
    with duckdb.connect(":memory:") as scratch:  # in memory: workers never open the app's database file
        scratch.execute(f"SELECT setseed({(seed % 1000) / 1000})")
        scratch.execute(
            f"COPY (SELECT range AS id, random() AS value, 'item ' || range AS name FROM range({int(rows)})) "
            "TO ? (FORMAT parquet)",
            [path],
        )
    progress.report(1.0, "written")
    return {"path": path, "rows": rows}


@job("db.range_sum", kind="db")
def range_sum(cursor: Any, progress: Progress, *, n: int = 10_000_000, width: int = 1) -> int:
    """Sum over a generated range of `n` × `width` rows inside DuckDB (long for a big `width`)."""
    progress.report(0.0, f"summing {n * width:,} rows")
    row = cursor.execute("SELECT sum(a.range + b.range) FROM range(?) a, range(?) b", [int(n), int(width)]).fetchone()
    return int(row[0]) if row and row[0] is not None else 0
