"""Export controls for any page: a format, an Export button, the job's progress, then a download button.

    export_controls(ExportSource.dataset("sales"), key="profile_export", rows=1234)
      <key>            [Format ▾ CSV]  [Export]                      the format is a controlled widget
      <key>_status     running:  ▕████░░░░▏ writing CSV   [Cancel]   (refreshes itself)
                       done:     [Download sales.csv]  1,234 rows · 0.1 MB · exported 10:32
                       failed:   why (e.g. too many rows for one Excel sheet)

The export is a `data.export` job writing into the app's exports folder; the newest such job for
the same source is the one shown, so a reload or a page switch finds it again.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from robustapp import bootstrap
from robustapp.domain.export import FORMATS, MIME_TYPES, ExportSource, excel_refusal
from robustapp.domain.jobs import JobInfo, JobState
from robustapp.services.export import ExportResult, export_path
from robustapp.ui.errors import guarded
from robustapp.ui.job_progress import live_job
from robustapp.ui.widgets import s_select

QUICK_SECONDS = 0.5  # a small export is done before the page redraws: no waiting for a refresh
LABELS = {"csv": "CSV", "parquet": "Parquet", "xlsx": "Excel (.xlsx)"}
__all__ = ["export_controls"]


def export_controls(source: ExportSource, *, key: str, rows: int | None = None) -> None:
    """Draw the export controls for `source` (`key` must be unique on the page; `rows`, when known,
    lets an Excel export that cannot fit be refused before it starts)."""
    with st.container(key=key, border=True):
        pick, go = st.columns([3, 1], vertical_alignment="bottom")
        with pick:
            fmt = s_select("Export as", f"{key}_format", FORMATS, format_func=LABELS.get, audited=False)
        refusal = excel_refusal(rows, source.describe().capitalize()) if fmt == "xlsx" and rows is not None else None
        go.button("Export", key=f"{key}_start", icon=":material/file_export:", width="stretch",
                  disabled=refusal is not None, on_click=guarded(_start), args=(source, fmt))  # fmt: skip
        if refusal:
            st.caption(f":orange[{refusal}.]")
        latest = _latest(source)
        if latest is not None and not latest.is_finished:
            live_job(latest.id, cancel_key=f"{key}_cancel", status_key=f"{key}_status")
        elif latest is not None:
            _finished(latest, key)


def _latest(source: ExportSource) -> JobInfo | None:
    wanted = source.model_dump(mode="json")
    found = bootstrap.services().jobs.list_jobs(name="data.export", limit=30)
    return next((job for job in found if job.params.get("source") == wanted), None)


def _start(source: ExportSource, fmt: str) -> None:
    services = bootstrap.services()
    path = export_path(services.paths.temp_dir / "exports", source, fmt)
    job_id = services.jobs.enqueue(
        "data.export", source=source.model_dump(mode="json"), path=str(path), file_format=fmt
    )
    services.jobs.wait(job_id, timeout=QUICK_SECONDS)


def _finished(job: JobInfo, key: str) -> None:
    with st.container(key=f"{key}_status"):
        if job.state is JobState.SUCCEEDED:
            written = ExportResult.model_validate(job.result)
            path = Path(written.path)
            if not path.is_file():
                st.caption("The exported file is no longer kept; export again to download it.")
                return
            left, right = st.columns([2, 3], vertical_alignment="center")
            left.download_button(
                f"Download {written.file_name}", data=path.read_bytes, file_name=written.file_name,
                mime=MIME_TYPES[written.format], key=f"{key}_download", icon=":material/download:",
                on_click="ignore", type="primary", width="stretch",
            )  # fmt: skip
            moment = job.finished_at.astimezone().strftime("%H:%M:%S") if job.finished_at else ""
            right.caption(f"{written.rows:,} rows · {_size(written.bytes)} · exported {moment}")
        elif job.state is JobState.CANCELLED:
            st.caption("The export was cancelled; nothing was written.")
        else:
            st.error(f"The export failed: {_reason(job.error)}", icon=":material/error:")


def _reason(error: str | None) -> str:
    """The message of "ExportError: …" without the class name a user does not need."""
    kind, _, message = (error or "it stopped").partition(": ")
    return message if message and kind.endswith(("Error", "NotFound")) else (error or "it stopped")


def _size(count: int) -> str:
    return f"{count / 2**20:.1f} MB" if count >= 2**20 else f"{max(1, round(count / 1024))} KB"
