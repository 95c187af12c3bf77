"""The Streamlit UI: the only package (with the server glue) that imports streamlit."""
