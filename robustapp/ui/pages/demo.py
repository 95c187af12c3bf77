"""Demo: a handful of widgets that echo their values, and items written to the database."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from robustapp.services import demo


def render(ctx) -> None:
    st.title("Demo")
    st.caption("Widgets echo what you enter; items are written to your database.")
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

    st.subheader("Items in your database")
    with st.form("demo_add_item", clear_on_submit=True, border=True):
        item_name = st.text_input("Item name", key="demo_item_name")
        category = st.selectbox("Category", demo.CATEGORIES, key="demo_item_category")
        value = st.number_input("Value", value=1.0, key="demo_item_value")
        submitted = st.form_submit_button("Add item")
    if submitted:
        if item_name.strip():
            new_id = demo.add_item(ctx.services.db, item_name, category, value)
            st.success(f"Added item {new_id}.")
        else:
            st.warning("Give the item a name first.")
    st.dataframe(demo.list_items(ctx.services.db), hide_index=True, width="stretch", key="demo_items")

    st.subheader("Error handling")
    if st.button("Raise an error on this page", key="demo_raise"):
        raise RuntimeError("a deliberate error from the Demo page")
