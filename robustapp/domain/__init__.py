"""The domain: pydantic models and pure functions. It imports no streamlit, duckdb, diskcache or typer."""
