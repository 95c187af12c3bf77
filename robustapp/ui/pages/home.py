"""Home: what this app is, and the state of the user's data."""

from __future__ import annotations

import streamlit as st

from robustapp.services import demo, health
from robustapp.ui.router import navigate


def render(ctx) -> None:
    st.title("robustapp")
    st.write("A data workbench for your own files, offline. Everything you enter is kept.")
    info = health.status(ctx.services.db, ctx.services.paths)
    left, middle, right = st.columns(3)
    left.metric("Demo items", demo.count_items(ctx.services.db))
    middle.metric("Database size", f"{info['database_bytes'] / 2**20:.1f} MB")
    right.metric("Schema version", f"{info['schema_version']} / {info['latest_schema_version']}")
    st.caption(f"Your data lives in `{info['paths']['data']}`")
    st.button("Try the demo", icon=":material/science:", on_click=navigate, args=("demo",), key="home_try_demo")
