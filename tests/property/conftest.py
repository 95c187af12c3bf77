"""Hypothesis' report of a failing example must not itself crash the run.

When a property fails, Hypothesis' pytest plugin imports `hypothesis.extra._patching` (libcst),
which emits a DeprecationWarning from mypy_extensions; with `filterwarnings = error` that turns a
plain test failure into an INTERNALERROR. Import it here once, with that warning silenced.
"""

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import hypothesis.extra._patching  # noqa: F401
    except ImportError:  # libcst is optional; without it Hypothesis skips the patch
        pass
