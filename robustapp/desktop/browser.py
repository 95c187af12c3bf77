"""The system browser, for `--browser` and for machines where no window can open."""

from __future__ import annotations

import os
import sys
import webbrowser


def open_in_browser(url: str) -> bool:
    """Open `url` in the user's browser; False when there is none that can show the app."""
    headless_linux = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    if headless_linux and not os.environ.get("BROWSER"):
        return False  # only text browsers could start here, and the app needs JavaScript
    try:
        return webbrowser.open(url)
    except (webbrowser.Error, OSError):
        return False
