"""A running job as a page shows it: a progress bar with its message, and a Cancel button.

    job_row(jobs, job, cancel_key=…)        one row, drawn where it is called
    live_job(job_id, cancel_key=…)          the same row refreshing itself every second; once the
                                            job has ended, the whole page reruns to show the outcome
"""

from __future__ import annotations

from contextlib import nullcontext

import streamlit as st

from robustapp import bootstrap
from robustapp.domain.jobs import JobInfo
from robustapp.services.jobs import JobService
from robustapp.ui.errors import guarded

REFRESH_SECONDS = 1.0


def job_row(jobs: JobService, job: JobInfo, *, cancel_key: str, label: str | None = None) -> None:
    bar, stop = st.columns([5, 1], vertical_alignment="center")
    bar.progress(min(max(job.progress, 0.0), 1.0), text=label or job.message or "waiting to start")
    stop.button("Cancel", key=cancel_key, icon=":material/stop_circle:", width="stretch",
                on_click=guarded(jobs.cancel), args=(job.id,))  # fmt: skip


@st.fragment(run_every=REFRESH_SECONDS)
def live_job(job_id: int, *, cancel_key: str, status_key: str | None = None) -> None:
    jobs = bootstrap.services().jobs
    job = jobs.poll(job_id)
    if job.is_finished:
        st.rerun(scope="app")  # the whole page draws the outcome
    with st.container(key=status_key) if status_key else nullcontext():
        job_row(jobs, job, cancel_key=cancel_key)
