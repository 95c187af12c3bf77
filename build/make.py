"""Build the app: `python build/make.py` → dist/robustapp (Linux), one file that starts fast.

    1. PyInstaller runs pyinstaller.spec → the onedir .pyinstaller/dist/robustapp/ (work files in .pyinstaller/work);
       the interpreter's debug info is stripped from it
    2. gcc compiles build/stub.c with zstd linked in statically → .pyinstaller/stub
    3. build/bundle.py appends the onedir, compressed, to the stub → dist/robustapp

On Windows and macOS only step 1 applies (the spec makes robustapp.exe + robustapp-cli.exe, or robustapp.app):
the stub is written for Linux.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".pyinstaller"
ONEDIR = WORK / "dist" / "robustapp"
STUB = WORK / "stub"
OUT = ROOT / "dist" / "robustapp"


def main() -> None:
    started = time.monotonic()
    # Python modules stored, not zlib-compressed: the payload's zstd compresses them far better.
    env = {**os.environ, "PYINSTALLER_ZLIB_COMPRESSION_LEVEL": "0"}
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--workpath", str(WORK / "work"), "--distpath", str(WORK / "dist"), str(ROOT / "pyinstaller.spec")],
        check=True,
        cwd=ROOT,
        env=env,
    )
    if sys.platform != "linux":
        print(f"Built {WORK / 'dist'} (the single-file wrapper is Linux-only).")
        return
    strip_interpreter(ONEDIR / "_internal")
    compile_stub_to(STUB)
    sys.path.insert(0, str(ROOT))
    from build.bundle import write_executable
    from robustapp import __version__

    OUT.parent.mkdir(exist_ok=True)
    digest = write_executable(STUB, ONEDIR, __version__, OUT)
    megabytes = OUT.stat().st_size / 1e6
    print(f"Built {OUT.relative_to(ROOT)}: {megabytes:.0f} MB, version {__version__}, payload {digest}, "
          f"in {time.monotonic() - started:.0f} s")


def strip_interpreter(folder: Path) -> None:
    """A Python built from source (pyenv) carries ~17 MB of debug info in libpython and its extension modules.

    Only the interpreter's own files: `strip` can break libraries that auditwheel patched (numpy.libs…).
    """
    files = [*folder.glob("libpython3*.so*"), *folder.glob("python3*/lib-dynload/*.so")]
    subprocess.run(["strip", "--strip-debug", *map(str, files)], check=True)


def compile_stub_to(out: Path) -> Path:
    """The stub links zstd statically: the file must run where no libzstd is installed."""
    subprocess.run(
        ["gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-s", "-o", str(out), str(ROOT / "build" / "stub.c"),
         "-Wl,-Bstatic", "-lzstd", "-Wl,-Bdynamic"],
        check=True,
    )
    return out


if __name__ == "__main__":
    main()
