"""Demo data: a small generated table so a newcomer has something to look at."""

from __future__ import annotations

import random

from robustapp.storage import Database, demo_items

CATEGORIES = ("alpha", "beta", "gamma", "delta")


def add_item(db: Database, name: str, category: str, value: float) -> int:
    """Add one item; returns its id."""
    if not name.strip():
        raise ValueError("an item needs a name")

    def insert(cursor) -> int:
        new_id = demo_items.last_id(cursor) + 1
        demo_items.insert(cursor, [(new_id, name.strip(), category, value)])
        return new_id

    return db.write(insert)


def list_items(db: Database, limit: int = 100) -> list[dict]:
    return demo_items.newest(db, limit)


def count_items(db: Database) -> int:
    return demo_items.count(db)


def seed(db: Database, rows: int = 1000, *, seed_value: int = 7) -> int:
    """Add `rows` generated items in one transaction; returns how many were added."""
    rng = random.Random(seed_value)

    def insert(cursor) -> int:
        start = demo_items.last_id(cursor)
        data = [
            (start + i + 1, f"item {start + i + 1}", rng.choice(CATEGORIES), round(rng.gauss(100, 25), 2))
            for i in range(rows)
        ]
        demo_items.insert(cursor, data)
        return len(data)

    return db.write(insert)
