"""The workbench's jobs: work on the user's datasets (imports, profiles, queries, exports).

Most run inside DuckDB as DB tasks (`kind="db"`: a thread of the database's owner with its own
cursor, interrupted on cancel). Every worker process imports this module too, so it imports
nothing heavy at module level: the services a job needs are imported inside the job.
"""

from __future__ import annotations
