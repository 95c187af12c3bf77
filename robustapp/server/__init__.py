"""The embedded server: Streamlit served through `st.App`, behind the access gate."""

from robustapp.server.app import SERVER_FLAGS, run_server

__all__ = ["SERVER_FLAGS", "run_server"]
