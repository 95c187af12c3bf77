"""The pages the window shows before the app can: a loading screen and a start-failure page (inline HTML)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path


@dataclass(frozen=True)
class RecoveryOffer:
    """A backup the start-failure page offers to restore (the database did not open)."""

    backup_id: str
    made: str  # when, as the user reads it

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
  button { font: inherit; padding: .5rem 1rem; border-radius: .5rem; border: 1px solid #ff4b4b;
           background: #ff4b4b; color: #fff; cursor: pointer; }
"""


def loading_page(headline: str = "robustapp is starting…", text: str = "Opening your data workbench.") -> str:
    """Shown while the server starts: when the window opens, and while a backup is restored."""
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>robustapp</title>
<style>{_STYLE}</style></head><body><main class="center" role="status" aria-live="polite">
<div class="spinner"></div><h1>{escape(headline)}</h1><p>{escape(text)}</p>
</main></body></html>"""


def error_page(
    message: str, log_file: Path, *, headline: str = "robustapp could not start", offer: RecoveryOffer | None = None
) -> str:
    """Shown instead of the app when the server cannot start (or stops): what happened and where to look.

    With `offer` (the database does not open), a button restores that backup through the window's
    `pywebview.api.restore_backup`, keeping a copy of the damaged file.
    """
    advice = """<p>Everything you entered before is kept. Close this window and open robustapp again.</p>"""
    if offer is not None:
        advice = f"""<p>Your database cannot be opened. The newest backup that checks out was made {escape(offer.made)}.
Restoring it replaces the database with that backup; a copy of the damaged file is kept beside it.</p>
<p><button id="restore-backup" onclick="pywebview.api.restore_backup({escape(repr(offer.backup_id))})">
Restore the backup made {escape(offer.made)}</button></p>"""
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>robustapp</title>
<style>{_STYLE}</style></head><body><main role="alert">
<h1>{escape(headline)}</h1>
<pre>{escape(message)}</pre>
{advice}
<p>If this keeps happening, the log file has the details: <code>{escape(str(log_file))}</code></p>
</main></body></html>"""
