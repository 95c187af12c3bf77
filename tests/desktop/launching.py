"""One launch of `python -m robustapp` under test: the process, what it started, what it printed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

from robustapp.config import Paths
from robustapp.services.control_client import ControlClient
from robustapp.services.instance import RunningApp, find_running


class Launch:
    """One `python -m robustapp …` process, what it started, and what it printed."""

    def __init__(self, home: Path, env: dict[str, str], output_dir: Path, args: tuple[str, ...]) -> None:
        self.paths = Paths.for_home(home)
        self._stdout = open(output_dir / "stdout.txt", "wb")  # closed in finish()
        self._stderr = open(output_dir / "stderr.txt", "wb")
        self._output_dir = output_dir
        self.process = subprocess.Popen(
            [sys.executable, "-m", "robustapp", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._stdout,
            stderr=self._stderr,
        )
        self.pid = self.process.pid
        self._family: dict[int, psutil.Process] = {self.pid: psutil.Process(self.pid)}

    def output(self) -> str:
        self._stdout.flush()
        self._stderr.flush()
        return (self._output_dir / "stdout.txt").read_text() + (self._output_dir / "stderr.txt").read_text()

    def running_app(self) -> RunningApp | None:
        return find_running(self.paths)

    def wait_serving(self, timeout: float = 60.0) -> RunningApp:
        """Wait until the server publishes itself and answers its control API."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._assert_alive()
            app = self.running_app()
            if app is not None:
                self.remember_family()
                return app
            time.sleep(0.1)
        raise AssertionError(f"no server within {timeout:g} s; output:\n{self.output()}")

    def wait_rendered(self, timeout: float = 60.0) -> RunningApp:
        """Wait until a page was rendered through the token cookie: the server counted a script run."""
        deadline = time.monotonic() + timeout
        app = self.wait_serving(timeout)
        while time.monotonic() < deadline:
            self._assert_alive()
            if ControlClient(app).get("/api/status")["activity"]["script_runs"] >= 1:
                self.remember_family()
                return app
            time.sleep(0.1)
        raise AssertionError(f"the page was not rendered within {timeout:g} s; output:\n{self.output()}")

    def remember_family(self) -> None:
        """Record every descendant now: once orphaned, a process is no longer found under the launcher."""
        try:
            for child in psutil.Process(self.pid).children(recursive=True):
                self._family.setdefault(child.pid, child)
        except psutil.NoSuchProcess:
            pass

    def family(self) -> list[psutil.Process]:
        return list(self._family.values())

    def wait_exit(self, timeout: float = 30.0) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the launcher did not exit within {timeout:g} s; output:\n{self.output()}") from None

    def survivors(self, timeout: float = 15.0) -> list[str]:
        """Processes of the tree still running after `timeout` seconds (exited ones are reaped)."""
        deadline = time.monotonic() + timeout
        while True:
            alive = [p for p in self.family() if self._is_running(p)]
            if not alive or time.monotonic() > deadline:
                return [f"{p.pid} {_name(p)}" for p in alive]
            time.sleep(0.1)

    def finish(self) -> None:
        """Teardown: kill whatever a failed test left, reap it, close the output files."""
        leftovers = [process for process in self.family() if self._is_running(process)]
        for process in leftovers:
            process.kill()
        psutil.wait_procs(leftovers, timeout=10)
        self.process.wait(10)
        for process in self.family():
            _reap(process.pid)
        self._stdout.close()
        self._stderr.close()

    def _is_running(self, process: psutil.Process) -> bool:
        if process.pid != self.pid:  # the launcher itself is Popen's to reap: its exit code matters
            _reap(process.pid)
        try:
            return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    def _assert_alive(self) -> None:
        code = self.process.poll()
        if code is not None:
            raise AssertionError(f"the launcher exited early with code {code}; output:\n{self.output()}")


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _name(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())[:120]
    except psutil.Error:
        return "?"
