"""Settings: the user's preferences (a form with undo/redo), the effective configuration, the data paths."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import streamlit as st

from robustapp.domain.backups import BackupInfo
from robustapp.domain.jobs import JobState
from robustapp.domain.preferences import PREFERENCES_FORM, UserPreferences
from robustapp.jobs.maintenance import BACKUP_JOB
from robustapp.services import backups
from robustapp.services.settings_view import effective_settings
from robustapp.ui.errors import guarded
from robustapp.ui.forms import form_field, get_form_state, render_form_controls

if TYPE_CHECKING:
    from robustapp.bootstrap import Services
    from robustapp.ui.views import PageContext

_DELIMITERS = {",": "Comma  ,", ";": "Semicolon  ;", "\t": "Tab", "|": "Pipe  |"}
_SAMPLE_DAY = dt.date(2026, 3, 31)
BACKUP_REFRESH_SECONDS = 2.0
_CONFIRM_RESTORE = "settings_restore_asked"  # the backup id waiting for a confirmation, or _RESTORING
_RESTORING = "…restoring"


def render(ctx: PageContext) -> None:
    st.title("Settings")
    _preferences(ctx)
    st.subheader("Effective configuration")
    st.caption("Set these with ROBUSTAPP_* environment variables or a .env file (see .env.example).")
    rows = [{"setting": k, "value": v} for k, v in effective_settings(ctx.services.settings).items()]
    st.dataframe(rows, hide_index=True, width="stretch", key="settings_table")
    paths = ctx.services.paths
    st.subheader("Where your data lives")
    st.dataframe(
        [
            {"what": "database", "path": str(paths.db_path)},
            {"what": "cache", "path": str(paths.cache_dir)},
            {"what": "logs", "path": str(paths.log_dir)},
            {"what": "backups", "path": str(paths.backup_dir)},
        ],
        hide_index=True,
        width="stretch",
        key="settings_paths",
    )
    _cache(ctx)
    _backups(ctx)


def _cache(ctx: PageContext) -> None:
    """How well the result cache works: hits and misses per cached function since the app started."""
    st.subheader("Result cache")
    cache = ctx.services.cache
    where = "on disk and in memory" if cache.is_on_disk else "in memory only (the cache folder could not be used)"
    st.caption(f"Results of slow computations are kept {where}, and dropped when the data under them changes.")
    rows = [
        {"function": name, "hits": s.hits, "misses": s.misses,
         "hit rate": f"{s.hits / (s.hits + s.misses):.0%}" if s.hits + s.misses else "—",
         "memory": f"{s.memory_bytes / 1024:.1f} KiB"}
        for name, s in cache.stats().items()
    ]
    st.dataframe(rows or {"function": [], "hits": [], "misses": []}, hide_index=True, width="stretch",
                 key="settings_cache")


def _backups(ctx: PageContext) -> None:
    """Backups of the database: the last one, make one now (a background job), how to restore one."""
    st.subheader("Backups")
    st.caption(
        "A backup is one file holding a consistent copy of your database, checked when it is made. "
        "The app keeps working while one is made."
    )
    st.button("Back up now", key="settings_backup_create", icon=":material/backup:",
              on_click=guarded(backups.queue_backup), args=(ctx.services.jobs,))  # fmt: skip
    _backup_list(ctx.services)
    _restore(ctx.services)


def _restore(services: Services) -> None:
    """Restore a backup: pick one, confirm, and the launcher restarts the app on it."""
    usable = [info for info in backups.list_backups(services.paths) if info.problem is None]
    if services.launcher is None:
        st.caption(
            "To restore a backup, stop the app and run `robustapp backup restore ID` (or `latest`): it checks "
            "the backup and keeps a backup of the current database first."
        )
        return
    if not usable:
        return
    by_id = {info.id: info for info in usable}
    pick, go = st.columns([3, 1], vertical_alignment="bottom")
    chosen = pick.selectbox("Restore a backup", list(by_id), key="settings_restore_choice",
                            format_func=lambda backup_id: _label(by_id[backup_id]))  # fmt: skip
    go.button("Restore…", key="settings_restore", icon=":material/settings_backup_restore:", width="stretch",
              on_click=guarded(st.session_state.__setitem__), args=(_CONFIRM_RESTORE, chosen))  # fmt: skip
    asked = st.session_state.get(_CONFIRM_RESTORE)
    if asked == _RESTORING:
        st.info("Restoring the backup: robustapp restarts in a moment.", icon=":material/hourglass_top:")
    elif asked in by_id:
        with st.container(key="settings_restore_confirm", border=True):
            st.warning(
                f"Replace all your data with the backup made {_label(by_id[asked])}? What changed since then is "
                "replaced. Your data as it is now is saved as a safety backup first, and robustapp restarts.",
                icon=":material/warning:",
            )
            yes, no = st.columns(2)
            yes.button("Restore and restart", key="settings_restore_yes", type="primary", width="stretch",
                       on_click=guarded(_request_restore), args=(services, asked))  # fmt: skip
            no.button("Cancel", key="settings_restore_no", width="stretch",
                      on_click=guarded(st.session_state.pop), args=(_CONFIRM_RESTORE, None))  # fmt: skip


def _request_restore(services: Services, backup_id: str) -> None:
    if services.launcher is not None:
        services.launcher.request_restore(backup_id)
        st.session_state[_CONFIRM_RESTORE] = _RESTORING


def _label(info: BackupInfo) -> str:
    made = f"{info.created_at.astimezone():%Y-%m-%d %H:%M}" if info.created_at else "?"
    return f"{made} · {info.kind} · {info.rows:,} rows" + (f" · {info.name}" if info.name else "")


@st.fragment(run_every=BACKUP_REFRESH_SECONDS)
def _backup_list(services: Services) -> None:
    """The backup job's progress while it runs, when the last backup was made, and every backup."""
    job = next(iter(services.jobs.list_jobs(name=BACKUP_JOB, limit=1)), None)
    listed = backups.list_backups(services.paths)
    last = next((info for info in listed if info.problem is None), None)
    with st.container(key="settings_backup_status", height=48, border=False):
        if job is not None and not job.is_finished:
            st.progress(min(max(job.progress, 0.0), 1.0), text=job.message or "backing up…")
        elif job is not None and job.state is not JobState.SUCCEEDED and not _made_since(last, job.created_at):
            st.warning(f"The last backup did not finish: {job.error or job.state}", icon=":material/warning:")
        elif last is not None and last.created_at is not None:
            st.caption(f"Last backup: {last.created_at.astimezone():%Y-%m-%d %H:%M} ({last.kind})")
        else:
            st.caption("No backup yet.")
    rows = [
        {"made": f"{info.created_at.astimezone():%Y-%m-%d %H:%M}" if info.created_at else "—",
         "kind": str(info.kind) if info.kind else "damaged", "name": info.name or "",
         "size": f"{info.size_bytes / 2**20:.1f} MB", "rows": info.rows, "id": info.id}
        for info in listed
    ]  # fmt: skip
    st.dataframe(rows or {"made": [], "kind": [], "size": [], "id": []}, hide_index=True, width="stretch",
                 key="settings_backups")  # fmt: skip


def _made_since(info: BackupInfo | None, moment: dt.datetime) -> bool:
    return info is not None and info.created_at is not None and info.created_at >= moment.replace(tzinfo=dt.UTC)


def _preferences(ctx: PageContext) -> None:
    """Your preferences, kept as you type; Save makes them the ones in effect."""
    st.subheader("Your preferences")
    defaults = {"history_length": ctx.services.settings.form_history_limit}
    form = get_form_state(PREFERENCES_FORM, UserPreferences, defaults)
    appearance, imports, display = st.columns(3)
    with appearance:
        form_field(form, "theme", st.radio, format_func=str.capitalize, help="Takes effect when the app next starts.")
        form_field(form, "history_length", st.number_input, min_value=2, max_value=10_000, step=10)
    with imports:
        form_field(form, "csv_delimiter", st.selectbox, "Default CSV delimiter", format_func=_DELIMITERS.get)
        form_field(form, "encoding", st.selectbox, "Default text encoding")
    with display:
        form_field(form, "rows_per_page", st.number_input, min_value=10, max_value=1000, step=10)
        form_field(form, "decimal_places", st.slider, min_value=0, max_value=10)
        form_field(form, "date_format", st.selectbox, format_func=_SAMPLE_DAY.strftime)
    render_form_controls(form)
