"""Jobs that look after the app's own data: backups.

They run as DB tasks (`kind="db"`) in the process that owns the database, on a thread whose
cursor a cancel interrupts. Every worker process imports this module too (with the other built-in
jobs), so it imports nothing heavy at module level.
"""

from __future__ import annotations

from typing import Any

from robustapp.jobs.progress import Progress
from robustapp.jobs.registry import job

BACKUP_JOB = "backup.create"


@job(BACKUP_JOB, kind="db")
def create_backup(
    cursor: Any, progress: Progress, *, name: str | None = None, folder: str | None = None, kind: str = "manual"
) -> dict[str, Any]:
    """Back up the database (a consistent snapshot; the app keeps working meanwhile)."""
    from pathlib import Path

    from robustapp import bootstrap
    from robustapp.domain.backups import BackupKind
    from robustapp.services import backups

    services = bootstrap.services()
    kind_ = BackupKind(kind)
    info = backups.create(
        services.db, services.paths, kind=kind_, name=name, folder=Path(folder) if folder else None,
        keep=services.settings.backup_keep if kind_.is_automatic else None, progress=progress.report,
    )  # fmt: skip
    return info.model_dump(mode="json")
