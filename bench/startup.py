"""Cold start: this app (`robustapp run --headless`) against a bare one-widget Streamlit script.

For each run, a fresh process in a fresh temp home (so the app creates and migrates its database):

    launch ──▶ GET /_stcore/health answers 200            "health"
    launch ──▶ first page drawn in Chromium (marker        "render"
               visible, script run finished)

Chromium is launched once, before any timing; each run opens a new browser context (no cache,
no cookies). Runs are interleaved (app, bare, then bare, app, …) so drifting machine load hits
both alike. One untimed warm-up run of each fills the OS page cache first.

    python bench/startup.py [--runs 5] [--warmup 1] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import httpx

from servers import (
    AppServer,
    BareServer,
    add_bare_flag_option,
    chromium,
    configure_bare,
    machine,
    running,
    summary,
    wait_rendered,
)


def measure_once(browser, server_class: type) -> dict[str, float]:
    """Seconds from launch to health 200 and to the first rendered page."""
    with running(server_class()) as server, httpx.Client(timeout=2) as client:
        healthy = server.wait_healthy(client)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            page.goto(server.page_url)
            wait_rendered(page, server)
            rendered = time.perf_counter()
        finally:
            context.close()
        return {"health": healthy - server.started_at, "render": rendered - server.started_at}


def run(runs: int, warmup: int) -> dict:
    samples: dict[str, dict[str, list[float]]] = {
        name: {"health": [], "render": []} for name in ("app", "bare")
    }
    with chromium() as browser:
        for _ in range(warmup):
            measure_once(browser, AppServer)
            measure_once(browser, BareServer)
        for i in range(runs):
            order = (AppServer, BareServer) if i % 2 == 0 else (BareServer, AppServer)
            for server_class in order:
                result = measure_once(browser, server_class)
                for metric, seconds in result.items():
                    samples[server_class.name][metric].append(seconds)
                print(
                    f"  run {i + 1}/{runs} {server_class.name:4}: health {result['health']:.3f} s, "
                    f"render {result['render']:.3f} s",
                    file=sys.stderr,
                    flush=True,
                )
    figures = {name: {m: summary(v) for m, v in metrics.items()} for name, metrics in samples.items()}
    ratios = {m: figures["app"][m]["median"] / figures["bare"][m]["median"] for m in ("health", "render")}
    return {
        "benchmark": "startup",
        "unit": "s",
        "runs": runs,
        "warmup": warmup,
        "machine": machine(),
        "results": figures,
        "ratio_app_over_bare_median": ratios,
        "samples": samples,
    }


def print_table(report: dict) -> None:
    m = report["machine"]
    print(
        f"startup: {report['runs']} runs each, interleaved, {report['warmup']} warm-up "
        f"(Python {m['python']}, Streamlit {m['streamlit']}, {m['cpus']} CPUs, load {m['load_average_1m']})"
    )
    if m["bare_flags"]:
        print(f"bare app with: {' '.join(m['bare_flags'])}")
    print(f"{'':18}{'app median':>12}{'app p95':>10}{'bare median':>13}{'bare p95':>10}{'app/bare':>10}")
    labels = {"health": "launch → health", "render": "launch → render"}
    for metric, label in labels.items():
        app, bare = report["results"]["app"][metric], report["results"]["bare"][metric]
        print(
            f"{label:18}{app['median']:>10.3f} s{app['p95']:>8.3f} s{bare['median']:>11.3f} s"
            f"{bare['p95']:>8.3f} s{report['ratio_app_over_bare_median'][metric]:>9.2f}×"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per server (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs per server first (default 1)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    add_bare_flag_option(parser)
    args = parser.parse_args()
    configure_bare(args.bare_flag)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    report = run(args.runs, args.warmup)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)


if __name__ == "__main__":
    main()
