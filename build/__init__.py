"""Build helpers: pyinstaller.spec's trimming, the single-file wrapper (stub.c, bundle.py) and make.py."""
