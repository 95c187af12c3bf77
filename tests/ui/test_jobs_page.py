"""The Jobs page, the Demo's π job and the sidebar's job status, on real jobs (AppTest runs no timers:
each check reruns the app, as the page's own refresh would)."""

from __future__ import annotations

from datetime import UTC, datetime

from streamlit.testing.v1 import AppTest

from robustapp import bootstrap
from robustapp.domain.jobs import JobInfo, JobState
from robustapp.storage import jobs as job_records
from tests.integration.helpers import wait_until
from tests.ui.helpers import block, open_app, screen_text, title


def _job(at: AppTest, key: str):
    return at.button(key=key)


def _record_a_job_the_app_was_running_when_it_crashed() -> int:
    info = JobInfo(id=0, name="pi", params={"samples": 1000}, created_at=datetime.now(UTC), timeout=60,
                   state=JobState.RUNNING, started_at=datetime.now(UTC), progress=0.4)
    db = bootstrap.services().db
    return db.write(lambda cursor: job_records.insert(cursor, info))


def test_a_fresh_app_has_no_jobs() -> None:
    at = open_app("jobs")
    assert not at.exception
    assert title(at) == "Jobs"
    assert "Nothing is running or waiting." in [c.value for c in block(at, "jobs_active").caption]
    assert "No background jobs" in [c.value for c in block(at, "job_status").caption]


def test_the_demo_estimates_pi_in_the_background_and_shows_the_result() -> None:
    at = open_app("demo")
    bootstrap.services().jobs.start()
    at.selectbox(key="demo_pi_samples").set_value(10_000_000).run()
    at.button(key="demo_pi_start").click().run()
    assert not at.exception
    (job,) = bootstrap.services().jobs.list_jobs()
    assert (job.name, job.params) == ("pi", {"samples": 10_000_000})

    assert bootstrap.services().jobs.wait(job.id, timeout=60).state is JobState.SUCCEEDED
    at.run()
    (done,) = block(at, "demo_pi_status").success
    assert done.value.startswith("π ≈ 3.14") and f"job #{job.id}" in done.value


def test_a_running_job_shows_progress_and_cancel_stops_it() -> None:
    bootstrap.services().jobs.start()
    job_id = bootstrap.services().jobs.enqueue("sleep", seconds=30, steps=300)
    assert wait_until(lambda: bootstrap.services().jobs.poll(job_id).progress > 0, timeout=30)
    at = open_app("jobs")
    row = block(at, f"jobs_row_{job_id}")
    assert "**sleep**" in row.markdown[0].value
    assert "step" in screen_text(row)  # the job's own progress message
    assert "1** running" in block(at, "jobs_summary").markdown[0].value

    _job(at, f"jobs_cancel_{job_id}").click().run()
    assert bootstrap.services().jobs.wait(job_id, timeout=5).state is JobState.CANCELLED
    at.run()
    assert "Nothing is running or waiting." in [c.value for c in block(at, "jobs_active").caption]


def test_a_job_interrupted_by_a_crash_is_flagged_and_re_runs_in_one_click() -> None:
    at = open_app("home")
    crashed = _record_a_job_the_app_was_running_when_it_crashed()
    bootstrap.services().jobs.start()  # as the restarted app does: the job is interrupted
    assert bootstrap.services().jobs.poll(crashed).state is JobState.INTERRUPTED

    at.run()
    assert at.button(key="job_status_interrupted").label == "1 interrupted job"
    at.button(key="job_status_interrupted").click().run()
    assert title(at) == "Jobs"
    assert "crash" in screen_text(block(at, f"jobs_row_{crashed}"))

    _job(at, f"jobs_rerun_{crashed}").click().run()
    assert not at.exception
    new = bootstrap.services().jobs.list_jobs()[0]
    assert (new.name, new.params, new.attempt, new.rerun_of) == ("pi", {"samples": 1000}, 2, crashed)
    assert bootstrap.services().jobs.wait(new.id, timeout=60).state is JobState.SUCCEEDED


def test_a_failed_job_shows_its_error_and_traceback_in_the_details() -> None:
    bootstrap.services().jobs.start()
    job_id = bootstrap.services().jobs.enqueue("fail", message="the input had 3 columns, expected 4")
    assert bootstrap.services().jobs.wait(job_id, timeout=60).state is JobState.FAILED
    at = open_app("jobs")
    details = block(at, "jobs_details")
    assert at.selectbox(key="jobs_selected").value == job_id
    assert "the input had 3 columns, expected 4" in details.error[0].value
    assert any("Traceback" in code.value and "JobFailedOnPurpose" in code.value for code in details.code)

    at.button(key="jobs_details_rerun").click().run()
    rerun = bootstrap.services().jobs.list_jobs()[0]
    assert rerun.rerun_of == job_id
    assert at.selectbox(key="jobs_selected").value == rerun.id  # the details follow the new job
