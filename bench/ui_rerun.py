"""Server-side time of one rerun of each page, under AppTest.

    python bench/ui_rerun.py [--runs 50] [--items 10000] [--cache-files 20000]

Seeds a throwaway data home (demo items, and a cache folder as full as a busy diskcache), then
reruns each page. Two figures per page, in ms:
  script  the app script itself (robustapp.ui.shell.main), i.e. the server's work for one rerun
  apptest one AppTest.run() round trip: the script plus AppTest's thread start and polling
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import tempfile
import time
from pathlib import Path

APP_SCRIPT = str(Path(__file__).resolve().parent.parent / "robustapp" / "ui" / "app.py")
PAGES = ("home", "datasets", "browse", "profile", "sql", "jobs", "demo", "settings", "audit")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--items", type=int, default=10_000, help="demo items in the database")
    parser.add_argument("--cache-files", type=int, default=20_000, help="files in the cache folder")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="robustapp-bench-") as home:
        os.environ["ROBUSTAPP_HOME"] = home
        os.environ["ROBUSTAPP_ENV_FILE"] = str(Path(home) / "no-such.env")
        _memoise_component_scan()
        from robustapp import bootstrap

        try:
            _seed(bootstrap.start(), args.items, args.cache_files)
            print(f"{args.runs} reruns per page · {args.items} demo items · {args.cache_files} cache files")
            print(f"{'page':<10}{'script median':>15}{'p95':>8}{'apptest median':>16}{'p95':>8}")
            for page in PAGES:
                script, apptest = _measure(page, args.runs)
                print(
                    f"{page:<10}{_median(script):>15.1f}{_p95(script):>8.1f}"
                    f"{_median(apptest):>16.1f}{_p95(apptest):>8.1f}"
                )
        finally:
            bootstrap.stop()


def _measure(page: str, runs: int) -> tuple[list[float], list[float]]:
    from streamlit.testing.v1 import AppTest

    from robustapp.ui import shell

    script: list[float] = []
    draw = shell.main

    def timed_main() -> None:  # ui/app.py imports `main` from the shell on every run
        start = time.perf_counter()
        try:
            draw()
        finally:
            script.append((time.perf_counter() - start) * 1000)

    shell.main = timed_main
    try:
        at = AppTest.from_file(APP_SCRIPT, default_timeout=30)
        at.query_params["page"] = page
        at.run()  # the session's first run: imports, first queries
        if at.exception:
            raise SystemExit(f"{page}: {at.exception[0].message}")
        script.clear()
        apptest: list[float] = []
        for _ in range(runs):
            start = time.perf_counter()
            at.run()
            apptest.append((time.perf_counter() - start) * 1000)
        return script, apptest
    finally:
        shell.main = draw


def _seed(services, items: int, cache_files: int) -> None:
    from robustapp.services import demo

    if items:
        demo.seed(services.db, items)
    for index in range(cache_files):
        folder = services.paths.cache_dir / f"{index % 256:02x}"
        folder.mkdir(exist_ok=True)
        (folder / f"{index}.val").write_bytes(b"\0" * 64)


def _memoise_component_scan() -> None:
    """As tests/conftest.py does: a fresh AppTest scans every installed package for components."""
    from streamlit.components.v2 import manifest_scanner

    manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


if __name__ == "__main__":
    main()
