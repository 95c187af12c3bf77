"""The Streamlit script the server runs on every rerun."""

from robustapp.ui.shell import main

main()
