"""The pages the window shows before the app can: a loading screen and a start-failure page (inline HTML)."""

from __future__ import annotations

from html import escape
from pathlib import Path

_STYLE = """
  html, body { height: 100%; margin: 0; }
  body { display: flex; align-items: center; justify-content: center; background: #ffffff; color: #31333f;
         font-family: "Source Sans Pro", "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
  main { max-width: 46rem; padding: 2rem; }
  h1 { font-weight: 600; font-size: 1.6rem; margin: 0 0 .75rem; }
  p { line-height: 1.5; }
  pre { white-space: pre-wrap; word-break: break-word; background: #f0f2f6; padding: 1rem; border-radius: .5rem;
        font-size: .85rem; max-height: 45vh; overflow: auto; }
  code { background: #f0f2f6; padding: 0 .25rem; border-radius: .25rem; }
  .spinner { width: 2.5rem; height: 2.5rem; margin: 0 auto 1.25rem; border-radius: 50%;
             border: .3rem solid #e6e9ef; border-top-color: #ff4b4b; animation: spin 0.9s linear infinite; }
  @keyframes spin { to { transform: rotate(360deg); } }
  .center { text-align: center; }
"""


def loading_page() -> str:
    """Shown the moment the window opens, while the server starts."""
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>robustapp</title>
<style>{_STYLE}</style></head><body><main class="center" role="status" aria-live="polite">
<div class="spinner"></div><h1>robustapp is starting…</h1><p>Opening your data workbench.</p>
</main></body></html>"""


def error_page(message: str, log_file: Path, *, headline: str = "robustapp could not start") -> str:
    """Shown instead of the app when the server cannot start (or stops): what happened and where to look."""
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>robustapp</title>
<style>{_STYLE}</style></head><body><main role="alert">
<h1>{escape(headline)}</h1>
<pre>{escape(message)}</pre>
<p>Everything you entered before is kept. Close this window and open robustapp again.
If this keeps happening, the log file has the details: <code>{escape(str(log_file))}</code></p>
</main></body></html>"""
