"""Datasets by their names in the SQL editor: one temporary view per dataset, on one cursor.

    SELECT * FROM "Sales 2024"  ──▶  temp view "Sales 2024"  ──▶  main.ds_3f9a…  (the generated table)

A temporary view belongs to the connection that made it (a job's own cursor) and goes with it:
nothing is written to the database file. A dataset's name wins over a table of the app's own
with the same name (temporary objects are looked up first), which is what its user means.
"""

from __future__ import annotations

import duckdb

from robustapp.storage import datasets as catalog
from robustapp.storage.identifiers import quote_identifier


def define(cursor: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Create (or refresh) a temporary view per live dataset on `cursor`; returns name → table."""
    views = {info.name: info.table_name for info in catalog.live(cursor)}
    for name, table in views.items():
        view, source = quote_identifier(name), quote_identifier(table)
        cursor.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM main.{source}")
    return views
