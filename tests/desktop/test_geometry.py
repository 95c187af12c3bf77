"""Window geometry: saved as the user left it, fitted onto the screens there are now (pure, fast)."""

from __future__ import annotations

from pathlib import Path

from robustapp.desktop import geometry
from robustapp.desktop.geometry import Area, WindowGeometry

LAPTOP = [Area(0, 0, 1280, 800)]
TWO_SCREENS = [Area(0, 0, 1920, 1080), Area(1920, 0, 1280, 1024)]


def test_a_saved_geometry_is_read_back_unchanged(tmp_path: Path) -> None:
    saved = WindowGeometry(100, 80, 1000, 700, maximized=True)
    geometry.save(tmp_path / "window.json", saved)
    assert geometry.load(tmp_path / "window.json") == saved


def test_a_missing_or_damaged_file_means_no_saved_geometry(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"x": 1, "width": "wide"')
    (tmp_path / "other.json").write_text('["not", "ours"]')
    assert geometry.load(tmp_path / "missing.json") is None
    assert geometry.load(tmp_path / "bad.json") is None
    assert geometry.load(tmp_path / "other.json") is None


def test_the_first_window_is_centred_and_fits_a_small_screen() -> None:
    fitted = geometry.fit(None, LAPTOP)
    assert (fitted.x, fitted.y) == (None, None)
    assert fitted.width <= 1280 and fitted.height <= 800


def test_a_window_on_a_screen_that_is_gone_comes_back_centred() -> None:
    on_second_screen = WindowGeometry(2100, 100, 1000, 700)
    assert geometry.fit(on_second_screen, TWO_SCREENS) == on_second_screen
    back = geometry.fit(on_second_screen, LAPTOP)
    assert (back.x, back.y, back.width, back.height) == (None, None, 1000, 700)


def test_a_title_bar_above_the_screen_is_not_kept() -> None:
    assert geometry.fit(WindowGeometry(100, -500, 800, 600), LAPTOP).y is None


def test_sizes_are_clamped_to_the_screen_and_a_usable_minimum() -> None:
    huge = geometry.fit(WindowGeometry(0, 0, 5000, 4000), LAPTOP)
    tiny = geometry.fit(WindowGeometry(0, 0, 10, 10), LAPTOP)
    assert (huge.width, huge.height) == (1280, 800)
    assert (tiny.width, tiny.height) == geometry.MIN_SIZE


def test_maximized_is_kept() -> None:
    assert geometry.fit(WindowGeometry(0, 0, 900, 600, maximized=True), LAPTOP).maximized
