"""The sidebar's job status: what runs in the background, kept current without rerunning the page.

    job_status   (fixed height; refreshes itself every REFRESH_SECONDS)
      "No background jobs" | ⟳ pi #12 · 45 % ▕████░░░░▏ · "+2 more" | ⚠ 1 interrupted job
"""

from __future__ import annotations

import streamlit as st

from robustapp import bootstrap
from robustapp.domain.jobs import JobState
from robustapp.ui.errors import guarded
from robustapp.ui.router import navigate

REFRESH_SECONDS = 2.0
HEIGHT = 92


@st.fragment(run_every=REFRESH_SECONDS)
def job_status() -> None:
    jobs = bootstrap.services().jobs
    active = jobs.list_jobs(state=(JobState.RUNNING, JobState.QUEUED), limit=20)
    interrupted = jobs.list_jobs(state=JobState.INTERRUPTED, limit=20)
    with st.container(key="job_status", height=HEIGHT, border=False):
        running = [job for job in active if job.state is JobState.RUNNING]
        if running:
            job = running[0]
            st.progress(min(max(job.progress, 0.0), 1.0), text=f"{job.name} #{job.id} · {job.progress:.0%}")
        more = len(active) - (1 if running else 0)
        if more:
            st.caption(f"+{more} more {'job' if more == 1 else 'jobs'} running or queued")
        if interrupted:
            st.button(
                f"{len(interrupted)} interrupted {'job' if len(interrupted) == 1 else 'jobs'}",
                key="job_status_interrupted",
                icon=":material/warning:",
                type="tertiary",
                on_click=guarded(navigate),
                args=("jobs",),
            )
        if not active and not interrupted:
            st.caption("No background jobs")
