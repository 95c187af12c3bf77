"""Where the window was: saved as JSON when it closes, fitted onto today's screens when it opens."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from robustapp.services.instance import write_private

DEFAULT_SIZE = (1280, 860)
MIN_SIZE = (480, 360)
# A saved position is kept only if this much of the window's top edge lands on a screen,
# so the user can still grab the title bar (monitors get unplugged, resolutions change).
_GRAB_WIDTH = 120
_GRAB_HEIGHT = 40


@dataclass(frozen=True)
class Area:
    """A screen's rectangle in desktop coordinates."""

    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class WindowGeometry:
    """Position (None: centred), size, and whether the window was maximized."""

    x: int | None
    y: int | None
    width: int
    height: int
    maximized: bool = False


def load(path: Path) -> WindowGeometry | None:
    """The saved geometry, or None when the file is missing or not ours."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        geometry = WindowGeometry(
            x=_optional_int(record.get("x")),
            y=_optional_int(record.get("y")),
            width=int(record["width"]),
            height=int(record["height"]),
            maximized=bool(record.get("maximized", False)),
        )
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    return geometry


def save(path: Path, geometry: WindowGeometry) -> None:
    """Write the geometry atomically (a crash mid-write keeps the previous file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private(path, json.dumps(asdict(geometry), indent=2))


def fit(saved: WindowGeometry | None, screens: Sequence[Area]) -> WindowGeometry:
    """A geometry that fits the given screens: sizes clamped, lost positions re-centred."""
    primary = screens[0] if screens else Area(0, 0, *DEFAULT_SIZE)
    if saved is None:
        width = min(DEFAULT_SIZE[0], int(primary.width * 0.9))
        height = min(DEFAULT_SIZE[1], int(primary.height * 0.9))
        return WindowGeometry(None, None, max(width, MIN_SIZE[0]), max(height, MIN_SIZE[1]))
    home = _screen_holding_title(saved, screens) if saved.x is not None and saved.y is not None else None
    area = home or primary
    width = _clamp(saved.width, MIN_SIZE[0], max(MIN_SIZE[0], area.width))
    height = _clamp(saved.height, MIN_SIZE[1], max(MIN_SIZE[1], area.height))
    if home is None:
        return WindowGeometry(None, None, width, height, saved.maximized)
    return WindowGeometry(saved.x, saved.y, width, height, saved.maximized)


def _screen_holding_title(saved: WindowGeometry, screens: Sequence[Area]) -> Area | None:
    assert saved.x is not None and saved.y is not None
    for area in screens:
        overlap = min(saved.x + saved.width, area.x + area.width) - max(saved.x, area.x)
        top_inside = area.y <= saved.y <= area.y + area.height - _GRAB_HEIGHT
        if top_inside and overlap >= _GRAB_WIDTH:
            return area
    return None


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


def _optional_int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]
