"""Shared fixtures. Every test runs with the app's home in a temp dir: no test touches real user data."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def app_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point ROBUSTAPP_HOME at a fresh temp dir and ignore any developer .env file."""
    home = tmp_path / "robustapp-home"
    monkeypatch.setenv("ROBUSTAPP_HOME", str(home))
    monkeypatch.setenv("ROBUSTAPP_ENV_FILE", str(tmp_path / "no-such.env"))
    for name in list(os.environ):
        if name.startswith("ROBUSTAPP_") and name not in ("ROBUSTAPP_HOME", "ROBUSTAPP_ENV_FILE"):
            monkeypatch.delenv(name)
    yield home
    import structlog

    from robustapp import bootstrap, cache

    bootstrap.stop()
    cache.install(None)  # a cache opened on first use points into this test's home: close it
    structlog.contextvars.clear_contextvars()


def _memoise_component_scan() -> None:
    """A fresh AppTest scans every installed package for components (~55 ms); once is enough."""
    try:
        from streamlit.components.v2 import manifest_scanner
    except ImportError:
        return
    scan = manifest_scanner.scan_component_manifests
    if not hasattr(scan, "cache_info"):
        manifest_scanner.scan_component_manifests = functools.cache(scan)


_memoise_component_scan()
