"""The flags the embedded server is forced to run with (DESIGN.md §6), whatever ~/.streamlit says."""

from __future__ import annotations

import pytest

from robustapp.config import load_settings
from robustapp.server.app import streamlit_flags


def test_the_desktop_flags_are_forced() -> None:
    flags = streamlit_flags(load_settings())

    assert flags["server.headless"] is True
    assert flags["server.address"] == "127.0.0.1"
    assert flags["server.port"] == 0
    assert flags["global.developmentMode"] is False
    assert flags["browser.gatherUsageStats"] is False
    assert flags["server.fileWatcherType"] == "none"
    assert flags["client.toolbarMode"] == "minimal"
    assert flags["runner.postScriptGC"] is False  # a full GC after every run delays its last messages


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_chosen_appearance_sets_the_theme(theme: str) -> None:
    assert streamlit_flags(load_settings(), theme=theme)["theme.base"] == theme


def test_the_system_appearance_leaves_the_theme_to_the_os() -> None:
    assert "theme.base" not in streamlit_flags(load_settings(), theme="system")


def test_debug_shows_error_details() -> None:
    assert streamlit_flags(load_settings(debug=True))["client.showErrorDetails"] == "full"
    assert streamlit_flags(load_settings())["client.showErrorDetails"] == "none"
