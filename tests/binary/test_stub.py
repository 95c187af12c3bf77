"""The single-file wrapper (build/stub.c + build/bundle.py) around a tiny stand-in for the PyInstaller folder.

The stand-in's `robustapp` is a shell script that prints its arguments, the folder it runs from and
ROBUSTAPP_EXECUTABLE: what the real app would see.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from build.bundle import write_executable
from build.make import compile_stub_to

pytestmark = pytest.mark.binary

SCRIPT = '#!/bin/sh\necho "args=$*"\necho "dir=$(cd "$(dirname "$0")" && pwd)"\necho "self=$ROBUSTAPP_EXECUTABLE"\n'


@pytest.fixture(scope="module")
def stub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compile_stub_to(tmp_path_factory.mktemp("stub") / "stub")


def _wrap(stub: Path, where: Path, version: str = "1.0", extra: str = "") -> Path:
    folder = where / f"onedir-{version}{extra}"
    (folder / "_internal" / "data").mkdir(parents=True)
    (folder / "robustapp").write_text(SCRIPT)
    (folder / "robustapp").chmod(0o755)
    (folder / "_internal" / "data" / "payload.bin").write_bytes(os.urandom(200_000) + extra.encode())
    (folder / "_internal" / "link").symlink_to("data/payload.bin")
    out = where / f"robustapp-{version}{extra}"
    write_executable(stub, folder, version, out)
    return out


def _run(executable: Path, cache: Path, *args: str) -> dict[str, str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    result = subprocess.run([str(executable), *args], env=env, capture_output=True, text=True, timeout=30, check=True)
    return dict(line.split("=", 1) for line in result.stdout.splitlines())


def _entries(cache: Path) -> list[str]:
    return sorted(p.name for p in (cache / "robustapp").iterdir())


def test_the_first_start_unpacks_and_later_starts_reuse_the_copy(stub: Path, tmp_path: Path) -> None:
    executable, cache = _wrap(stub, tmp_path), tmp_path / "cache"
    first = _run(executable, cache, "backup", "list")
    assert first["args"] == "backup list" and first["self"] == str(executable)
    [copy] = _entries(cache)
    assert first["dir"] == str(cache / "robustapp" / copy) and copy.startswith("app-1.0-")
    assert (cache / "robustapp" / copy / "_internal" / "link").is_symlink()
    marker = (cache / "robustapp" / copy / ".robustapp-complete").stat().st_mtime_ns
    assert _run(executable, cache)["dir"] == first["dir"]
    assert (cache / "robustapp" / copy / ".robustapp-complete").stat().st_mtime_ns == marker, "not unpacked again"


def test_concurrent_first_starts_all_run_and_leave_one_copy(stub: Path, tmp_path: Path) -> None:
    executable, cache = _wrap(stub, tmp_path), tmp_path / "cache"
    with ThreadPoolExecutor(6) as pool:
        runs = list(pool.map(lambda i: _run(executable, cache, str(i)), range(6)))
    assert sorted(run["args"] for run in runs) == [str(i) for i in range(6)]
    assert len(_entries(cache)) == 1, _entries(cache)


def test_a_damaged_copy_is_unpacked_again(stub: Path, tmp_path: Path) -> None:
    executable, cache = _wrap(stub, tmp_path), tmp_path / "cache"
    copy = Path(_run(executable, cache)["dir"])
    (copy / "_internal" / "data" / "payload.bin").write_bytes(b"truncated")
    assert _run(executable, cache)["dir"] == str(copy)
    assert (copy / "_internal" / "data" / "payload.bin").stat().st_size == 200_000
    assert _entries(cache) == [copy.name]


def test_old_versions_are_removed_unless_running_and_a_crashed_unpack_is_cleaned_up(stub: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    old = Path(_run(_wrap(stub, tmp_path, "0.8"), cache)["dir"])
    running = Path(_run(_wrap(stub, tmp_path, "0.9"), cache)["dir"])
    crashed = cache / "robustapp" / ".tmp-12345-deadbeef"
    (crashed / "_internal").mkdir(parents=True)
    os.utime(crashed, (time.time() - 3600, time.time() - 3600))
    holder = os.open(running, os.O_RDONLY | os.O_DIRECTORY)  # as the stub leaves it for a running app
    fcntl.flock(holder, fcntl.LOCK_SH)
    try:
        newest = _wrap(stub, tmp_path, "1.0")
        current = Path(_run(newest, cache)["dir"])
        assert _entries(cache) == sorted([running.name, current.name])
    finally:
        os.close(holder)
    _run(newest, cache)
    assert _entries(cache) == [current.name] and not old.exists()


def test_a_file_without_a_payload_says_so(stub: Path, tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    result = subprocess.run([str(stub)], capture_output=True, text=True, env=env)
    assert result.returncode == 1 and "holds no app" in result.stderr
