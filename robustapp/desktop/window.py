"""The native window (pywebview; Qt WebEngine on Linux): loading screen, the app, remembered geometry.

Every method except `run()` may be called from any thread; pywebview marshals to the GUI thread.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from robustapp.desktop import geometry
from robustapp.desktop.geometry import Area, WindowGeometry
from robustapp.desktop.splash import RecoveryOffer, error_page, loading_page
from robustapp.logs import get_logger
from robustapp.services.launcher import FileDialog

if TYPE_CHECKING:
    import webview

log = get_logger(__name__)

TITLE = "robustapp"
_IS_LINUX = sys.platform.startswith("linux")
STRANDED_GRACE = 2.0  # pywebview's helper threads end within milliseconds once answered


def gui_problem() -> str | None:
    """Why a native window cannot open here, or None when it can."""
    if _IS_LINUX:
        display, wayland = os.environ.get("DISPLAY"), os.environ.get("WAYLAND_DISPLAY")
        if not display and not wayland:
            return "there is no graphical display (DISPLAY is not set)"
        if display and not wayland and not _x_display_opens(display):
            return f"the X display {display!r} cannot be reached"
    try:
        importlib.import_module("webview")
        if _IS_LINUX:
            importlib.import_module("PyQt6.QtWebEngineWidgets")  # fails here if a system library is missing
    except ImportError as exc:
        return f"the window toolkit cannot be loaded ({exc})"
    if _IS_LINUX and not os.environ.get("WAYLAND_DISPLAY"):
        return _qt_x11_problem()
    return None


def prepare_environment() -> None:
    """Settings that must be in place before the GUI toolkit starts."""
    if _IS_LINUX:
        from PyQt6.QtCore import QCoreApplication

        # Qt names its cache folder and the X11 window class after argv[0] (`__main__.py` from source).
        QCoreApplication.setApplicationName(TITLE)
        os.environ.setdefault("RESOURCE_NAME", TITLE)
        os.environ.setdefault("PYWEBVIEW_GUI", "qt")
        if os.geteuid() == 0:  # DESIGN §7: as root, QtWebEngine aborts without it
            flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "").split()
            if "--no-sandbox" not in flags:
                os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join([*flags, "--no-sandbox"])


class AppWindow:
    """The app's one window; remembers its size and position in `state_file`."""

    def __init__(self, state_file: Path, *, icon: Path | None = None, debug: bool = False) -> None:
        self.state_file = state_file
        self.icon = icon
        self.debug = debug
        self._window: webview.Window | None = None
        self._lock = threading.Lock()
        self._shown = False
        self._close_requested = False
        self._pending: Callable[[webview.Window], Any] | None = None
        self._maximized = False
        self._on_restore: Callable[[str], None] | None = None

    def on_restore_requested(self, handler: Callable[[str], None]) -> None:
        """Call `handler(backup_id)` when the start-failure page's restore button is clicked."""
        self._on_restore = handler

    def run(self, on_gui_thread: Callable[[], None] = lambda: None) -> None:
        """Open with the loading screen and run the GUI loop until the window closes (main thread only).

        `on_gui_thread` runs on the GUI thread once the loop owns it (e.g. to take signals back from Qt).
        """
        prepare_environment()
        import webview

        webview.settings["OPEN_DEVTOOLS_IN_DEBUG"] = False
        webview.settings["ALLOW_DOWNLOADS"] = True  # the page's download buttons: a save dialog, then the file
        if _IS_LINUX:
            _save_downloads_with_qt6()
        screens = [Area(s.x, s.y, s.width, s.height) for s in webview.screens]
        fitted = geometry.fit(geometry.load(self.state_file), screens)
        origin = screens[0] if screens else Area(0, 0, 0, 0)
        self._maximized = fitted.maximized
        window = webview.create_window(
            TITLE,
            html=loading_page(),
            width=fitted.width,
            height=fitted.height,
            x=None if fitted.x is None else fitted.x - origin.x,
            y=None if fitted.y is None else fitted.y - origin.y,
            maximized=fitted.maximized,
            min_size=geometry.MIN_SIZE,
            text_select=True,
            zoomable=True,
        )
        assert window is not None
        window.expose(self.restore_backup)  # the start-failure page's button (splash.error_page)
        window.events.before_show += on_gui_thread
        window.events.shown += self._on_shown
        window.events.closing += self._on_closing
        window.events.maximized += lambda: self._set_maximized(True)
        window.events.restored += lambda: self._set_maximized(False)
        self._window = window
        log.info("window opening", geometry=str(fitted))
        webview.start(
            gui="qt" if _IS_LINUX else None,
            # The token cookie is per launch and all state lives in the database: keep nothing in the webview.
            private_mode=True,
            icon=str(self.icon) if self.icon else None,
            debug=self.debug,
        )
        log.info("window closed")
        _release_stranded_calls(window)

    def load(self, url: str) -> None:
        """Show the page at `url` (the app)."""
        self._call(lambda window: window.load_url(url))

    def show_loading(self, headline: str, text: str) -> None:
        """Replace the content with the loading screen, saying what the wait is for."""
        self._call(lambda window: window.load_html(loading_page(headline, text)))

    def show_error(
        self,
        message: str,
        log_file: Path,
        *,
        headline: str = "robustapp could not start",
        offer: RecoveryOffer | None = None,
    ) -> None:
        """Replace the content with an error page naming the problem and the log file (and a backup to restore)."""
        page = error_page(message, log_file, headline=headline, offer=offer)
        self._call(lambda window: window.load_html(page))

    def restore_backup(self, backup_id: str) -> None:
        """Called from the start-failure page (JavaScript, on a pywebview thread)."""
        if self._on_restore is not None and isinstance(backup_id, str):
            self._on_restore(backup_id)

    def choose_files(self, dialog: FileDialog) -> list[str] | None:
        """Show the native file dialog and wait for the user (any thread but the GUI's); None if cancelled."""
        import webview

        window = self._window
        if window is None or not self._shown:
            return None
        kind = webview.FileDialog.SAVE if dialog.kind == "save" else webview.FileDialog.OPEN
        try:
            chosen = window.create_file_dialog(
                kind, directory=str(Path.home()), save_filename=dialog.file_name, file_types=tuple(dialog.file_types)
            )
        except Exception as exc:  # a toolkit failure is the user's cancel, not a crash of the launcher
            log.warning("the file dialog failed", error=str(exc))
            return None
        if not chosen:
            return None
        return [str(chosen)] if isinstance(chosen, str) else [str(path) for path in chosen]

    def bring_to_front(self) -> None:
        """Show, un-minimize and raise the window (a later launch asked for it)."""

        def _front(window: webview.Window) -> None:
            window.show()
            window.restore()  # un-minimizes, raises and activates; it also un-maximizes, so maximize again
            if self._maximized:
                window.maximize()

        self._call(_front)

    def close(self) -> None:
        """Close the window as the user would; safe before it has even appeared."""
        with self._lock:
            self._close_requested = True
            shown = self._shown
        if shown and self._window is not None:
            self._window.destroy()

    def _call(self, action: Callable[[webview.Window], Any]) -> None:
        """Run `action` on the window now, or as soon as it is on screen (the latest request wins)."""
        with self._lock:
            if not self._shown:
                self._pending = action
                return
        self._run(action)

    def _run(self, action: Callable[[webview.Window], Any]) -> None:
        from webview.errors import WebViewException

        if self._window is None:
            return
        try:
            action(self._window)
        except WebViewException as exc:
            log.warning("window did not take the request", error=str(exc))

    def _on_shown(self) -> None:
        with self._lock:
            self._shown = True
            close = self._close_requested
            pending, self._pending = self._pending, None
        if close and self._window is not None:
            self._window.destroy()
        elif pending is not None:
            self._run(pending)

    def _set_maximized(self, value: bool) -> None:
        self._maximized = value

    def _on_closing(self) -> None:
        # Runs on the GUI thread while the window still exists; returning False would cancel the close.
        try:
            current = self._current_geometry()
            if current is not None:
                geometry.save(self.state_file, current)
                log.info("window geometry saved", geometry=str(current))
        except (OSError, RuntimeError) as exc:
            log.warning("could not save the window geometry", error=str(exc))

    def _current_geometry(self) -> WindowGeometry | None:
        window = self._window
        if window is None:
            return None
        native = getattr(window, "native", None)
        if native is not None and hasattr(native, "normalGeometry"):
            # Qt: move() places the frame and resize() sizes the client area, so save exactly those;
            # pywebview's x/y report the client area and the window would creep down on every start.
            maximized = bool(native.isMaximized())
            if maximized or native.isMinimized():
                rect = native.normalGeometry()
                return WindowGeometry(rect.x(), rect.y(), rect.width(), rect.height(), maximized)
            return WindowGeometry(native.x(), native.y(), native.width(), native.height())
        return WindowGeometry(window.x, window.y, window.width, window.height, self._maximized)


def _release_stranded_calls(window: webview.Window) -> None:
    """Answer the JavaScript calls the closed window left waiting, so the process can exit.

    pywebview's Qt backend runs `evaluate_js` by signalling the GUI thread and then waiting on a semaphore
    with no timeout, and every finished page load starts a non-daemon thread that makes such calls (it
    injects `window.pywebview`). A window closed while a page is loading leaves that thread waiting for an
    answer no event loop will ever give, and Python waits for non-daemon threads at exit: the launcher
    never ended. Release those waits with no result, as pywebview's GTK and WinForms backends do on close;
    repeat briefly for a call that reached the window just before it closed and registers only now.
    """
    native = getattr(window, "native", None)
    pending = getattr(native, "_js_results", None)
    if not isinstance(pending, dict):
        return  # not the Qt backend, or its internals changed: nothing known to release
    released: set[str] = set()
    deadline = time.monotonic() + STRANDED_GRACE
    while True:
        for call_id, call in list(pending.items()):
            if call_id not in released:
                released.add(call_id)
                call["result"] = None
                call["semaphore"].release()
                log.info("answered a JavaScript call the closed window left waiting")
        waiting = [t for t in threading.enumerate() if not t.daemon and t is not threading.main_thread()]
        if not waiting:
            return
        if time.monotonic() > deadline:
            log.warning("threads still running after the window closed", threads=[t.name for t in waiting])
            return
        time.sleep(0.02)


def _save_downloads_with_qt6() -> None:
    """Let pywebview's Qt window save downloads: its handler (6.2.1) calls `setPath`, which Qt 6 removed.

    The replacement offers the server's file name (Content-Disposition) in the home folder, and saves
    there through Qt 6's directory/file-name pair; a cancelled dialog cancels the download.
    """
    from PyQt6.QtWidgets import QFileDialog
    from webview.platforms import qt

    def on_download_requested(view: Any, download: Any) -> None:
        suggested = str(Path.home() / (download.downloadFileName() or "download"))
        path, _ = QFileDialog.getSaveFileName(view, view.localization["global.saveFile"], suggested)
        if not path:
            download.cancel()
            return
        target = Path(path)
        download.setDownloadDirectory(str(target.parent))
        download.setDownloadFileName(target.name)
        download.accept()
        log.info("download saved", path=str(target))

    qt.BrowserView.on_download_requested = on_download_requested


def _x_display_opens(display: str) -> bool:
    """Probe the X server first: Qt aborts the whole process when it cannot connect."""
    try:
        libx11 = ctypes.CDLL("libX11.so.6")
    except OSError:
        return True  # cannot probe; let Qt try
    libx11.XOpenDisplay.restype = ctypes.c_void_p
    libx11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    libx11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    handle = libx11.XOpenDisplay(display.encode())
    if not handle:
        return False
    libx11.XCloseDisplay(handle)
    return True


def _qt_x11_problem() -> str | None:
    """Load Qt's X11 platform plugin by hand: a missing system library (libxcb-cursor0…) would abort Qt."""
    platform = os.environ.get("QT_QPA_PLATFORM", "xcb")
    if platform != "xcb":
        return None
    from PyQt6.QtCore import QLibraryInfo

    plugin = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms" / "libqxcb.so"
    if not plugin.exists():
        return None
    try:
        ctypes.CDLL(str(plugin))
    except OSError as exc:
        return f"Qt's X11 support cannot be loaded ({exc})"
    return None
