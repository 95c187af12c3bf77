"""Settings: the user's preferences (a form with undo/redo), the effective configuration, the data paths."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import streamlit as st

from robustapp.domain.preferences import PREFERENCES_FORM, UserPreferences
from robustapp.services.settings_view import effective_settings
from robustapp.ui.forms import form_field, get_form_state, render_form_controls

if TYPE_CHECKING:
    from robustapp.ui.views import PageContext

_DELIMITERS = {",": "Comma  ,", ";": "Semicolon  ;", "\t": "Tab", "|": "Pipe  |"}
_SAMPLE_DAY = dt.date(2026, 3, 31)


def render(ctx: PageContext) -> None:
    st.title("Settings")
    _preferences(ctx)
    st.subheader("Effective configuration")
    st.caption("Set these with ROBUSTAPP_* environment variables or a .env file (see .env.example).")
    rows = [{"setting": k, "value": v} for k, v in effective_settings(ctx.services.settings).items()]
    st.dataframe(rows, hide_index=True, width="stretch", key="settings_table")
    paths = ctx.services.paths
    st.subheader("Where your data lives")
    st.dataframe(
        [
            {"what": "database", "path": str(paths.db_path)},
            {"what": "cache", "path": str(paths.cache_dir)},
            {"what": "logs", "path": str(paths.log_dir)},
            {"what": "backups", "path": str(paths.backup_dir)},
        ],
        hide_index=True,
        width="stretch",
        key="settings_paths",
    )
    _cache(ctx)


def _cache(ctx: PageContext) -> None:
    """How well the result cache works: hits and misses per cached function since the app started."""
    st.subheader("Result cache")
    cache = ctx.services.cache
    where = "on disk and in memory" if cache.is_on_disk else "in memory only (the cache folder could not be used)"
    st.caption(f"Results of slow computations are kept {where}, and dropped when the data under them changes.")
    rows = [
        {"function": name, "hits": s.hits, "misses": s.misses,
         "hit rate": f"{s.hits / (s.hits + s.misses):.0%}" if s.hits + s.misses else "—",
         "memory": f"{s.memory_bytes / 1024:.1f} KiB"}
        for name, s in cache.stats().items()
    ]
    st.dataframe(rows or {"function": [], "hits": [], "misses": []}, hide_index=True, width="stretch",
                 key="settings_cache")


def _preferences(ctx: PageContext) -> None:
    """Your preferences, kept as you type; Save makes them the ones in effect."""
    st.subheader("Your preferences")
    defaults = {"history_length": ctx.services.settings.form_history_limit}
    form = get_form_state(PREFERENCES_FORM, UserPreferences, defaults)
    appearance, imports, display = st.columns(3)
    with appearance:
        form_field(form, "theme", st.radio, format_func=str.capitalize, help="Takes effect when the app next starts.")
        form_field(form, "history_length", st.number_input, min_value=2, max_value=10_000, step=10)
    with imports:
        form_field(form, "csv_delimiter", st.selectbox, "Default CSV delimiter", format_func=_DELIMITERS.get)
        form_field(form, "encoding", st.selectbox, "Default text encoding")
    with display:
        form_field(form, "rows_per_page", st.number_input, min_value=10, max_value=1000, step=10)
        form_field(form, "decimal_places", st.slider, min_value=0, max_value=10)
        form_field(form, "date_format", st.selectbox, format_func=_SAMPLE_DAY.strftime)
    render_form_controls(form)
