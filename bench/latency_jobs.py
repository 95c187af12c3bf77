"""Interaction latency on the Demo page while CPU-bound jobs run, against the same page idle.

One app server (JOB_MAX_WORKERS = --jobs), one Chromium tab on its Demo page. The interactions
come in rounds that alternate between two conditions, so drifting machine load hits both:

    idle  no job queued or running
    busy  --jobs Monte Carlo π jobs running (queued through the control API, each long enough
          to outlast the round; cancelled at its end), one per worker process; `--job sleep`
          runs jobs that report progress as often but use no CPU

Each interaction is timed as in latency.py: Enter in `demo_name` → the echo in the DOM, inside
the page. The target (issue 4): busy/idle ≤ 1.3 at the median.

    python bench/latency_jobs.py [--interactions 40] [--round 5] [--jobs 2] [--job pi|sleep] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import httpx

from latency import interact, open_page
from servers import AppServer, chromium, machine, running, summary

# Minutes of work, so a job is always still running at its round's end. `sleep` reports progress as
# often as `pi` but uses no CPU: it separates what the app does for a running job from CPU contention.
JOBS = {
    "pi": {"samples": 4_000_000_000, "chunks": 4_000},
    "sleep": {"seconds": 600, "steps": 24_000},
}


def _api(client: httpx.Client, app: AppServer, method: str, path: str, **params: str) -> object:
    response = client.request(
        method, f"{app.base_url}{path}", params=params, headers={"Authorization": f"Bearer {app.token}"}
    )
    response.raise_for_status()
    return response.json()


def _start_jobs(client: httpx.Client, app: AppServer, job: str, count: int, workers: int) -> list[int]:
    params = json.dumps(JOBS[job])
    ids = [int(_api(client, app, "POST", "/api/jobs", name=job, params=params)["id"]) for _ in range(count)]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # every job has a worker and is computing
        running_now = _api(client, app, "GET", "/api/jobs", state="running", name=job)
        if len(running_now) == min(count, workers) and all(info["progress"] > 0 for info in running_now):
            return ids
        time.sleep(0.05)
    raise TimeoutError(f"{count} {job} jobs did not all start within 30 s")


def _stop_jobs(client: httpx.Client, app: AppServer, ids: list[int]) -> None:
    for job_id in ids:
        _api(client, app, "POST", f"/api/jobs/{job_id}/cancel")
    deadline = time.monotonic() + 30
    while _api(client, app, "GET", "/api/jobs", state=["queued", "running"]):
        if time.monotonic() > deadline:
            raise TimeoutError("the jobs did not stop within 30 s")
        time.sleep(0.05)


def run(interactions: int, round_size: int, jobs: int, warmup: int, job: str = "pi", workers: int | None = None) -> dict:
    samples: dict[str, list[float]] = {"idle": [], "busy": []}
    with chromium() as browser, running(AppServer(job_max_workers=str(workers or jobs))) as app, httpx.Client(timeout=10) as client:
        app.wait_healthy(client)
        page = open_page(browser, app, app.url_for("page=demo"))
        for _ in range(warmup):
            interact(page, "app")
        condition = "idle"
        while min(len(values) for values in samples.values()) < interactions:
            running_ids = _start_jobs(client, app, job, jobs, workers or jobs) if condition == "busy" else []
            try:
                for _ in range(round_size):
                    samples[condition].append(interact(page, "app"))
            finally:
                _stop_jobs(client, app, running_ids)
            print(f"  {len(samples['idle'])} idle, {len(samples['busy'])} busy", file=sys.stderr, flush=True)
            condition = "busy" if condition == "idle" else "idle"
    figures = {name: summary(values[:interactions]) for name, values in samples.items()}
    return {
        "benchmark": "latency_jobs",
        "unit": "ms",
        "interactions": interactions,
        "jobs": jobs,
        "job": job,
        "workers": workers or jobs,
        "machine": machine(),
        "results": figures,
        "ratio_busy_over_idle_median": figures["busy"]["median"] / figures["idle"]["median"],
        "ratio_busy_over_idle_p95": figures["busy"]["p95"] / figures["idle"]["p95"],
        "samples": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=40, help="timed interactions per condition (default 40)")
    parser.add_argument("--round", type=int, default=5, help="interactions per round of one condition (default 5)")
    parser.add_argument("--jobs", type=int, default=2, help="CPU-bound jobs running in the busy rounds (default 2)")
    parser.add_argument("--workers", type=int, help="JOB_MAX_WORKERS of the app (default: --jobs, so all run at once)")
    parser.add_argument("--job", choices=sorted(JOBS), default="pi", help="what the busy jobs do (default pi)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed interactions first (default 5)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    args = parser.parse_args()
    report = run(args.interactions, args.round, args.jobs, args.warmup, args.job, args.workers)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    m = report["machine"]
    print(
        f"latency on the Demo page: Enter → echo, {args.interactions} interactions per condition, rounds of "
        f"{args.round} (Python {m['python']}, Streamlit {m['streamlit']}, {m['cpus']} CPUs, load {m['load_average_1m']})"
    )
    print(f"{'':34}{'median':>9}{'p95':>9}{'min':>9}{'max':>9}")
    labels = {"idle": "idle", "busy": f"busy ({args.jobs} {args.job} jobs, {report['workers']} workers)"}
    for name, label in labels.items():
        r = report["results"][name]
        print(f"{label:34}{r['median']:>6.1f} ms{r['p95']:>6.1f} ms{r['min']:>6.1f} ms{r['max']:>6.1f} ms")
    print(f"{'busy/idle':34}{report['ratio_busy_over_idle_median']:>8.2f}×{report['ratio_busy_over_idle_p95']:>8.2f}×")


if __name__ == "__main__":
    main()
