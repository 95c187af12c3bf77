"""Demo data: a small generated table so a newcomer has something to look at, and a demo dataset
(`demo_sales`, generated sales rows) to browse, profile and analyse."""

from __future__ import annotations

import random

from robustapp.domain.datasets import DatasetInfo
from robustapp.errors import DatasetNameTaken, DatasetNotFound
from robustapp.logs import get_logger
from robustapp.services import datasets
from robustapp.storage import Database, demo_items, samples

DEMO_DATASET = "demo_sales"
DEMO_DATASET_ROWS = 100_000
log = get_logger(__name__)

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
    """Add `rows` generated items in one transaction, and the demo dataset unless there is one;
    returns how many items were added."""
    rng = random.Random(seed_value)

    def insert(cursor) -> int:
        start = demo_items.last_id(cursor)
        data = [
            (start + i + 1, f"item {start + i + 1}", rng.choice(CATEGORIES), round(rng.gauss(100, 25), 2))
            for i in range(rows)
        ]
        demo_items.insert(cursor, data)
        return len(data)

    added = db.write(insert)
    ensure_demo_dataset(db)
    return added


def ensure_demo_dataset(db: Database, rows: int = DEMO_DATASET_ROWS) -> DatasetInfo | None:
    """Import the generated `demo_sales` dataset unless a dataset of that name exists (safe to repeat);
    returns it if it was imported now. Its CSV stays beside the database, so it can be re-imported."""
    try:
        datasets.get_dataset(db, DEMO_DATASET)
        return None
    except DatasetNotFound:
        pass
    path = samples.write_demo_sales(db.path.parent / "samples" / f"{DEMO_DATASET}.csv", rows)
    try:
        info = datasets.import_file(db, path, name=DEMO_DATASET)
    except DatasetNameTaken:  # another seed got there first
        return None
    log.info("demo dataset imported", dataset=DEMO_DATASET, rows=info.row_count)
    return info
