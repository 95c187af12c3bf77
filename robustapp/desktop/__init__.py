"""The desktop side: the launcher process, its window, single instance, and the server child's lifecycle.

    launcher.py        launch(): orchestration (single instance → server → window or browser → stop)
    server_process.py  the server child: spawn, wait for health, stop the whole tree
    window.py          the pywebview window; splash.py its loading and error pages; geometry.py where it was
    single_instance.py launcher.lock, "show" requests from a later launch
    signals.py         SIGTERM/SIGINT/SIGHUP → the same path as closing the window
    browser.py         the system browser fallback
"""
