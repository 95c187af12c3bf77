"""Fill a data home with every kind of state, change it all, and read a database file whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from robustapp.bootstrap import Services
from robustapp.domain.form import FormSpec
from robustapp.domain.preferences import PREFERENCES_FORM, UserPreferences
from robustapp.services import datasets, demo
from robustapp.services.forms import FormService
from robustapp.services.state import Actor, Change

ADA = Actor(owner="ada", name="Ada", session_id="window-1")
PREFERENCES = FormSpec.of(PREFERENCES_FORM, UserPreferences)


def everything(db_path: Path) -> dict[str, Any]:
    """Every row of every table, and where every sequence stands, read from the closed file `db_path`."""
    connection = duckdb.connect(str(db_path), read_only=True)
    try:
        tables = connection.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY ALL"
        ).fetchall()
        found: dict[str, Any] = {
            f"{schema}.{table}": connection.execute(f'SELECT * FROM "{schema}"."{table}" ORDER BY ALL').fetchall()
            for schema, table in tables
        }
        found["sequences"] = connection.execute(
            "SELECT sequence_name, last_value FROM duckdb_sequences() ORDER BY ALL"
        ).fetchall()
        return found
    finally:
        connection.close()


def fill(services: Services, files: Path, round_: int) -> None:
    """Widget values (with their audit entries), a form's history, demo items, a dataset and a job."""
    db = services.db
    services.state.save(
        ADA, [Change("demo", "name", f"Ada {round_}"), Change("demo", "nights", round_)], trace_id=f"t{round_}"
    )
    forms = FormService(db)
    forms.edit(ADA, PREFERENCES, "rows_per_page", 20 + round_, trace_id=f"f{round_}")
    forms.edit(ADA, PREFERENCES, "decimal_places", round_ % 10, trace_id=f"f{round_}")
    for i in range(3):
        demo.add_item(db, f"item {round_}.{i}", "alpha", i * 1.5)
    csv = files / f"sales-{round_}.csv"
    csv.write_text("id,city,amount\n" + "".join(f"{i},city {i % 7},{i * round_}.25\n" for i in range(200)))
    datasets.import_file(db, csv, name=f"sales {round_}")
    services.jobs.enqueue("noop")  # recorded as queued: nothing runs jobs here
