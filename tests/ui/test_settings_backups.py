"""The Settings page's backups: when the last one was made, and "Back up now" as a background job."""

from __future__ import annotations

from robustapp import bootstrap
from robustapp.domain.jobs import JobState
from tests.integration.helpers import wait_until
from tests.ui.helpers import block, open_app


def test_back_up_now_makes_a_backup_in_the_background_and_the_page_lists_it() -> None:
    at = open_app("settings")
    assert not at.exception
    assert [c.value for c in block(at, "settings_backup_status").caption] == ["No backup yet."]
    jobs = bootstrap.services().jobs
    jobs.start()

    at.button(key="settings_backup_create").click().run()

    (job,) = jobs.list_jobs(name="backup.create")
    assert wait_until(lambda: jobs.poll(job.id).state is JobState.SUCCEEDED, timeout=30)
    at.run()
    made = jobs.poll(job.id).result
    assert next(c.value for c in block(at, "settings_backup_status").caption).startswith("Last backup: ")
    (table,) = [frame.value for frame in at.dataframe if "id" in frame.value.columns]
    assert list(table["id"]) == [made["id"]]
