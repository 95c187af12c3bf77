"""Audit: read the trail of changes, filtered and a page at a time, and verify its hash chain.

    audit_verify_panel   Verify button │ result (fixed height: a long report scrolls, nothing moves)
    audit_filters        page/form · key · actor · from · to   (controlled: they survive reloads)
    audit_summary        how many entries match, which page
    audit_table          newest first, PAGE_SIZE rows (fixed height)
    audit_pager          Previous (newer) · Next (older): always drawn, disabled at either end

Pages are keyset pages (entries up to a seq), so a page stays put while new changes arrive,
and only one page of entries is ever read.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from datetime import UTC
from typing import TYPE_CHECKING

import streamlit as st

from robustapp.domain.audit import AuditEntry
from robustapp.services import audit
from robustapp.services.audit import AuditFilter, VerifyReport
from robustapp.storage import Database
from robustapp.ui.errors import guarded
from robustapp.ui.widgets import controlled, s_select, s_text

if TYPE_CHECKING:
    from robustapp.ui.views import PageContext

SCOPE = "audit"
PAGE_SIZE = 100
TABLE_HEIGHT = 460
VERIFY_HEIGHT = 130
MAX_PROBLEMS_SHOWN = 50
_PAGER = "_audit_pager"  # {"filter": the filter the pages belong to, "anchors": [max seq of pages 2, 3, …]}
_VERIFIED = "_audit_verified"  # (VerifyReport, checked at)
_ANY = ""
COLUMNS = ("#", "time", "actor", "session", "page/form", "key", "old → new", "trace id")


def render(ctx: PageContext) -> None:
    st.title("Audit trail")
    st.caption(
        "Every change to a saved value: when, who, in which session and page, the old and the new value. "
        "Each entry is chained to the one before it by a hash, so an edited or deleted entry shows up "
        "when you verify the chain."
    )
    db = ctx.services.db
    _verify_panel(db)
    where = _filters(db)
    _entries(db, where)


def _verify_panel(db: Database) -> None:
    with st.container(key="audit_verify_panel", border=True):
        left, right = st.columns([1, 4], vertical_alignment="center")
        left.button(
            "Verify the chain",
            key="audit_verify",
            icon=":material/verified_user:",
            on_click=guarded(_verify),
            args=(db,),
        )
        with right.container(key="audit_verify_result", height=VERIFY_HEIGHT, border=False):
            _show_report(st.session_state.get(_VERIFIED))


def _verify(db: Database) -> None:
    st.session_state[_VERIFIED] = (audit.verify(db), dt.datetime.now())


def _show_report(verified: tuple[VerifyReport, dt.datetime] | None) -> None:
    if verified is None:
        st.caption("Checks every entry against its hash and the one before it, and that none is missing at the end.")
        return
    report, at = verified
    when = f"checked at {at:%H:%M:%S}"
    if report.ok:
        st.success(f"Intact: all {report.entries} entries chain up ({when}).", icon=":material/verified:")
        return
    st.error(
        f"Broken: {len(report.problems)} problem(s) in {report.entries} entries ({when}).", icon=":material/gpp_bad:"
    )
    lines = [f"- entry {p.seq}: {p.reason}" for p in report.problems[:MAX_PROBLEMS_SHOWN]]
    if len(report.problems) > MAX_PROBLEMS_SHOWN:
        lines.append(f"- … and {len(report.problems) - MAX_PROBLEMS_SHOWN} more (`robustapp audit verify` lists all)")
    st.markdown("\n".join(lines))


def _filters(db: Database) -> AuditFilter:
    scopes, actors = audit.filter_options(db)
    with st.container(key="audit_filters", border=True):
        columns = st.columns([2, 2, 2, 1.5, 1.5])
        with columns[0]:
            scope = s_select("Page or form", "scope", [_ANY, *scopes], format_func=_or_any, scope=SCOPE, audited=False)
        with columns[1]:
            key = s_text("Key", "key", placeholder="any key", scope=SCOPE, audited=False)
        with columns[2]:
            actor = s_select("Actor", "actor", [_ANY, *actors], format_func=_or_any, scope=SCOPE, audited=False)
        with columns[3]:
            since = _day("From", "since")
        with columns[4]:
            until = _day("To", "until")
    start, end = audit.utc_range(since, until)
    return AuditFilter(scope=scope or None, key=key.strip() or None, actor=actor or None, since=start, until=end)


def _or_any(option: str) -> str:
    return option or "any"


def _day(label: str, key: str) -> dt.date | None:
    """An optional local day (empty: no bound)."""
    return controlled(
        st.date_input, label, key, default=None, annotation=dt.date | None, scope=SCOPE, format="YYYY-MM-DD",
        audited=False,  # looking at the log is not a change worth logging
    )


def _entries(db: Database, where: AuditFilter) -> None:
    anchors = _anchors(where)
    page = audit.read(
        db, replace(where, newest_first=True, limit=PAGE_SIZE + 1, max_seq=anchors[-1] if anchors else None)
    )
    has_more, page = len(page) > PAGE_SIZE, page[:PAGE_SIZE]
    total = audit.count(db, where)
    with st.container(key="audit_summary"):
        st.caption(_summary(total, len(anchors) + 1, len(page)))
    st.dataframe(
        _table(page),
        hide_index=True,
        width="stretch",
        height=TABLE_HEIGHT,
        key="audit_table",
        column_config={"#": st.column_config.NumberColumn(width="small", format="%d")},
    )
    with st.container(key="audit_pager", horizontal=True):
        st.button(
            "Previous",
            key="audit_prev",
            icon=":material/chevron_left:",
            disabled=not anchors,
            on_click=guarded(_previous),
        )
        st.button(
            "Next",
            key="audit_next",
            icon=":material/chevron_right:",
            icon_position="right",
            disabled=not has_more,
            on_click=guarded(_next),
            args=(page[-1].seq - 1 if page else 0,),
        )


def _anchors(where: AuditFilter) -> list[int]:
    """This session's pages for `where`; other filters start again at the newest page."""
    pager = st.session_state.get(_PAGER)
    if pager is None or pager["filter"] != where:
        pager = st.session_state[_PAGER] = {"filter": where, "anchors": []}
    return pager["anchors"]


def _next(max_seq: int) -> None:
    """One page further back in time."""
    st.session_state[_PAGER]["anchors"].append(max_seq)


def _previous() -> None:
    anchors = st.session_state[_PAGER]["anchors"]
    if anchors:
        anchors.pop()


def _summary(total: int, page_number: int, shown: int) -> str:
    if not total:
        return "No entries match these filters."
    pages = -(-total // PAGE_SIZE)
    noun = "entry matches" if total == 1 else "entries match"
    return f"{total:,} {noun} · newest first · page {page_number} of {max(pages, page_number)} ({shown} shown)"


def _table(entries: list[AuditEntry]) -> dict[str, list]:
    columns: dict[str, list] = {name: [] for name in COLUMNS}
    for entry in entries:
        for name, value in zip(COLUMNS, _row(entry), strict=True):
            columns[name].append(value)
    return columns


def _row(entry: AuditEntry) -> tuple:
    local = entry.changed_at.replace(tzinfo=UTC).astimezone()
    change = f"{_readable(entry.old_value)} → {_readable(entry.new_value)}"
    return (
        entry.seq,
        f"{local:%Y-%m-%d %H:%M:%S}",
        entry.actor,
        entry.session_id,
        entry.scope,
        entry.key,
        change,
        entry.trace_id,
    )


def _readable(text: str | None) -> str:
    """A stored canonical-JSON value as a person reads it: spaced JSON; ∅ for no value."""
    if text is None:
        return "∅"
    try:
        value = json.loads(text)
    except ValueError:
        return text  # not JSON (edited by hand): show it as it is
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
