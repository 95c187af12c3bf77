"""robustapp: a desktop data workbench for offline analysts."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("robustapp")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"
