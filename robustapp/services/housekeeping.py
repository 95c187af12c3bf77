"""`robustapp clean`: remove what can be rebuilt (caches, logs, temp files), user data only on request."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from robustapp.config import Paths


@dataclass
class Removed:
    files: int = 0
    bytes: int = 0

    def add(self, path: Path) -> None:
        for item in [path, *path.rglob("*")] if path.is_dir() else [path]:
            if item.is_file():
                self.files += 1
                self.bytes += item.stat().st_size


def _empty(directory: Path, removed: Removed) -> None:
    if not directory.exists():
        return
    for child in directory.iterdir():
        removed.add(child)
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def clean(paths: Paths, *, include_user_data: bool = False, app_running: bool = False) -> Removed:
    """Delete caches, temp files and logs, user data on request; a running app keeps what it is using."""
    removed = Removed()
    if app_running:
        _empty(paths.temp_dir, removed)  # the running app's cache and logs are in use
    else:
        _empty(paths.cache_dir, removed)
        _empty(paths.log_dir, removed)
    if include_user_data:
        _empty(paths.backup_dir, removed)
        _empty(paths.data_dir, removed)
    paths.ensure()
    return removed
