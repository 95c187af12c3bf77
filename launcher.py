"""Double-clickable entry point (and PyInstaller's script): no arguments open the desktop app."""

import multiprocessing

if __name__ == "__main__":
    # First thing: in a frozen build every spawned worker re-runs this script (DESIGN.md §7).
    multiprocessing.freeze_support()

    from robustapp.cli import main

    main()
