"""Fixtures of the unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from robustapp.cache import Cache, install


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    """A fresh cache in a temp dir, used by every @cache_data function during the test."""
    fresh = Cache(tmp_path / "results")
    install(fresh)
    yield fresh
    install(None)
    fresh.close()
