"""What the app may ask of the launcher that started its server (desktop and browser modes).

    launcher.request_restore(id)        stop the server, restore the backup, start the app again
    launcher.choose_file("open")         the native file dialog of the window → a path, or None

A headless server (`robustapp run --headless`) has no launcher: `Services.launcher` is None, and
the UI offers neither restore-in-place nor native file dialogs; a browser-mode launcher has no window,
so no file dialogs (`has_window` is False) and the browser's upload and download take their place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, Field

DialogKind = Literal["open", "save"]
DIALOG_TIMEOUT = 30 * 60.0  # a dialog left open longer is taken as cancelled


class FileDialog(BaseModel):
    """A native file dialog the server asks the launcher's window to show."""

    id: str
    kind: DialogKind
    file_name: str = ""  # save: the name offered
    file_types: list[str] = Field(default_factory=list)  # open: e.g. "Data files (*.csv;*.parquet)"


class Launcher(Protocol):
    """The launcher's side of the link, as the app sees it."""

    @property
    def has_window(self) -> bool:
        """True when the app is shown in the native window (file dialogs work)."""

    def request_restore(self, backup_id: str) -> None:
        """Stop the server, restore `backup_id`, start the app again."""

    def choose_file(self, kind: DialogKind, *, file_name: str = "", file_types: tuple[str, ...] = ()) -> Path | None:
        """Show the window's file dialog and wait for the user: the chosen path, or None if cancelled."""
