"""Files shipped beside the code (icons), found the same way from source and from a frozen build."""

from __future__ import annotations

import sys
from pathlib import Path


def assets_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "assets"
    return Path(__file__).resolve().parent.parent / "assets"


def asset(name: str) -> Path | None:
    """The path of an asset, or None when it is not shipped (the app works without it)."""
    path = assets_dir() / name
    return path if path.exists() else None
