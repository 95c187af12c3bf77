"""Home: what this app is, and the state of the user's data."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from robustapp.services import demo, health
from robustapp.ui.errors import guarded
from robustapp.ui.router import navigate

if TYPE_CHECKING:
    from robustapp.ui.views import PageContext


def render(ctx: PageContext) -> None:
    st.title("robustapp")
    st.write("A data workbench for your own files, offline. Everything you enter is kept.")
    db = ctx.services.db
    summary = health.database_summary(db)  # not health.status(): that walks the data folders
    left, middle, right = st.columns(3)
    left.metric("Demo items", demo.count_items(db))
    middle.metric("Database size", f"{summary['database_bytes'] / 2**20:.1f} MB")
    right.metric("Schema version", f"{summary['schema_version']} / {summary['latest_schema_version']}")
    st.caption(f"Your data lives in `{ctx.services.paths.data_dir}`")
    st.button(
        "Try the demo",
        icon=":material/science:",
        key="home_try_demo",
        on_click=guarded(navigate),
        args=("demo",),
    )
