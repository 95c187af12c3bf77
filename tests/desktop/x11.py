"""What a user does to a window, done to the X server directly: find it, move it, close it, look at it.

xdotool and xwininfo (Debian: xdotool, x11-utils) do most of it; WM_DELETE_WINDOW is sent through
libX11 with ctypes, exactly as a window manager does when the user clicks the close button.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class Geometry:
    x: int
    y: int
    width: int
    height: int


def _run(display: str, *args: str) -> str:
    result = subprocess.run(
        args, env={**os.environ, "DISPLAY": display}, capture_output=True, text=True, timeout=10
    )
    return result.stdout if result.returncode == 0 else ""


def visible_windows_of(display: str, pid: int) -> list[int]:
    """Mapped top-level windows that process `pid` owns (_NET_WM_PID)."""
    return [int(w) for w in _run(display, "xdotool", "search", "--onlyvisible", "--pid", str(pid)).split()]


def wait_for_window(display: str, pid: int, timeout: float = 30.0) -> int:
    """The window of process `pid`, once it is on screen; fails at once if the process has ended."""

    def find() -> list[int]:
        windows = visible_windows_of(display, pid)
        if not windows and not _is_alive(pid):
            raise AssertionError(f"process {pid} ended before it showed a window")
        return windows

    return _wait(find, f"process {pid}", timeout)


def wait_for_another_window(display: str, pid: int, known: int, timeout: float = 30.0) -> int:
    """A window of process `pid` other than `known` (e.g. the dialog it just opened), once it is on screen."""
    return _wait(lambda: [w for w in visible_windows_of(display, pid) if w != known], f"process {pid}", timeout)


def _is_alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_for_named_window(display: str, name: str, timeout: float = 15.0) -> int:
    """A visible window titled exactly `name`."""
    search = ("xdotool", "search", "--onlyvisible", "--name", f"^{name}$")
    return _wait(lambda: [int(w) for w in _run(display, *search).split()], repr(name), timeout)


def _wait(find: Callable[[], list[int]], what: str, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        windows = find()
        if windows:
            return windows[0]
        time.sleep(0.1)
    raise AssertionError(f"no window of {what} within {timeout:g} s")


def geometry(display: str, window: int) -> Geometry:
    fields = dict(
        line.split("=", 1) for line in _run(display, "xdotool", "getwindowgeometry", "--shell", str(window)).split()
    )
    return Geometry(int(fields["X"]), int(fields["Y"]), int(fields["WIDTH"]), int(fields["HEIGHT"]))


def move_and_resize(display: str, window: int, target: Geometry) -> None:
    _run(display, "xdotool", "windowmove", str(window), str(target.x), str(target.y))
    _run(display, "xdotool", "windowsize", str(window), str(target.width), str(target.height))


def stacking_order(display: str) -> list[int]:
    """Top-level windows from bottom to top (xwininfo lists root's children top-most first)."""
    order = []
    for line in _run(display, "xwininfo", "-root", "-children").splitlines():
        token = line.strip().split(" ", 1)[0]
        if token.startswith("0x"):
            order.append(int(token, 16))
    return order[::-1]


class _ClientMessage(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class _XEvent(ctypes.Union):
    _fields_ = [("xclient", _ClientMessage), ("pad", ctypes.c_long * 24)]


_CLIENT_MESSAGE = 33


def send_close_request(display: str, window: int) -> None:
    """Ask the window to close with WM_PROTOCOLS/WM_DELETE_WINDOW (the close button's message)."""
    x11 = ctypes.CDLL("libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
    x11.XFlush.argtypes = [ctypes.c_void_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    handle = x11.XOpenDisplay(display.encode())
    assert handle, f"cannot open X display {display}"
    try:
        event = _XEvent()
        event.xclient.type = _CLIENT_MESSAGE
        event.xclient.window = window
        event.xclient.message_type = x11.XInternAtom(handle, b"WM_PROTOCOLS", 0)
        event.xclient.format = 32
        event.xclient.data[0] = x11.XInternAtom(handle, b"WM_DELETE_WINDOW", 0)
        event.xclient.data[1] = 0  # CurrentTime
        assert x11.XSendEvent(handle, window, 0, 0, ctypes.byref(event)), "XSendEvent failed"
        x11.XFlush(handle)
    finally:
        x11.XCloseDisplay(handle)


def type_into(display: str, window: int, text: str, *, then: str = "Return") -> None:
    """Focus `window` and type `text` on the keyboard, then press `then` (as a user fills in a dialog)."""
    _run(display, "xdotool", "windowfocus", "--sync", str(window))
    _run(display, "xdotool", "type", "--delay", "20", text)
    _run(display, "xdotool", "key", then)
