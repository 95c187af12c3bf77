"""The baseline: one text input, echoed. What any Streamlit app costs before it does anything."""

import streamlit as st

name = st.text_input("Your name", key="name", placeholder="Type and press Enter")
st.write(f"Hello, {name or 'stranger'}!")
