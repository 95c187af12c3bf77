"""`robustapp backup …` while the app runs: a backup is made inside the app (through its control
API, as a job with progress), a restore is refused with what to do instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from robustapp.config import Paths
from tests.integration.helpers import robustapp
from tests.servers import HeadlessApp


def _demo_items(path: Path) -> int:
    connection = duckdb.connect(str(path), read_only=True)
    try:
        return connection.execute("SELECT count(*) FROM demo_items").fetchone()[0]  # type: ignore[index]
    finally:
        connection.close()


def test_backup_create_goes_through_the_running_app_and_restore_is_refused_until_it_is_closed(
    app_home: Path,
) -> None:
    paths = Paths.for_home(app_home)
    with HeadlessApp(app_home, job_max_workers="1") as app:
        assert app.api("POST", "/api/db/seed?rows=500").status_code == 200
        made = robustapp("backup", "create", "--name", "while running", "--json")
        verified = robustapp("backup", "verify", "latest")
        refused = robustapp("backup", "restore", "latest", "--yes")
        jobs = app.api("GET", "/api/jobs?name=backup.create").json()
        listed = app.api("GET", "/api/backups").json()
        assert app.stop() == 0

    assert made.returncode == 0, made.stderr
    assert "through the running app" in made.stderr
    info = json.loads(made.stdout)
    assert (info["kind"], info["name"]) == ("manual", "while running")
    assert [job["state"] for job in jobs] == ["succeeded"]
    assert [backup["id"] for backup in listed] == [info["id"]]
    assert verified.returncode == 0, verified.stderr
    assert refused.returncode == 1
    assert "AlreadyRunningError: the app is running" in refused.stderr and "stop it (Ctrl+C" in refused.stderr
    assert _demo_items(Path(info["path"])) == 500  # what was committed before the backup is in it
    assert _demo_items(paths.db_path) == 500
    assert [p.name for p in paths.backup_dir.iterdir()] == [Path(info["path"]).name]  # no restore, no safety backup
