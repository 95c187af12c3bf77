"""Home: where a user starts: their datasets and jobs at a glance, and the way to import a file.

    home_metrics     datasets · rows in them · database size
    home_import      Import a file (→ Datasets)
    home_datasets    the newest datasets, each opening in Browse
    home_analyses    the analyses saved last, each opening on the Analyse page
    home_jobs        the newest jobs, each opening its details on the Jobs page
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import streamlit as st

from robustapp.domain.analysis import SavedAnalysis
from robustapp.domain.jobs import JobInfo
from robustapp.services import analysis, datasets, health
from robustapp.ui.errors import guarded
from robustapp.ui.router import navigate
from robustapp.ui.views.jobs import STATE_ICONS

if TYPE_CHECKING:
    from robustapp.ui.views import PageContext

RECENT = 5
_JOBS_SELECTED = "jobs_selected"  # the Jobs page's "Details of job" select


def render(ctx: PageContext) -> None:
    st.title("robustapp")
    st.write("A data workbench for your own files, offline. Everything you enter is kept.")
    db = ctx.services.db
    infos = datasets.list_datasets(db)
    summary = health.database_summary(db)  # not health.status(): that walks the data folders
    with st.container(key="home_metrics"):
        left, middle, right = st.columns(3)
        left.metric("Datasets", len(infos))
        middle.metric("Rows in datasets", f"{sum(info.row_count for info in infos):,}")
        right.metric("Database size", f"{summary['database_bytes'] / 2**20:.1f} MB")
    with st.container(key="home_import"):
        st.button("Import a file", key="home_import_file", type="primary", icon=":material/upload_file:",
                  on_click=guarded(navigate), args=("datasets",))  # fmt: skip
    datasets_column, jobs_column = st.columns(2, gap="large")
    with datasets_column:
        st.subheader("Recent datasets")
        with st.container(key="home_datasets"):
            _recent_datasets(sorted(infos, key=lambda info: info.imported_at, reverse=True)[:RECENT])
        st.subheader("Saved analyses")
        with st.container(key="home_analyses"):
            saved = analysis.list_analyses(db, ctx.services.owner)
            _recent_analyses(sorted(saved, key=lambda item: item.updated_at, reverse=True)[:RECENT])
    with jobs_column:
        st.subheader("Recent jobs")
        with st.container(key="home_jobs"):
            _recent_jobs(ctx.services.jobs.list_jobs(limit=RECENT))
    st.divider()
    st.caption(f"Your data lives in `{ctx.services.paths.data_dir}`")
    st.button("Try the widgets demo", icon=":material/science:", key="home_try_demo", type="tertiary",
              on_click=guarded(navigate), args=("demo",))  # fmt: skip


def _recent_datasets(newest: list) -> None:
    if not newest:
        st.caption("No datasets yet: import a file, or run `robustapp db seed` for a demo dataset.")
        return
    for info in newest:
        st.button(
            f"{info.name} · {info.row_count:,} rows · {len(info.columns)} columns",
            key=f"home_dataset_{info.id}", icon=":material/table_view:", type="tertiary",
            help=f"Browse {info.name} (imported {_when(info.imported_at)} from {info.source_path})",
            on_click=guarded(navigate), args=("browse", {"dataset": info.name}),
        )  # fmt: skip


def _recent_analyses(newest: list[SavedAnalysis]) -> None:
    if not newest:
        st.caption("No saved analyses yet: build one on the Analyse page and save it by name.")
        return
    for item in newest:
        st.button(
            f"{item.name} · on {item.spec.dataset} · {_when(item.updated_at)}",
            key=f"home_analysis_{item.id}", icon=":material/query_stats:", type="tertiary",
            on_click=guarded(navigate), args=("analyse", {"analysis": item.name}),
        )  # fmt: skip


def _recent_jobs(jobs: list[JobInfo]) -> None:
    if not jobs:
        st.caption("No jobs yet: imports and other long work show here.")
    for job in jobs:
        st.button(
            f"{job.name} #{job.id} · {job.state} · {_when(job.created_at)}",
            key=f"home_job_{job.id}", icon=STATE_ICONS[job.state], type="tertiary",
            on_click=guarded(_show_job), args=(job.id,),
        )  # fmt: skip
    st.button("All jobs", key="home_all_jobs", icon=":material/pending_actions:",
              on_click=guarded(navigate), args=("jobs",))  # fmt: skip


def _show_job(job_id: int) -> None:
    st.session_state[_JOBS_SELECTED] = job_id
    navigate("jobs")


def _when(at: datetime) -> str:
    local = at.astimezone()
    return f"{local:%H:%M}" if local.date() == datetime.now().astimezone().date() else f"{local:%Y-%m-%d %H:%M}"
