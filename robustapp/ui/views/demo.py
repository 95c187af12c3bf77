"""Demo: a handful of widgets that echo their values, and items written to the database."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import streamlit as st

from robustapp.services import demo
from robustapp.storage import Database
from robustapp.ui.errors import guarded

if TYPE_CHECKING:
    from robustapp.ui.views import PageContext

_FEEDBACK = "_demo_feedback"


def render(ctx: PageContext) -> None:
    st.title("Demo")
    st.caption("Widgets echo what you enter; items are written to your database.")
    _echo_widgets()
    _items(ctx.services.db)
    st.subheader("Error handling")
    if st.button("Raise an error on this page", key="demo_raise"):
        raise RuntimeError("a deliberate error from the Demo page")


def _echo_widgets() -> None:
    left, right = st.columns(2)
    with left:
        name = st.text_input("Your name", key="demo_name", placeholder="Type and press Enter")
        count = st.number_input("How many", min_value=0, max_value=1000, value=3, key="demo_count")
        level = st.slider("Level", 0, 100, 50, key="demo_level")
        colour = st.selectbox("Colour", ["red", "green", "blue"], key="demo_colour")
        tags = st.multiselect("Tags", ["fast", "robust", "offline"], default=["robust"], key="demo_tags")
    with right:
        size = st.radio("Size", ["S", "M", "L"], horizontal=True, key="demo_size")
        agree = st.checkbox("I like it", key="demo_agree")
        dark = st.toggle("Night mode", key="demo_toggle")
        day = st.date_input("Day", value=dt.date(2026, 1, 1), key="demo_day")
        notes = st.text_area("Notes", key="demo_notes", height=68)
    with st.container(key="demo_echo", border=True):
        st.markdown(f"Hello, **{name or 'stranger'}**!")
        st.caption(
            f"{count} × level {level} · {colour} · {', '.join(tags) or 'no tags'} · size {size} · "
            f"{'likes it' if agree else 'undecided'} · {'night' if dark else 'day'} · {day:%Y-%m-%d} · "
            f"{len(notes)} characters of notes"
        )


def _items(db: Database) -> None:
    st.subheader("Items in your database")
    with st.form("demo_add_item", clear_on_submit=True, border=True):
        st.text_input("Item name", key="demo_item_name")
        st.selectbox("Category", demo.CATEGORIES, key="demo_item_category")
        st.number_input("Value", value=1.0, key="demo_item_value")
        st.form_submit_button("Add item", key="demo_add", on_click=guarded(_add_item), args=(db,))
    feedback = st.empty()  # reserved, so the table below keeps its place when a message shows
    kind, text = st.session_state.pop(_FEEDBACK, ("", ""))
    if kind == "success":
        feedback.success(text, icon=":material/check_circle:")
    elif kind == "warning":
        feedback.warning(text, icon=":material/warning:")
    items = demo.list_items(db)
    st.dataframe(
        items or {"id": [], "name": [], "category": [], "value": []},
        hide_index=True,
        width="stretch",
        key="demo_items",
    )
    if not items:
        st.caption("No items yet: add one above, or run `robustapp db seed`.")


def _add_item(db: Database) -> None:
    """Submit callback: the write is committed before the script runs, so the table shows it."""
    name = st.session_state["demo_item_name"]
    if not name.strip():
        st.session_state[_FEEDBACK] = ("warning", "Give the item a name first.")
        return
    category, value = st.session_state["demo_item_category"], st.session_state["demo_item_value"]
    new_id = demo.add_item(db, name, category, value)
    st.session_state[_FEEDBACK] = ("success", f"Added item {new_id}.")
