"""The Settings page's backups: when the last one was made, "Back up now" as a background job, restore."""

from __future__ import annotations

import asyncio
import threading

from robustapp import bootstrap
from robustapp.domain.jobs import JobState
from robustapp.server.launcher_link import LauncherLink
from robustapp.services import backups
from robustapp.services.instance import RESTORE_EVENT
from robustapp.services.restore import Outcome, record_outcome
from tests.integration.helpers import wait_until
from tests.ui.helpers import block, open_app, screen_text


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


def _link() -> LauncherLink:
    """The server's real end of the launcher link, as a desktop server has it."""
    link = LauncherLink(has_window=False, stopping=threading.Event())
    bootstrap.services().launcher = link
    return link


def test_without_a_launcher_the_page_says_how_to_restore_from_the_command_line() -> None:
    services = bootstrap.services()
    backups.create(services.db, services.paths)
    at = open_app("settings")
    assert "robustapp backup restore ID" in screen_text(at)
    assert not [b for b in at.button if b.key == "settings_restore"]


def test_restore_asks_first_then_asks_the_launcher_to_restart_on_the_backup() -> None:
    services = bootstrap.services()
    made = backups.create(services.db, services.paths, name="monday")
    link = _link()
    at = open_app("settings")

    at.button(key="settings_restore").click().run()
    warning = block(at, "settings_restore_confirm").warning[0].value
    assert "monday" in warning and "safety backup" in warning
    assert asyncio.run(link.wait(0)) == [], "nothing happens before the user confirms"

    at.button(key="settings_restore_yes").click().run()
    assert asyncio.run(link.wait(0)) == [f"{RESTORE_EVENT}{made.id}"]
    assert "robustapp restarts in a moment" in screen_text(at)


def test_cancel_keeps_everything_as_it_is() -> None:
    services = bootstrap.services()
    backups.create(services.db, services.paths)
    link = _link()
    at = open_app("settings")
    at.button(key="settings_restore").click().run()
    at.button(key="settings_restore_no").click().run()
    assert not [b for b in at.button if b.key == "settings_restore_yes"]
    assert asyncio.run(link.wait(0)) == []


def test_the_restore_outcome_is_shown_once_after_the_restart_until_dismissed() -> None:
    paths = bootstrap.services().paths
    record_outcome(paths, Outcome(ok=True, message="Restored the backup 20261126-monday (made …)."))
    at = open_app()
    assert block(at, "restore_outcome").success[0].value == "Restored the backup 20261126-monday (made …)."
    at.button(key="restore_outcome_dismiss").click().run()
    assert not [b for b in at.button if b.key == "restore_outcome_dismiss"]
    assert not [b for b in open_app().button if b.key == "restore_outcome_dismiss"], "told once, not every session"
