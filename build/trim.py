"""What the build leaves out: modules the app never imports, and files of bundled packages it never reads.

Used by pyinstaller.spec on the Analysis's TOC entries `(name in the bundle, source path, type)`.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from PyInstaller.depend.bindepend import get_imports

EXCLUDED_MODULES = [
    # tools and test frameworks present in a development environment
    "tkinter", "pytest", "_pytest", "hypothesis", "playwright", "IPython", "jedi", "setuptools", "pip",
    # optional imports of pandas, pyarrow and streamlit that the app does not use
    "scipy", "matplotlib", "sqlalchemy", "numba", "tables", "bs4", "lxml", "openpyxl", "pyarrow.tests",
    "pandas.tests", "numpy.tests", "pydeck", "graphviz", "plotly", "bokeh", "sympy", "mpmath", "trio",
    "PIL.AvifImagePlugin", "PIL._avif", "greenlet",
    # cloud storage clients and crypto that optional code paths of pyarrow/pandas/streamlit would pull in
    "botocore", "boto3", "s3transfer", "s3fs", "gcsfs", "adlfs", "cryptography", "OpenSSL", "authlib",
    # other Qt bindings qtpy could pick, and PyQt6 modules the hooks add that the window never imports
    "PyQt5", "PySide2", "PySide6", "PyQt6.QtQuick", "PyQt6.QtQml", "PyQt6.QtQuickWidgets", "PyQt6.QtPositioning",
    "PyQt6.QtOpenGLWidgets",
    # pyarrow parts that pull large libraries the app does not use (its hook imports every submodule)
    "pyarrow.flight", "pyarrow._flight", "pyarrow.substrait", "pyarrow._substrait", "pyarrow.gandiva",
    "pyarrow.cuda", "pyarrow._cuda", "pyarrow._s3fs", "pyarrow._gcsfs", "pyarrow._azurefs", "pyarrow._hdfs",
    "pyarrow.orc", "pyarrow._orc",
]

_QT = PurePosixPath("PyQt6/Qt6")
# Qt plugins the window needs: X11 and Wayland (offscreen/minimal for tests), OpenGL on X, input methods,
# the desktop portal (native file dialogs; the GTK theme would bring all of GTK), images, icons, TLS.
_QT_PLUGINS = {"platforminputcontexts", "iconengines", "tls", "xcbglintegrations",
    "wayland-decoration-client", "wayland-graphics-integration-client", "wayland-shell-integration",
}
_QT_PLATFORM_THEMES = {"libqxdgdesktopportal.so"}
_QT_PLATFORMS = {"libqxcb.so", "libqwayland.so", "libqoffscreen.so", "libqminimal.so"}
_QT_IMAGE_FORMATS = {"libqgif.so", "libqico.so", "libqjpeg.so", "libqsvg.so", "libqwebp.so"}
# Libraries loaded at run time, not linked: Python (by the bootloader) and NSS's modules (by NSS, for QtWebEngine).
_LOADED = ("libpython", "libsoftokn3", "libfreebl", "libnssckbi", "libnssdbm3")
_WEBENGINE_LOCALE = "en-US.pak"  # QtWebEngine refuses to start without the locale it runs in; the UI is English
# Streamlit's front-end code for elements the app never draws (it draws altair charts and st.code).
_STREAMLIT_UNUSED_JS = ("PlotlyChart.", "DeckGlJsonChart.", "EChartsChart.", "GraphVizChart.")
# Libraries every desktop Linux has, taken from the system as AppImage's excludelist does: a bundled copy of
# X11, GLib or fontconfig can clash with the system's GL drivers and themes.
_SYSTEM_LIBRARIES = (
    "libX11.so", "libX11-xcb.so", "libxcb.so", "libglib-2.0.so", "libgobject-2.0.so", "libgio-2.0.so",
    "libgmodule-2.0.so", "libgthread-2.0.so", "libfontconfig.so", "libfreetype.so", "libexpat.so", "libz.so",
    "libasound.so", "libdbus-1.so", "libsystemd.so", "libgcrypt.so", "libgpg-error.so",
)
_SOURCE_SUFFIXES = {".pyx", ".pxd", ".pxi", ".h", ".hpp", ".cc", ".cpp", ".c", ".cmake", ".pc"}
_TEST_FOLDERS = {"tests", "test", "testing"}


def binaries(toc: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Drop unused Qt plugins and the system's own libraries, then the libraries that no remaining binary links to.

    The Qt hooks collect every library the QML plugins of QtWebEngine need (Quick3D, Multimedia, Pdf…) and the
    system libraries of the GTK theme plugin, the pyarrow hook every Arrow library (Flight, S3); the app loads
    none of them.
    """
    kept = [entry for entry in toc if _is_kept_binary(PurePosixPath(entry[0]))]
    roots = [source for name, source, _ in kept if not _is_optional_library(PurePosixPath(name))]
    needed = {PurePosixPath(name).name for root in roots for name, _ in get_imports(root)}
    return [entry for entry in kept if _is_needed(PurePosixPath(entry[0]), needed)]


def _is_needed(path: PurePosixPath, linked: set[str]) -> bool:
    return not _is_optional_library(path) or path.name in linked


def datas(toc: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Drop Qt translations (all but QtWebEngine's en-US), the devtools, unused Streamlit front-end code,
    source files and test folders."""
    return [entry for entry in toc if _is_kept_data(PurePosixPath(entry[0]))]


def _is_kept_binary(path: PurePosixPath) -> bool:
    if path.is_relative_to(_QT / "qml") or path.name.startswith(_SYSTEM_LIBRARIES):
        return False
    if path.is_relative_to(_QT / "plugins"):
        folder = path.relative_to(_QT / "plugins").parts[0]
        if folder == "platforms":
            return path.name in _QT_PLATFORMS
        if folder == "imageformats":
            return path.name in _QT_IMAGE_FORMATS
        if folder == "platformthemes":
            return path.name in _QT_PLATFORM_THEMES
        return folder in _QT_PLUGINS
    return True


def _is_optional_library(path: PurePosixPath) -> bool:
    """A library bundled only for other binaries' sake: kept when one of them links to it."""
    system = path.parent == PurePosixPath(".") and path.name.startswith("lib") and not path.name.startswith(_LOADED)
    in_qt = path.parent == _QT / "lib" and path.name.startswith("libQt6")
    in_arrow = path.parent.name == "pyarrow" and path.name.startswith(("libarrow", "libparquet"))
    return system or in_qt or in_arrow


def _is_kept_data(path: PurePosixPath) -> bool:
    if path.is_relative_to(_QT / "qml"):
        return False
    if path.is_relative_to(_QT / "translations"):
        return path.parent.name == "qtwebengine_locales" and path.name == _WEBENGINE_LOCALE
    if path.name == "qtwebengine_devtools_resources.pak":
        return False
    if path.parent.name == "js" and path.name.startswith(_STREAMLIT_UNUSED_JS):
        return False
    if path.suffix in _SOURCE_SUFFIXES:
        return False
    return not _TEST_FOLDERS.intersection(path.parts[:-1])
