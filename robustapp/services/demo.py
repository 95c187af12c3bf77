"""Demo data: a small generated table so a newcomer has something to look at."""

from __future__ import annotations

import random

from robustapp.storage import Database

CATEGORIES = ("alpha", "beta", "gamma", "delta")


def add_item(db: Database, name: str, category: str, value: float) -> int:
    """Add one item; returns its id."""
    if not name.strip():
        raise ValueError("an item needs a name")

    def insert(cursor) -> int:
        (next_id,) = cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM demo_items").fetchone()
        cursor.execute(
            "INSERT INTO demo_items (id, name, category, value) VALUES (?, ?, ?, ?)",
            [next_id, name.strip(), category, value],
        )
        return int(next_id)

    return db.write(insert)


def list_items(db: Database, limit: int = 100) -> list[dict]:
    rows = db.query(
        "SELECT id, name, category, value FROM demo_items ORDER BY id DESC LIMIT ?", [limit]
    )
    return [dict(zip(("id", "name", "category", "value"), row, strict=True)) for row in rows]


def count_items(db: Database) -> int:
    row = db.query_one("SELECT count(*) FROM demo_items")
    return int(row[0]) if row else 0


def seed(db: Database, rows: int = 1000, *, seed_value: int = 7) -> int:
    """Add `rows` generated items in one transaction; returns how many were added."""
    rng = random.Random(seed_value)

    def insert(cursor) -> int:
        (start,) = cursor.execute("SELECT coalesce(max(id), 0) FROM demo_items").fetchone()
        data = [
            (start + i + 1, f"item {start + i + 1}", rng.choice(CATEGORIES), round(rng.gauss(100, 25), 2))
            for i in range(rows)
        ]
        cursor.executemany("INSERT INTO demo_items (id, name, category, value) VALUES (?, ?, ?, ?)", data)
        return len(data)

    return db.write(insert)
