"""Settings: the effective configuration (secrets masked) and where the data lives."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from robustapp.services.settings_view import effective_settings

if TYPE_CHECKING:
    from robustapp.ui.views import PageContext


def render(ctx: PageContext) -> None:
    st.title("Settings")
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
