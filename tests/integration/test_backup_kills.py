"""kill -9 in the middle of `robustapp backup create` and `robustapp backup restore`, at named points
(ROBUSTAPP_HOLD_AT holds the process there) and after varying delays: afterwards the database opens
with its old content or the new one, and an unfinished backup is never listed as one.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from robustapp import bootstrap
from robustapp.config import Paths, load_settings
from robustapp.services import backups, restore
from robustapp.services.backup_files import HOLD_ENV, list_folder
from tests.integration.backup_support import everything, fill
from tests.integration.helpers import wait_until

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")

DELAYS = (0.4, 0.5, 0.65)  # seconds after the start: the interpreter starting, the work (~0.2-0.4 s in), or after it


class Command:
    """`python -m robustapp ARGS` in the background, its stderr collected."""

    def __init__(self, *args: str, hold: str | None = None) -> None:
        env = dict(os.environ, **({HOLD_ENV: hold} if hold else {}))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "robustapp", *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        self.stderr: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line)

    def kill_at(self, point: str) -> None:
        assert wait_until(lambda: f"holding at {point}\n" in self.stderr, timeout=30), "".join(self.stderr)
        self.kill()

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._reader.join(timeout=10)
        self.process.stderr.close()  # type: ignore[union-attr]


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    """A data home with every kind of state and a table big enough that copying it takes a moment."""
    files = tmp_path / "files"
    files.mkdir()
    services = bootstrap.build(load_settings())
    fill(services, files, 1)
    services.db.write(lambda cursor: cursor.execute(
        "CREATE TABLE filler AS SELECT range AS id, md5(range::VARCHAR) AS text FROM range(600000)"
    ))  # fmt: skip
    services.close()
    return services.paths


def _every_listed_backup_verifies(paths: Paths) -> list[str]:
    listed = list_folder(paths.backup_dir)
    for info in listed:
        backups.verify_file(Path(info.path))
    return [info.id for info in listed]


def test_a_backup_killed_at_any_moment_leaves_the_database_as_it_was_and_lists_no_partial_backup(
    paths: Paths,
) -> None:
    before = everything(paths.db_path)
    for point in ("backup:snapshot", "backup:sealed"):
        Command("backup", "create", hold=point).kill_at(point)
        assert _every_listed_backup_verifies(paths) == [], point
        assert everything(paths.db_path) == before, point
    assert any(path.name.endswith(".part") for path in paths.backup_dir.iterdir())  # what the kills left
    for delay in DELAYS:
        command = Command("backup", "create")
        time.sleep(delay)
        command.kill()
        _every_listed_backup_verifies(paths)
        assert everything(paths.db_path) == before, delay

    made = backups.create_offline(paths)

    assert made.id in _every_listed_backup_verifies(paths)
    assert [path.name for path in paths.backup_dir.iterdir() if path.name.startswith(".")] == []


def test_a_restore_killed_at_any_moment_leaves_the_old_database_or_the_restored_one(
    paths: Paths, tmp_path: Path
) -> None:
    restored_content = everything(paths.db_path)
    made = backups.create_offline(paths)
    services = bootstrap.build(load_settings())
    fill(services, tmp_path / "files", 2)
    services.close()
    old_content = everything(paths.db_path)
    old_file = tmp_path / "old.duckdb"
    shutil.copyfile(paths.db_path, old_file)  # closed, no WAL: a byte copy is the database
    outcomes = {}

    for point in ("restore:unpacked", "restore:before-swap", "restore:swapped"):
        shutil.copyfile(old_file, paths.db_path)
        Command("backup", "restore", made.id, "--yes", hold=point).kill_at(point)
        outcomes[point] = everything(paths.db_path)
    for delay in DELAYS:
        shutil.copyfile(old_file, paths.db_path)
        command = Command("backup", "restore", made.id, "--yes")
        time.sleep(delay)
        command.kill()
        assert everything(paths.db_path) in (old_content, restored_content), delay
        _every_listed_backup_verifies(paths)

    assert outcomes["restore:unpacked"] == outcomes["restore:before-swap"] == old_content
    assert outcomes["restore:swapped"] == restored_content
    restore.restore(made.id, paths)  # what the kills left does not stand in the way
    assert everything(paths.db_path) == restored_content
    assert [path.name for path in paths.data_dir.iterdir() if path.name.startswith(".")] == []
