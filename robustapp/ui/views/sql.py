"""SQL: a read-only editor over the datasets, with the result, a history, and the tables beside it.

    sql_editor    the draft (a controlled text area: kept through reloads) · Run
    sql_result    running… [Cancel] (refreshes itself) | rows (Arrow) + export | why it was refused/failed
    sql_history   the newest queries first; Open puts one back into the editor
    sql_tables    the datasets by name, with their columns; Query puts a SELECT of one into the editor

Run queues the job `data.sql` (its own cursor, so Cancel interrupts it) and records the query in
the history; the result shown is that of the newest run, kept in a Parquet file between reloads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from robustapp import bootstrap
from robustapp.domain.export import ExportSource
from robustapp.domain.jobs import JobInfo, JobState
from robustapp.errors import JobNotFoundError
from robustapp.services import sql as queries
from robustapp.services.datasets import list_datasets
from robustapp.services.state import Change
from robustapp.storage.identifiers import quote_identifier
from robustapp.ui import session as sessions
from robustapp.ui.errors import guarded
from robustapp.ui.export import export_controls
from robustapp.ui.widgets import current_scope, s_text_area, widget_key

if TYPE_CHECKING:
    from robustapp.bootstrap import Services
    from robustapp.ui.views import PageContext

DRAFT = "draft"
REFRESH_SECONDS = 0.5
QUICK_SECONDS = 0.5  # most queries finish within this: the run after Run shows their rows at once
_NOTICE = "_sql_notice"


def render(ctx: PageContext) -> None:
    st.title("SQL")
    st.caption(
        "Read-only queries over your datasets: name a dataset as a table (in double quotes when the name has "
        f"spaces). Statements that write, read files or change settings are refused. A query stops after "
        f"{ctx.services.settings.sql_timeout:g} s; the first {queries.MAX_ROWS:,} rows are shown."
    )
    scope = current_scope()
    entries = queries.history(ctx.services.db, ctx.services.owner)
    main, side = st.columns([3, 1])
    with side:
        _tables(ctx.services, scope)
    with main:
        _editor(ctx.services, scope)
        with st.container(key="sql_result"):
            _result(ctx.services, entries[0] if entries else None)
        _history(entries, scope)


def _editor(services: Services, scope: str) -> None:
    with st.container(key="sql_editor"):
        s_text_area("Query", DRAFT, height=180, audited=False, placeholder='SELECT * FROM "my dataset" LIMIT 100')
        run, notice = st.columns([1, 4], vertical_alignment="center")
        run.button("Run", key="sql_run", type="primary", icon=":material/play_arrow:", width="stretch",
                   on_click=guarded(_run), args=(services, widget_key(scope, DRAFT)))  # fmt: skip
        text = st.session_state.pop(_NOTICE, "")
        notice.caption(f":orange[{text}]" if text else "The query is kept as you type, through reloads and restarts.")


def _run(services: Services, draft_key: str) -> None:
    sql = str(st.session_state.get(draft_key) or "")
    if not sql.strip():
        st.session_state[_NOTICE] = "Type a query first."
        return
    job_id = services.jobs.enqueue(
        "data.sql", sql=sql, max_rows=queries.MAX_ROWS, timeout=services.settings.sql_timeout
    )
    queries.record_run(services.db, services.owner, sql, job_id)
    services.jobs.wait(job_id, timeout=QUICK_SECONDS)


def _put_in_editor(scope: str, sql: str) -> None:
    """Callback: the editor shows `sql` in the run that follows, and keeps it like typed text."""
    session = sessions.current()
    st.session_state[widget_key(scope, DRAFT)] = sql
    base = session.seen.get((scope, DRAFT))
    session.queue(Change(scope, DRAFT, sql, base_version=base, audited=False))


# -- the result ----------------------------------------------------------------------------------


def _result(services: Services, latest: queries.HistoryEntry | None) -> None:
    job = _job(latest)
    if latest is None or job is None:
        st.caption("Run a query to see its rows here." if latest is None else "The run of the last query is gone.")
        return
    if not job.is_finished:
        _running(job.id)
    elif job.state is JobState.SUCCEEDED:
        _rows(queries.QueryRun.model_validate(job.result), job)
    elif job.state is JobState.FAILED:
        _failure(job.error or "the query failed")
    elif job.state is JobState.CANCELLED:
        st.warning("The query was cancelled.", icon=":material/cancel:")
    else:
        st.warning(job.error or f"The query was {job.state}.", icon=":material/warning:")


def _job(entry: queries.HistoryEntry | None) -> JobInfo | None:
    if entry is None or entry.job_id is None:
        return None
    try:
        return bootstrap.services().jobs.poll(entry.job_id)
    except JobNotFoundError:
        return None


@st.fragment(run_every=REFRESH_SECONDS)
def _running(job_id: int) -> None:
    jobs = bootstrap.services().jobs
    job = jobs.poll(job_id)
    if job.is_finished:
        st.rerun(scope="app")  # the whole page draws the result (and its export)
    with st.container(key="sql_running"):
        text, stop = st.columns([5, 1], vertical_alignment="center")
        waited = f" {job.duration:.1f} s" if job.duration is not None else ""
        text.markdown(f":material/progress_activity: Running…{waited}" if job.state is JobState.RUNNING
                      else ":material/schedule: Waiting to start…")  # fmt: skip
        stop.button("Cancel", key="sql_cancel", icon=":material/stop_circle:", width="stretch",
                    on_click=guarded(jobs.cancel), args=(job_id,))  # fmt: skip


def _rows(run: queries.QueryRun, job: JobInfo) -> None:
    try:
        table = queries.read_result(run)
    except FileNotFoundError:
        st.info("The rows of the last query are no longer kept; run it again.", icon=":material/info:")
        return
    columns = f"{len(run.columns)} column{'s' if len(run.columns) != 1 else ''}"
    if run.truncated:
        st.caption(f":orange[The query returns more than {run.max_rows:,} rows; the first {run.rows:,} are shown "
                   f"(export gives them all)] · {columns} · {run.seconds:.2f} s")  # fmt: skip
    else:
        st.caption(f"{run.rows:,} row{'s' if run.rows != 1 else ''} · {columns} · {run.seconds:.2f} s")
    st.dataframe(table, hide_index=True, width="stretch", height=min(420, 38 + 35 * max(run.rows, 1)),
                 key=f"sql_table_{job.id}")  # fmt: skip
    source = ExportSource.query(run.sql) if run.truncated else ExportSource.result(run.path)
    export_controls(source, key="sql_export", rows=None if run.truncated else run.rows)


def _failure(error: str) -> None:
    kind, _, message = error.partition(": ")
    if kind == "QueryRefusedError":
        st.error(f"**Not run:** {message}", icon=":material/block:")
    elif kind == "QueryFailedError":
        st.error("**DuckDB could not run the query:**", icon=":material/error:")
        st.code(message, language="text")
    elif kind == "QueryCancelledError":
        st.warning(message[:1].upper() + message[1:] + ".", icon=":material/timer_off:")
    else:
        st.error(error, icon=":material/error:")


# -- history and tables --------------------------------------------------------------------------


def _history(entries: list[queries.HistoryEntry], scope: str) -> None:
    st.subheader("History")
    with st.container(key="sql_history", height=320 if entries else "content"):
        if not entries:
            st.caption("The queries you run show here, newest first.")
        for entry in entries:
            text, action = st.columns([6, 1], vertical_alignment="center")
            preview = "\n".join(entry.sql.strip().splitlines()[:3])
            text.code(preview if len(preview) <= 300 else preview[:299] + "…", language="sql")
            text.caption(f"{entry.ran_at.astimezone():%Y-%m-%d %H:%M:%S} · {queries.outcome(entry)}")
            action.button("Open", key=f"sql_open_{entry.id}", icon=":material/edit:", width="stretch",
                          help="Put this query into the editor", on_click=guarded(_put_in_editor),
                          args=(scope, entry.sql))  # fmt: skip


def _tables(services: Services, scope: str) -> None:
    st.subheader("Datasets")
    with st.container(key="sql_tables"):
        infos = list_datasets(services.db)
        if not infos:
            st.caption("No datasets yet: import a file on the Datasets page.")
        for info in infos:
            with st.expander(f"{info.name} · {info.row_count:,} rows"):
                st.markdown("\n".join(f"- `{column.name}` {column.type.lower()}" for column in info.columns))
                st.button("Query it", key=f"sql_query_{info.id}", icon=":material/edit_note:",
                          on_click=guarded(_put_in_editor),
                          args=(scope, f"SELECT *\nFROM {quote_identifier(info.name)}\nLIMIT 100"))  # fmt: skip
