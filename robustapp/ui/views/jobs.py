"""Jobs: what runs in the background, live, with cancel, re-run and the details of how each ended.

    jobs_live       (refreshes itself every second, without rerunning the page)
      jobs_summary    n running · n queued · n need attention
      jobs_active     one row per queued/running job: progress, message, Cancel
                      one row per interrupted job: why, Re-run
      jobs_recent     table of the newest jobs
      jobs_details    pick a job: params, result or error with its traceback; Cancel / Re-run
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import streamlit as st

from robustapp import bootstrap
from robustapp.domain.jobs import JobInfo, JobState
from robustapp.services.jobs import JobService
from robustapp.ui.errors import guarded

if TYPE_CHECKING:
    from robustapp.ui.views import PageContext

REFRESH_SECONDS = 1.0
RECENT = 50
TABLE_HEIGHT = 320
_SELECTED = "jobs_selected"

STATE_ICONS = {
    JobState.QUEUED: ":material/schedule:",
    JobState.RUNNING: ":material/autorenew:",
    JobState.SUCCEEDED: ":material/check_circle:",
    JobState.FAILED: ":material/error:",
    JobState.CANCELLED: ":material/cancel:",
    JobState.INTERRUPTED: ":material/warning:",
}
STATE_COLOURS = {
    JobState.QUEUED: "gray", JobState.RUNNING: "blue", JobState.SUCCEEDED: "green",
    JobState.FAILED: "red", JobState.CANCELLED: "gray", JobState.INTERRUPTED: "orange",
}


def render(ctx: PageContext) -> None:
    st.title("Jobs")
    st.caption(
        "Long work runs in the background: pages stay usable, progress shows here as it happens, "
        "and a job the app could not finish (a crash, a restart) waits here to be re-run."
    )
    _live()


@st.fragment(run_every=REFRESH_SECONDS)
def _live() -> None:
    jobs = bootstrap.services().jobs
    recent = jobs.list_jobs(limit=RECENT)
    with st.container(key="jobs_summary"):
        st.markdown(summary(recent))
    with st.container(key="jobs_active"):
        attention = [job for job in recent if not job.is_finished or job.state is JobState.INTERRUPTED]
        for job in attention:
            _row(jobs, job)
        if not attention:
            st.caption("Nothing is running or waiting.")
    st.subheader("Recent jobs")
    st.dataframe(
        [_table_row(job) for job in recent] or {"#": [], "job": [], "state": []},
        hide_index=True,
        width="stretch",
        height=TABLE_HEIGHT,
        key="jobs_recent",
        column_config={"progress": st.column_config.ProgressColumn("progress", min_value=0.0, max_value=1.0)},
    )
    with st.container(key="jobs_details", border=True):
        _details(jobs, recent)


def summary(jobs: list[JobInfo]) -> str:
    """One line: how many jobs run, wait, and want the user's attention."""
    count = {state: sum(1 for job in jobs if job.state is state) for state in JobState}
    parts = [f"**{count[JobState.RUNNING]}** running", f"**{count[JobState.QUEUED]}** queued"]
    if count[JobState.INTERRUPTED]:
        parts.append(f":orange[**{count[JobState.INTERRUPTED]}** interrupted]")
    return " · ".join(parts)


def _row(jobs: JobService, job: JobInfo) -> None:
    with st.container(key=f"jobs_row_{job.id}", border=True):
        name, bar, action = st.columns([2, 5, 1], vertical_alignment="center")
        name.markdown(f"{STATE_ICONS[job.state]} **{job.name}** #{job.id}")
        if job.state is JobState.INTERRUPTED:
            bar.caption(f":orange[{job.error or 'interrupted'}]")
            action.button("Re-run", key=f"jobs_rerun_{job.id}", icon=":material/replay:",
                          on_click=guarded(jobs.rerun), args=(job.id,))
        else:
            bar.progress(min(max(job.progress, 0.0), 1.0), text=job.message or str(job.state))
            action.button("Cancel", key=f"jobs_cancel_{job.id}", icon=":material/stop_circle:",
                          on_click=guarded(jobs.cancel), args=(job.id,))


def _table_row(job: JobInfo) -> dict[str, Any]:
    return {
        "#": job.id,
        "job": job.name,
        "state": f"{job.state}",
        "progress": job.progress,
        "started": _time(job.started_at),
        "took": f"{job.duration:.1f} s" if job.duration is not None else "",
        "outcome": job.error or _short(job.result) or job.message,
    }


def _details(jobs: JobService, recent: list[JobInfo]) -> None:
    if not recent:
        st.caption("The details of a job show here once one has run.")
        return
    ids = [job.id for job in recent]
    if st.session_state.get(_SELECTED) not in ids:
        st.session_state[_SELECTED] = ids[0]
    chosen = st.selectbox("Details of job", ids, key=_SELECTED, format_func=lambda i: _label(recent, i))
    job = next(job for job in recent if job.id == chosen)
    colour = STATE_COLOURS[job.state]
    st.markdown(f"{STATE_ICONS[job.state]} :{colour}[**{job.state}**] · attempt {job.attempt}"
                + (f" (re-run of #{job.rerun_of})" if job.rerun_of else ""))
    st.caption(
        f"queued {_time(job.created_at)} · started {_time(job.started_at) or '—'} · "
        f"finished {_time(job.finished_at) or '—'} · time limit {job.timeout:g} s"
    )
    st.code(json.dumps(job.params, indent=2, sort_keys=True), language="json")
    if job.state is JobState.SUCCEEDED:
        st.code(json.dumps(job.result, indent=2, default=str), language="json")
    elif job.error:
        st.error(job.error, icon=":material/error:")
        if job.traceback:
            st.code(job.traceback, language="text")
    if job.is_finished:
        st.button("Re-run", key="jobs_details_rerun", icon=":material/replay:",
                  on_click=guarded(_rerun_and_show), args=(jobs, job.id))
    else:
        st.button("Cancel", key="jobs_details_cancel", icon=":material/stop_circle:",
                  on_click=guarded(jobs.cancel), args=(job.id,))


def _rerun_and_show(jobs: JobService, job_id: int) -> None:
    st.session_state[_SELECTED] = jobs.rerun(job_id)


def _label(recent: list[JobInfo], job_id: int) -> str:
    job = next((job for job in recent if job.id == job_id), None)
    return f"#{job_id} {job.name} ({job.state})" if job else f"#{job_id}"


def _time(at: datetime | None) -> str:
    return at.astimezone().strftime("%H:%M:%S") if at else ""


def _short(value: Any, width: int = 60) -> str:
    if value is None:
        return ""
    text = json.dumps(value, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"
