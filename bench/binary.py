"""The built executable (dist/robustapp) against the app run from the venv (`python -m robustapp`), same run.

    size            dist/robustapp, and the folder it unpacks to
    cli             `--version`, `backup list`: launch → exit
    health cold     `run --headless`: launch → /_stcore/health 200, with an empty unpack cache (first start
                    after install; for the venv there is nothing to unpack: the same figure as warm)
    health warm     the same, unpacked already
    window cold     no arguments, under Xvfb: launch → the page rendered in the window (the server counted
    window warm     a script run), then the window is closed and the run waits for every process to end

Each start gets a fresh ROBUSTAPP_HOME (the app creates and migrates its database); binary and venv
runs are interleaved so drifting machine load hits both alike.

    python build/make.py && python bench/binary.py [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from robustapp.config import Paths  # noqa: E402
from robustapp.services.control_client import ControlClient, is_healthy  # noqa: E402
from robustapp.services.instance import RunningApp, find_running  # noqa: E402
from tests.desktop import x11  # noqa: E402

BINARY = ROOT / "dist" / "robustapp"
VENV = [sys.executable, "-m", "robustapp"]
TIMEOUT = 120.0


@contextmanager
def xvfb() -> Iterator[str]:
    """A private X server; yields its display name."""
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as reader:
        ready, _, _ = select.select([reader], [], [], 15)
        number = reader.readline().strip() if ready else ""
    try:
        if not number:
            raise RuntimeError("Xvfb did not start")
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)


class Launcher:
    """Starts one program (the binary or the venv app) in fresh homes, with its own unpack cache."""

    def __init__(self, name: str, command: list[str], workdir: Path, display: str) -> None:
        self.name = name
        self.command = command
        self.cache = workdir / f"{name}-cache"
        self.workdir = workdir
        self.display = display
        self._homes = 0

    def first_start(self, measure: Callable[[Launcher], float]) -> float:
        """`measure` with an empty unpack cache: the first start after install."""
        shutil.rmtree(self.cache, ignore_errors=True)
        return measure(self)

    def env(self, home: Path, *, window: bool = False) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROBUSTAPP_")}
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        env.update(ROBUSTAPP_HOME=str(home), XDG_CACHE_HOME=str(self.cache), BROWSER="true")
        if window:
            env["DISPLAY"] = self.display
        return env

    def new_home(self) -> Path:
        self._homes += 1
        return self.workdir / f"{self.name}-home-{self._homes}"

    def cli(self, *args: str) -> float:
        home = self.new_home()
        started = time.perf_counter()
        subprocess.run([*self.command, *args], env=self.env(home), check=True, capture_output=True, timeout=TIMEOUT)
        return time.perf_counter() - started

    def to_health(self) -> float:
        home = self.new_home()
        paths = Paths.for_home(home)
        started = time.perf_counter()
        process = subprocess.Popen([*self.command, "run", "--headless", "--port", "0"], env=self.env(home),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            app = _wait(lambda: _serving(paths), process)
            seconds = time.perf_counter() - started
            ControlClient(app).post("/api/shutdown")
            process.wait(TIMEOUT)
            return seconds
        finally:
            _kill(process)

    def to_window(self) -> float:
        home = self.new_home()
        paths = Paths.for_home(home)
        started = time.perf_counter()
        process = subprocess.Popen(self.command, env=self.env(home, window=True),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            app = _wait(lambda: find_running(paths), process)
            _wait(lambda: ControlClient(app).get("/api/status")["activity"]["script_runs"] >= 1, process)
            seconds = time.perf_counter() - started
            x11.send_close_request(self.display, x11.wait_for_window(self.display, process.pid))
            process.wait(TIMEOUT)
            return seconds
        finally:
            _kill(process)


def _serving(paths: Paths) -> RunningApp | None:
    app = find_running(paths)
    return app if app is not None and is_healthy(app.base_url, 1.0) else None


def _wait(probe: Callable[[], object], process: subprocess.Popen[bytes]) -> object:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited early with code {process.returncode}")
        if result := probe():
            return result
        time.sleep(0.02)
    raise RuntimeError(f"not ready within {TIMEOUT:g} s")


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(30)


FIGURES: dict[str, Callable[[Launcher], float]] = {
    "cli --version": lambda p: p.cli("--version"),
    "cli backup list": lambda p: p.cli("backup", "list"),
    "health cold": lambda p: p.first_start(Launcher.to_health),
    "health warm": Launcher.to_health,
    "window cold": lambda p: p.first_start(Launcher.to_window),
    "window warm": Launcher.to_window,
}


def run(runs: int) -> dict:
    samples: dict[str, dict[str, list[float]]] = {"binary": {}, "venv": {}}
    with tempfile.TemporaryDirectory(prefix="bench-binary-") as workdir, xvfb() as display:
        programs = [Launcher("binary", [str(BINARY)], Path(workdir), display),
                    Launcher("venv", VENV, Path(workdir), display)]
        for program in programs:  # untimed: unpack once, fill the OS page cache
            program.cli("--version")
        for i in range(runs):
            for program in programs if i % 2 == 0 else programs[::-1]:
                for figure, measure in FIGURES.items():
                    seconds = measure(program)
                    samples[program.name].setdefault(figure, []).append(seconds)
                    line = f"  run {i + 1}/{runs} {program.name:6} {figure:16} {seconds:.3f} s"
                    print(line, file=sys.stderr, flush=True)
        unpacked = next((Path(workdir) / "binary-cache" / "robustapp").glob("app-*"))
        folder_bytes = sum(f.stat().st_size for f in unpacked.rglob("*") if f.is_file() and not f.is_symlink())
    medians = {name: {f: statistics.median(values) for f, values in by.items()} for name, by in samples.items()}
    return {
        "benchmark": "binary",
        "unit": "s",
        "runs": runs,
        "size_mb": {"binary": BINARY.stat().st_size / 1e6, "unpacked": folder_bytes / 1e6},
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "median": medians,
        "ratio_binary_over_venv": {f: medians["binary"][f] / medians["venv"][f] for f in FIGURES},
        "samples": samples,
    }


def print_table(report: dict) -> None:
    size = report["size_mb"]
    print(f"binary: {size['binary']:.0f} MB (unpacks to {size['unpacked']:.0f} MB); "
          f"{report['runs']} runs each, medians, {report['cpus']} CPUs, load {report['load_average_1m']}")
    print(f"{'':18}{'binary':>10}{'venv':>10}{'binary/venv':>13}")
    for figure in FIGURES:
        binary, venv = report["median"]["binary"][figure], report["median"]["venv"][figure]
        print(f"{figure:18}{binary:>8.3f} s{venv:>8.3f} s{report['ratio_binary_over_venv'][figure]:>12.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per program (default 3)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    args = parser.parse_args()
    if not BINARY.is_file():
        parser.error(f"{BINARY} is missing: build it with `python build/make.py`")
    report = run(args.runs)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)


if __name__ == "__main__":
    main()
