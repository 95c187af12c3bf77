"""Generated sample files, for a newcomer to import and try everything on (`robustapp db seed`).

Made by DuckDB in memory (the app's database file is not involved) from hashes of the row
number, so the same call writes the same file on every machine and every run.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

REGIONS = ("North", "South", "East", "West", "Central")
PRODUCTS = (
    ("Notebook", 4.5), ("Pen", 1.2), ("Stapler", 12.0), ("Desk lamp", 34.0), ("Chair", 149.0),
    ("Monitor", 219.0), ("Keyboard", 49.0), ("Mouse", 25.0), ("Headset", 79.0), ("Backpack", 59.0),
)  # fmt: skip


def write_demo_sales(path: Path, rows: int) -> Path:
    """A CSV of `rows` sales over 2024–2025: order_id, date, region, product, units, price (a few empty cells).

    Written next to `path` first and moved into place, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    regions = "[" + ", ".join(f"'{name}'" for name in REGIONS) + "]"
    names = "[" + ", ".join(f"'{name}'" for name, _ in PRODUCTS) + "]"
    prices = "[" + ", ".join(str(price) for _, price in PRODUCTS) + "]"
    query = f"""
        SELECT
            i + 1 AS order_id,
            DATE '2024-01-01' + (i * 731 // {int(rows)})::INTEGER AS date,
            CASE WHEN hash(i, 'r0') % 100 = 0 THEN NULL ELSE {regions}[(hash(i, 'region') % {len(REGIONS)})::BIGINT + 1] END AS region,
            {names}[p + 1] AS product,
            CASE WHEN hash(i, 'u0') % 50 = 0 THEN NULL ELSE 1 + (hash(i, 'units') % 12)::INTEGER END AS units,
            CASE WHEN hash(i, 'p0') % 40 = 0 THEN NULL
                 ELSE round({prices}[p + 1] * (0.85 + (hash(i, 'price') % 31)::INTEGER / 100), 2) END AS price
        FROM (SELECT range AS i, (hash(range, 'product') % {len(PRODUCTS)})::BIGINT AS p FROM range({int(rows)}))
        ORDER BY i
    """  # only constants of this module and an int in the SQL text
    with duckdb.connect(":memory:") as scratch:
        scratch.execute(f"COPY ({query}) TO ? (FORMAT csv, HEADER)", [str(partial)])
    os.replace(partial, path)
    return path
