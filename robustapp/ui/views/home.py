"""Home: what this app is, and the state of the user's data."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from robustapp.services import demo
from robustapp.storage import latest_version, schema_version
from robustapp.ui.errors import guarded
from robustapp.ui.router import navigate

if TYPE_CHECKING:
    from robustapp.ui.views import PageContext


def render(ctx: PageContext) -> None:
    st.title("robustapp")
    st.write("A data workbench for your own files, offline. Everything you enter is kept.")
    db = ctx.services.db
    # Not health.status(): it walks the cache, log and backup folders on every rerun
    # (210 ms with 20,000 cache files), and Home shows none of those sizes.
    left, middle, right = st.columns(3)
    left.metric("Demo items", demo.count_items(db))
    middle.metric("Database size", f"{db.size_bytes() / 2**20:.1f} MB")
    right.metric("Schema version", f"{schema_version(db)} / {latest_version()}")
    st.caption(f"Your data lives in `{ctx.services.paths.data_dir}`")
    st.button(
        "Try the demo",
        icon=":material/science:",
        key="home_try_demo",
        on_click=guarded(navigate),
        args=("demo",),
    )
