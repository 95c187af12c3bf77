"""Storage: the DuckDB file, its single write path and its migrations."""

from robustapp.storage.database import Database
from robustapp.storage.migrations import MIGRATIONS, latest_version, migrate, schema_version

__all__ = ["MIGRATIONS", "Database", "latest_version", "migrate", "schema_version"]
