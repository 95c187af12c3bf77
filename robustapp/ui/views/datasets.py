"""Datasets: import a file (a path, or an upload) as a background job; list, rename, annotate,
re-import and delete the datasets, with an Undo while a deleted one can still come back.

    datasets_import            source (path │ upload) · name · replace · options
                               Import │ datasets_import_feedback: why it could not start (fixed height)
    datasets_import_status     the running imports (progress, Cancel) or how the latest one ended;
                               refreshes itself every second; fixed height, a long error scrolls
    datasets_undo              the datasets deleted within the undo window, each with Undo
    datasets_feedback          what the last action did, or why it did not (fixed height)
    datasets_list
      datasets_row_<id>        name · rows · columns · size · imported at · source · notes
                               Browse · Re-import · Delete · rename and notes
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from robustapp import bootstrap
from robustapp.domain.datasets import UNDO_WINDOW, DatasetInfo, ImportOptions
from robustapp.domain.jobs import JobInfo, JobState
from robustapp.errors import DatasetError
from robustapp.services import datasets
from robustapp.storage import Database
from robustapp.ui.errors import guarded
from robustapp.ui.job_progress import job_row
from robustapp.ui.router import navigate
from robustapp.ui.sections import section
from robustapp.ui.text import plain
from robustapp.ui.widgets import put, s_checkbox, s_radio, s_select, s_text, s_text_area, widget_key

if TYPE_CHECKING:
    from robustapp.bootstrap import Services
    from robustapp.ui.views import PageContext

SCOPE = "datasets"
IMPORT_JOBS = ("data.import", "data.reimport")
UPLOAD_TYPES = ["csv", "tsv", "tab", "txt", "parquet", "pq", "json", "ndjson", "jsonl", "xlsx", "xlsm"]
OPEN_FILE_TYPES = ("Data files (" + ";".join(f"*.{ext}" for ext in UPLOAD_TYPES) + ")", "All files (*.*)")
STATUS_HEIGHT = 150
FEEDBACK_HEIGHT = 64
REFRESH_SECONDS = 1.0
DELIMITERS = ["", ",", ";", "tab", "|"]
HEADERS = ["detect", "yes", "no"]
ENCODINGS = ["utf-8", "latin-1", "cp1252", "utf-16"]
_IMPORT_FEEDBACK = "_datasets_import_feedback"
_FEEDBACK = "_datasets_feedback"
_UPLOADER_ROUND = "_datasets_uploader_round"  # a new uploader key after each import empties it
_WATCHED = "_datasets_watched_jobs"  # imports seen running: when one ends, the list is redrawn
_REJECTS = re.compile(
    r"^(?P<head>.*?\d+ malformed rows?): (?P<rows>.*?)(?P<tail>\. Nothing was imported.*)?$", re.DOTALL
)
_NEXT_REJECT = re.compile(r"; (?=line \d+|a line|and \d+ more)")


def render(ctx: PageContext) -> None:
    st.title("Datasets")
    st.caption(
        "Import CSV/TSV, Parquet, JSON/NDJSON or Excel files into your own database. An import runs in the "
        "background and is all or nothing: a file it cannot read leaves nothing behind."
    )
    _import_form(ctx.services)
    _catalog(ctx.services.db)


# -- import ------------------------------------------------------------------------------------


@section
def _import_form(services: Services) -> None:
    with st.container(key="datasets_import", border=True):
        st.subheader("Import a file")
        source = s_radio(
            "From", "source", ["path", "upload"], horizontal=True, audited=False,
            format_func={"path": "a path on this computer", "upload": "an uploaded file"}.get,
        )  # fmt: skip
        if source == "path":
            _path_field(services)
        else:
            st.file_uploader(
                "File (CSV/TSV, Parquet, JSON/NDJSON, XLSX)", type=UPLOAD_TYPES, key=_uploader_key(),
                help="The file is copied into the app's folder, then imported. For a very large file, type its path.",
            )  # fmt: skip
        name_column, replace_column = st.columns([3, 2], vertical_alignment="bottom")
        with name_column:
            s_text("Dataset name", "name", placeholder="the file's name", audited=False)
        with replace_column:
            s_checkbox("Replace the dataset of that name", "replace", audited=False)
        with st.expander("Options", expanded=False):
            _options()
        button, feedback = st.columns([1, 5], vertical_alignment="center")
        button.button("Import", key="datasets_import_start", type="primary", icon=":material/upload_file:",
                      width="stretch", on_click=guarded(_start_import), args=(services,))  # fmt: skip
        with feedback.container(key="datasets_import_feedback", height=FEEDBACK_HEIGHT, border=False):
            _show_feedback(st.session_state.pop(_IMPORT_FEEDBACK, None))
    _import_status()  # inside the section: a click on Import shows the new job at once


def _path_field(services: Services) -> None:
    """The path, typed or pasted; in the desktop window also chosen in the system's file dialog."""
    launcher = services.launcher
    if launcher is None or not launcher.has_window:
        s_text("File path", "path", placeholder="/home/me/data/sales.csv (type or paste it)", audited=False)
        return
    field, choose = st.columns([5, 1], vertical_alignment="bottom")
    with field:
        s_text("File path", "path", placeholder="/home/me/data/sales.csv (type, paste or choose it)", audited=False)
    choose.button("Choose…", key="datasets_choose_file", icon=":material/folder_open:", width="stretch",
                  on_click=guarded(_choose_file), args=(services,))  # fmt: skip


def _choose_file(services: Services) -> None:
    """The window's file dialog (the script run waits while it is open; the dialog is modal anyway)."""
    if services.launcher is None:
        return
    chosen = services.launcher.choose_file("open", file_types=OPEN_FILE_TYPES)
    if chosen is not None:
        put("path", str(chosen), scope=SCOPE, audited=False)


def _options() -> None:
    left, middle, right = st.columns(3)
    with left:
        s_select("Delimiter (CSV)", "delimiter", DELIMITERS, format_func=lambda d: d or "detect", audited=False)
        s_select("Header row (CSV, XLSX)", "header", HEADERS, audited=False)
    with middle:
        s_select("Encoding (CSV)", "encoding", ENCODINGS, audited=False)
        s_text("Sheet (XLSX)", "sheet", placeholder="the first one; a name or a number from 0", audited=False)
    with right:
        s_checkbox("Skip bad rows (CSV): import the others and list them", "skip_bad_rows", audited=False)
        s_text_area("Column types", "types", height=80, placeholder="zip=VARCHAR\nprice=DECIMAL(10,2)", audited=False)


def _value(key: str, default: Any = "") -> Any:
    """What a field of the import form shows now (read in a callback: the values of this very click)."""
    return st.session_state.get(widget_key(SCOPE, key), default)


def _uploader_key() -> str:
    return f"datasets_upload_{st.session_state.get(_UPLOADER_ROUND, 0)}"


def import_options() -> ImportOptions:
    """The options the form's fields describe; ImportOptionsError (or DatasetError) naming a bad one."""
    header = {"detect": None, "yes": True, "no": False}[_value("header", "detect")]
    sheet = str(_value("sheet")).strip()
    given: dict[str, Any] = {
        "delimiter": _value("delimiter") or None,
        "header": header,
        "encoding": _value("encoding", "utf-8"),
        "skip_bad_rows": bool(_value("skip_bad_rows", False)),
        "types": parse_types(str(_value("types"))),
        "sheet": sheet or None,
    }
    return ImportOptions(**{key: value for key, value in given.items() if value is not None})


def parse_types(text: str) -> dict[str, str]:
    """`col=TYPE` lines (or `;`-separated) as a mapping; DatasetError naming a line without `=`."""
    types: dict[str, str] = {}
    for line in re.split(r"[\n;]", text):
        if not line.strip():
            continue
        column, equals, type_ = line.partition("=")
        if not equals or not column.strip() or not type_.strip():
            raise DatasetError(f"column type {line.strip()!r}: write it as column=TYPE, e.g. zip=VARCHAR")
        types[column.strip()] = type_.strip()
    return types


def _start_import(services: Services) -> None:
    """Import button: check the form, put the file in place, queue the job."""
    try:
        options = import_options()
    except DatasetError as exc:
        st.session_state[_IMPORT_FEEDBACK] = ("error", f"{exc}")
        return
    name = str(_value("name")).strip() or None
    replace = bool(_value("replace", False))
    if _value("source", "path") == "upload":
        uploaded = st.session_state.get(_uploader_key())
        if uploaded is None:
            st.session_state[_IMPORT_FEEDBACK] = ("warning", "Choose a file to upload first.")
            return
        path = _save_upload(services.paths.temp_dir, uploaded.name, uploaded.getbuffer())
        st.session_state[_UPLOADER_ROUND] = st.session_state.get(_UPLOADER_ROUND, 0) + 1
        uploaded_copy = True
    else:
        typed = str(_value("path")).strip().strip("\"'")
        if not typed:
            st.session_state[_IMPORT_FEEDBACK] = ("warning", "Type or paste the path of the file to import.")
            return
        path = Path(os.path.expanduser(typed))
        if not path.is_absolute():
            st.session_state[_IMPORT_FEEDBACK] = ("warning", f"{typed!r} is not a full path: start it at / (or C:\\).")
            return
        uploaded_copy = False
    job_id = services.jobs.enqueue(
        "data.import", path=str(path), name=name, replace=replace,
        options=options.model_dump(mode="json", exclude_defaults=True), remove_file_after_failure=uploaded_copy,
    )  # fmt: skip
    st.session_state[_IMPORT_FEEDBACK] = ("info", f"Importing {path.name} (job #{job_id}): progress below.")


def _save_upload(temp_dir: Path, filename: str, data: memoryview) -> Path:
    """The uploaded bytes as a file of the same name, in a folder of its own under the app's temp dir."""
    folder = temp_dir / "uploads" / secrets.token_hex(8)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (Path(filename).name or "upload")
    path.write_bytes(data)
    return path


@st.fragment(run_every=REFRESH_SECONDS)
def _import_status() -> None:
    """The imports that run, live; else how the latest one ended."""
    jobs = bootstrap.services().jobs
    recent = [job for job in jobs.list_jobs(limit=50) if job.name in IMPORT_JOBS]
    active = [job for job in recent if not job.is_finished]
    with st.container(key="datasets_import_status", height=STATUS_HEIGHT, border=True):
        for job in active:
            _running(jobs, job)
        if not active and recent:
            _outcome(recent[0])
        elif not recent:
            st.caption("Imports show their progress here.")
    watched = st.session_state.setdefault(_WATCHED, set())
    ended = {job.id for job in recent if job.is_finished and job.id in watched}
    watched.difference_update(ended)
    watched.update(job.id for job in active)
    if ended:
        st.rerun()  # the whole page: the list of datasets changed


def _running(jobs: Any, job: JobInfo) -> None:
    what = job.params.get("name") or Path(str(job.params.get("path", ""))).name
    label = f"{'Re-importing' if job.name == 'data.reimport' else 'Importing'} {what}: {job.message or job.state}"
    job_row(jobs, job, cancel_key=f"datasets_cancel_{job.id}", label=label)


def _outcome(job: JobInfo) -> None:
    if job.state is JobState.SUCCEEDED:
        result = job.result or {}
        verb = "Re-imported" if job.name == "data.reimport" else "Imported"
        st.success(
            f"{verb} **{result.get('name')}**: {result.get('rows', 0):,} rows, {result.get('columns', 0)} columns "
            f"(job #{job.id}, {job.duration or 0:.1f} s).",
            icon=":material/check_circle:",
        )
        for note in result.get("notes", []):
            st.caption(f":material/info: {note}")
        st.button("Browse it", key="datasets_browse_imported", icon=":material/table_view:",
                  on_click=guarded(navigate), args=("browse", {"dataset": str(result.get("name"))}))  # fmt: skip
    elif job.state is JobState.CANCELLED:
        st.info(f"The import was cancelled (job #{job.id}): nothing was imported.", icon=":material/cancel:")
    else:
        _failure(job)


def _failure(job: JobInfo) -> None:
    """A failed import: its message; malformed rows, if that was the trouble, one per line."""
    error = job.error or job.message or f"{job.state}"
    _, _, message = error.partition(": ") if re.match(r"^\w+: ", error) else ("", "", error)
    rejects = _REJECTS.match(message)
    if rejects is None:
        st.error(f"**The import failed** (job #{job.id}): {message}", icon=":material/error:")
        return
    tail = (rejects["tail"] or "").lstrip(". ")
    st.error(f"**The import failed** (job #{job.id}): {rejects['head']}. {tail}", icon=":material/error:")
    st.code("\n".join(_NEXT_REJECT.split(rejects["rows"])), language=None)


# -- the catalog ---------------------------------------------------------------------------------


@section
def _catalog(db: Database) -> None:
    st.subheader("Your datasets")
    infos = datasets.list_datasets(db)
    with st.container(key="datasets_undo"):
        for deleted in datasets.recently_deleted(db):
            _undo_row(db, deleted)
    with st.container(key="datasets_feedback", height=FEEDBACK_HEIGHT, border=False):
        _show_feedback(st.session_state.pop(_FEEDBACK, None))
    with st.container(key="datasets_list"):
        if not infos:
            st.caption("No datasets yet: import a file above, or run `robustapp db seed` for a demo dataset.")
        for info in infos:
            _dataset_row(db, info)


def _undo_row(db: Database, info: DatasetInfo) -> None:
    assert info.deleted_at is not None
    until = (info.deleted_at + UNDO_WINDOW).astimezone()
    with st.container(key=f"datasets_deleted_{info.id}", border=True):
        text, action = st.columns([5, 1], vertical_alignment="center")
        text.markdown(f":material/delete: Deleted **{plain(info.name)}**: it can be restored until {until:%H:%M}.")
        action.button("Undo", key=f"datasets_undo_{info.id}", icon=":material/undo:", width="stretch",
                      on_click=guarded(_act), args=(datasets.restore_dataset, db, info.name),
                      kwargs={"done": f"Restored {info.name!r}."})  # fmt: skip


def _dataset_row(db: Database, info: DatasetInfo) -> None:
    with st.container(key=f"datasets_row_{info.id}", border=True):
        text, actions = st.columns([1, 1], vertical_alignment="center")
        with text:
            st.markdown(f"**{plain(info.name)}**")
            st.caption(describe(info))
            if info.notes:
                st.caption(f":material/sticky_note_2: {plain(info.notes)}")
        with actions, st.container(horizontal=True):
            st.button("Browse", key=f"datasets_browse_{info.id}", icon=":material/table_view:",
                      on_click=guarded(navigate), args=("browse", {"dataset": info.name}))  # fmt: skip
            st.button("Re-import", key=f"datasets_reimport_{info.id}", icon=":material/refresh:",
                      on_click=guarded(_reimport), args=(info.name,),
                      help=f"Read {info.source_path} again, with the same options")  # fmt: skip
            st.button("Delete", key=f"datasets_delete_{info.id}", icon=":material/delete:",
                      on_click=guarded(_act), args=(datasets.delete_dataset, db, info.name),
                      kwargs={"done": f"Deleted {info.name!r}: Undo brings it back for "
                                      f"{int(UNDO_WINDOW.total_seconds() // 60)} minutes."})  # fmt: skip
        with st.expander("Rename or edit notes"):
            _edit(db, info)


def _edit(db: Database, info: DatasetInfo) -> None:
    name_field, name_button = st.columns([4, 1], vertical_alignment="bottom")
    with name_field:
        s_text("Name", f"new_name_{info.id}", default=info.name)
    name_button.button("Rename", key=f"datasets_rename_{info.id}", width="stretch",
                       on_click=guarded(_rename), args=(db, info))  # fmt: skip
    notes = s_text_area("Notes", f"notes_{info.id}", default=info.notes, height=80)
    saved, save = st.columns([4, 1], vertical_alignment="center")
    if notes != info.notes:
        saved.caption(":orange[Not saved yet]")
    save.button("Save notes", key=f"datasets_save_notes_{info.id}", width="stretch",
                on_click=guarded(_save_notes), args=(db, info))  # fmt: skip


def describe(info: DatasetInfo) -> str:
    """One line about a dataset: rows · columns · size · when · from where."""
    imported = info.imported_at.astimezone()
    parts = [
        f"{info.row_count:,} rows",
        f"{len(info.columns)} columns",
        size_text(info.size_bytes),
        f"imported {imported:%Y-%m-%d %H:%M}",
        f"from {plain(info.source_path)}",
    ]
    if info.skipped_rows:
        parts.append(f"{info.skipped_rows:,} bad rows skipped")
    return " · ".join(parts)


def size_text(size: int) -> str:
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def _act(action: Any, db: Database, name: str, *, done: str) -> None:
    """Run a catalog action; what it refuses (a taken name, an expired undo) shows as feedback."""
    try:
        action(db, name)
    except DatasetError as exc:
        st.session_state[_FEEDBACK] = ("error", f"{exc}")
        return
    st.session_state[_FEEDBACK] = ("success", done)


def _rename(db: Database, info: DatasetInfo) -> None:
    new = str(st.session_state.get(widget_key(SCOPE, f"new_name_{info.id}"), info.name))
    try:
        renamed = datasets.rename_dataset(db, info.name, new)
    except DatasetError as exc:
        st.session_state[_FEEDBACK] = ("error", f"{exc}")
        return
    st.session_state[_FEEDBACK] = ("success", f"Renamed {info.name!r} to {renamed.name!r}.")


def _save_notes(db: Database, info: DatasetInfo) -> None:
    notes = str(st.session_state.get(widget_key(SCOPE, f"notes_{info.id}"), info.notes))
    try:
        datasets.set_notes(db, info.name, notes)
    except DatasetError as exc:
        st.session_state[_FEEDBACK] = ("error", f"{exc}")
        return
    st.session_state[_FEEDBACK] = ("success", f"Saved the notes of {info.name!r}.")


def _reimport(name: str) -> None:
    job_id = bootstrap.services().jobs.enqueue("data.reimport", name=name)
    st.session_state[_FEEDBACK] = ("info", f"Re-importing {name!r} (job #{job_id}): progress under the import form.")


def _show_feedback(feedback: tuple[str, str] | None) -> None:
    if feedback is None:
        return
    kind, text = feedback
    icons = {"success": ":material/check_circle:", "error": ":material/error:",
             "warning": ":material/warning:", "info": ":material/info:"}  # fmt: skip
    getattr(st, kind)(text, icon=icons[kind])
