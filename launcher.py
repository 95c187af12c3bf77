"""Double-clickable entry point (and PyInstaller's script): no arguments open the desktop app.

With arguments it is the CLI, whose messages and exit codes are its own. Without, nobody may be watching a
terminal: a failure to start writes its traceback to crash.log in the log folder and says so in a dialog.
"""

import multiprocessing
import os
import sys
import tempfile
import traceback
from datetime import datetime
from pathlib import Path

CRASH_LOG = "crash.log"


def open_app() -> None:
    """The desktop role: the CLI without a command, any failure reported where a user sees it."""
    try:
        from robustapp.cli import app

        app(args=[])
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # the last chance to tell the user anything
        log = _write_crash_log(traceback.format_exc())
        details = f"Details: {log}" if log else "No log file could be written."
        _show_failure(f"robustapp could not start.\n\n{type(exc).__name__}: {exc}\n\n{details}")
        sys.exit(1)


def _write_crash_log(text: str) -> Path | None:
    """Append the traceback to crash.log in the app's log folder (else the temp folder); None if neither works."""
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    for folder in (_log_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(folder / CRASH_LOG, "a", encoding="utf-8") as handle:
                handle.write(f"--- {stamp}\n{text}\n")
            return folder / CRASH_LOG
        except OSError:
            continue
    return None


def _log_dir() -> Path:
    """The settings' log folder; with a bad setting (maybe the failure itself) the one ROBUSTAPP_HOME implies."""
    from robustapp.config import ENV_PREFIX, Paths, load_settings
    from robustapp.errors import ConfigError

    try:
        return load_settings().paths.log_dir
    except ConfigError:
        home = os.environ.get(f"{ENV_PREFIX}HOME")
        return Paths.for_home(Path(home) if home else None).log_dir


def _show_failure(message: str) -> None:
    """A native dialog when a display is there (Qt), and the terminal in any case."""
    print(message, file=sys.stderr, flush=True)
    try:
        from robustapp.desktop.window import gui_problem

        if gui_problem() is not None:
            return
        from PyQt6.QtWidgets import QApplication, QMessageBox
    except ImportError:
        return
    application = QApplication.instance() or QApplication(sys.argv[:1])  # a dialog needs a live application
    QMessageBox.critical(None, "robustapp", message)


if __name__ == "__main__":
    # First thing: in a frozen build every spawned worker re-runs this script (DESIGN.md §7).
    multiprocessing.freeze_support()

    if len(sys.argv) > 1:
        from robustapp.cli import main

        main()
    else:
        open_app()
