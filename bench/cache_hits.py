"""The cost of a `@cache_data` call: a hit in memory, a hit on disk, and a miss that stores.

    python bench/cache_hits.py [--calls 2000] [--json]

Each figure is one whole call of a decorated function with two tags (argument binding, the
stable key, reading both tag versions, the lookup, unpickling a fresh copy), in µs, for a small
value (a 10-row list of dicts, ~0.5 kB pickled) and a large one (a 100 kB bytes object). "disk"
uses a cache whose memory level holds nothing, so every hit is read from the diskcache
directory; "miss" computes nothing (the function returns a prepared value) and stores it.
Targets (issue 4): memory ≤ 50 µs, disk ≤ 1 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

VALUES = {"small": [{"id": i, "name": f"item {i}", "value": i * 1.5} for i in range(10)], "large": bytes(100_000)}


def value_of(name: str, index: int = 0) -> object:
    return VALUES[name]


def _timed_calls(value_of: Callable[[str, int], object], calls: list[tuple[str, int]]) -> list[float]:
    samples = []
    for name, index in calls:
        start = time.perf_counter()
        value_of(name, index)
        samples.append((time.perf_counter() - start) * 1e6)
    return samples


def _figures(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"median": statistics.median(ordered), "p95": ordered[int(len(ordered) * 0.95) - 1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000, help="timed calls per figure")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    from robustapp.cache import Cache, cache_data, install

    cached = cache_data(tags={"table:items", "dataset:{name}"})(value_of)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="robustapp-bench-") as home:
        for name in VALUES:
            for level, memory_bytes in (("memory", 256 * 1024 * 1024), ("disk", 0)):
                cache = Cache(Path(home) / f"{name}-{level}", memory_limit_bytes=memory_bytes)
                install(cache)
                misses = _timed_calls(cached, [(name, i) for i in range(args.calls)])
                hits = _timed_calls(cached, [(name, i) for i in range(args.calls)])
                install(None)
                cache.close()
                results[f"{name} hit, {level}"] = _figures(hits)
                if level == "memory":
                    results[f"{name} miss + store"] = _figures(misses)

    if args.json:
        print(json.dumps({"unit": "µs", "calls": args.calls, "figures": results}, indent=2))
        return
    print(f"{'call':<24}{'median µs':>12}{'p95 µs':>12}")
    for what, figures in results.items():
        print(f"{what:<24}{figures['median']:>12.1f}{figures['p95']:>12.1f}")


if __name__ == "__main__":
    main()
