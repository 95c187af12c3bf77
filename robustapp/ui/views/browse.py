"""Browse: a dataset as a table, a page at a time, with column choice, sort and filters, all in DuckDB.

    browse_view               (one section: a change inside reruns only this part)
      dataset select          follows ?dataset=<name> (a deep link), and the URL follows it
      browse_controls         columns · sort by · direction · rows per page
      browse_filters          column · operator · value · Add │ the active filters, each with ✕
      browse_notices          filters that no longer apply to the dataset, and why (they are dropped)
      browse_summary          how many rows match, which rows, which page
      browse_table            the page's rows (fixed height)
      browse_pager            First · Previous · Next · Last: always drawn, disabled at either end

Every choice is kept per dataset (controlled widgets, not audited: looking is not changing), so
a reload, another window or a restart shows the same view. Only one page of rows is ever read.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

import streamlit as st
import structlog
from pydantic import BaseModel, ConfigDict, ValidationError

from robustapp import bootstrap
from robustapp.domain.browse import (
    OPERATOR_LABELS,
    OPERATORS,
    PAGE_SIZES,
    WITHOUT_VALUE,
    BrowseQuery,
    Filter,
    Sort,
)
from robustapp.domain.datasets import DatasetInfo, name_key
from robustapp.domain.export import ExportSource
from robustapp.errors import DatasetNotFound
from robustapp.services import browse as browsing
from robustapp.services import datasets
from robustapp.services.state import Change
from robustapp.storage import Database
from robustapp.ui import session as sessions
from robustapp.ui.errors import guarded
from robustapp.ui.export import export_controls
from robustapp.ui.router import navigate
from robustapp.ui.sections import section
from robustapp.ui.text import plain
from robustapp.ui.widgets import s_multiselect, s_select, s_text, widget_key

if TYPE_CHECKING:
    from robustapp.ui.views import PageContext

SCOPE = "browse"
TABLE_HEIGHT = 460
_LINK = "_browse_link"  # the dataset the URL named when this session last followed it
_NOTICES = "_browse_notices"  # dataset → notices about filters dropped from its view
_FILTER_FEEDBACK = "_browse_filter_feedback"


class BrowseParams(BaseModel):
    """?page=browse&dataset=<name>: open the view of that dataset."""

    model_config = ConfigDict(extra="ignore")

    dataset: str | None = None


def render(ctx: PageContext) -> None:
    st.title("Browse")
    db = ctx.services.db
    names = [info.name for info in datasets.list_datasets(db)]
    if not names:
        st.caption("There is no dataset to browse yet.")
        st.button("Import a file", key="browse_import", icon=":material/upload_file:",
                  on_click=guarded(navigate), args=("datasets",))  # fmt: skip
        return
    link = (ctx.params.dataset or None) if isinstance(ctx.params, BrowseParams) else None
    notice = _follow_link(link, names)
    _view(db, names, notice)


def view_key(dataset: str, key: str) -> str:
    """The store key of one part of a dataset's view: per dataset, whatever characters its name has."""
    digest = hashlib.blake2b(name_key(dataset).encode(), digest_size=5).hexdigest()
    return f"v{digest}_{key}"


# -- the dataset, and the URL ------------------------------------------------------------------


def _follow_link(link: str | None, names: list[str]) -> str | None:
    """A dataset named by the URL (a deep link, or Browse on the Datasets page) becomes the one shown.

    Only when the URL names another dataset than it did last time: after the user picks one in
    the select, the URL is made to follow (see `_view`), so it never pulls the choice back."""
    if link is None or link == st.session_state.get(_LINK):
        return None
    st.session_state[_LINK] = link
    match = next((name for name in names if name_key(name) == name_key(link)), None)
    if match is None:
        return f"There is no dataset named {link!r}; showing another one."
    _write_now("dataset", match, widget=True)
    return None


@section
def _view(db: Database, names: list[str], notice: str | None) -> None:
    if notice:
        st.info(notice, icon=":material/info:")
    name = s_select("Dataset", "dataset", names, audited=False)
    st.session_state[_LINK] = name
    if st.query_params.get("dataset") != name:
        st.query_params["dataset"] = name
    try:
        info = datasets.get_dataset(db, name)
    except DatasetNotFound as exc:  # deleted in another window since the list was read
        st.warning(f"{exc}", icon=":material/warning:")
        return
    _drop_what_no_longer_applies(db, info)
    query = _controls(db, info)
    try:
        page = browsing.browse(db, info.name, query)
    except DatasetNotFound as exc:
        st.warning(f"{exc}", icon=":material/warning:")
        return
    with st.container(key="browse_notices"):
        for text in st.session_state.get(_NOTICES, {}).get(info.name, []):
            st.warning(text, icon=":material/filter_alt_off:")
    with st.container(key="browse_summary"):
        st.caption(_summary(page))
    st.dataframe(page.rows, hide_index=True, width="stretch", height=TABLE_HEIGHT, key="browse_table")
    _pager(info.name, page.query, page.pages)
    st.caption("Export the whole dataset (without this view's filters):")
    export_controls(ExportSource.dataset(info.name), key="browse_export", rows=info.row_count)


# -- controls -------------------------------------------------------------------------------------


def _controls(db: Database, info: DatasetInfo) -> BrowseQuery:
    """Draw the view's controls for `info`; the query they describe."""
    names = [column.name for column in info.columns]
    with st.container(key="browse_controls", border=True):
        left, sort_column, direction, size = st.columns([4, 2, 1.3, 1.2])
        with left:
            shown = s_multiselect(
                "Columns", view_key(info.name, "columns"), names, placeholder="All columns", audited=False
            )
        with sort_column:
            by = s_select("Sort by", view_key(info.name, "sort"), ["", *names],
                          format_func=lambda c: c or "(file order)", audited=False)  # fmt: skip
        with direction:
            descending = s_select("Direction", view_key(info.name, "descending"), [False, True],
                                  format_func=lambda d: "descending" if d else "ascending", audited=False)  # fmt: skip
        with size:
            page_size = s_select("Rows per page", view_key(info.name, "page_size"), list(PAGE_SIZES),
                                 default=50, audited=False)  # fmt: skip
    filters = _filters(db, info, names)
    sort = Sort(column=by, descending=bool(descending)) if by else None
    query = BrowseQuery(columns=shown, filters=filters, sort=sort, page_size=int(page_size))
    page = _read(view_key(info.name, "page"), {})
    same_view = isinstance(page, dict) and page.get("view") == _fingerprint(query)
    number = page.get("page", 1) if same_view and isinstance(page.get("page"), int) else 1
    return query.model_copy(update={"page": max(1, number)})


def _filters(db: Database, info: DatasetInfo, names: list[str]) -> list[Filter]:
    """The filter builder and the active filters; returns the active ones."""
    active = _stored_filters(info.name)
    with st.container(key="browse_filters", border=True):
        column, operator, value, add = st.columns([2, 1.2, 2.6, 1.2], vertical_alignment="bottom")
        with column:
            s_select("Filter on", view_key(info.name, "new_column"), names, audited=False)
        with operator:
            op = s_select("Operator", view_key(info.name, "new_op"), list(OPERATORS),
                          format_func=OPERATOR_LABELS.get, audited=False)  # fmt: skip
        with value:
            s_text("Value", view_key(info.name, "new_value"), disabled=op in WITHOUT_VALUE,
                   placeholder="text, a number, a date like 2024-01-31", audited=False)  # fmt: skip
        add.button("Add filter", key="browse_add_filter", icon=":material/filter_alt:", width="stretch",
                   on_click=guarded(_add_filter), args=(db, info.name))  # fmt: skip
        problem = st.session_state.pop(_FILTER_FEEDBACK, None)
        if problem:
            st.caption(f":red[:material/error:] {plain(problem)}")
        for index, flt in enumerate(active):
            text, remove = st.columns([8, 1], vertical_alignment="center")
            text.markdown(f":material/filter_alt: {plain(flt.describe())}")
            remove.button("Remove", key=f"browse_remove_filter_{index}", icon=":material/close:", type="tertiary",
                          on_click=guarded(_remove_filter), args=(info.name, index))  # fmt: skip
    return active


def _add_filter(db: Database, dataset: str) -> None:
    def field(part: str, default: str) -> str:
        return st.session_state.get(widget_key(SCOPE, view_key(dataset, part)), default)

    op = field("new_op", "=")
    try:
        flt = Filter(column=field("new_column", ""), op=op, value="" if op in WITHOUT_VALUE else field("new_value", ""))
    except ValidationError as exc:
        st.session_state[_FILTER_FEEDBACK] = "; ".join(error["msg"] for error in exc.errors())
        return
    problem = browsing.check_filter(db, dataset, flt)
    if problem:
        st.session_state[_FILTER_FEEDBACK] = problem[:1].upper() + problem[1:]
        return
    filters = _stored_filters(dataset)
    if flt not in filters:
        _queue(view_key(dataset, "filters"), [f.model_dump() for f in [*filters, flt]])
    st.session_state.get(_NOTICES, {}).pop(dataset, None)


def _remove_filter(dataset: str, index: int) -> None:
    filters = _stored_filters(dataset)
    if 0 <= index < len(filters):
        del filters[index]
        _queue(view_key(dataset, "filters"), [f.model_dump() for f in filters])
    st.session_state.get(_NOTICES, {}).pop(dataset, None)


def _stored_filters(dataset: str) -> list[Filter]:
    """The dataset's active filters as stored; one that no longer reads as a filter is left out."""
    raw = _read(view_key(dataset, "filters"), [])
    filters = []
    for item in raw if isinstance(raw, list) else []:
        try:
            filters.append(Filter.model_validate(item))
        except ValidationError:
            continue
    return filters


def _drop_what_no_longer_applies(db: Database, info: DatasetInfo) -> None:
    """Filters the dataset can no longer apply (a column gone, a value no longer of its type) are
    dropped from its view for good, and the notices saying why stay shown until the filters change."""
    stored = _stored_filters(info.name)
    usable, notices = browsing.usable_filters(db, info, stored)
    if usable == stored:
        return
    _write_now(view_key(info.name, "filters"), [f.model_dump() for f in usable])
    st.session_state.setdefault(_NOTICES, {})[info.name] = [text[:1].upper() + text[1:] for text in notices]


# -- summary and pager ---------------------------------------------------------------------------


def _summary(page: browsing.BrowsePage) -> str:
    total, rows = page.total, page.dataset.row_count
    if not total:
        return "No rows match these filters." if page.query.filters else "This dataset has no rows."
    matching = f"**{total:,}** of {rows:,} rows match" if page.query.filters else f"**{total:,}** rows"
    return f"{matching} · rows {page.first_row:,}–{page.last_row:,} · page {page.query.page:,} of {page.pages:,}"


def _pager(dataset: str, query: BrowseQuery, pages: int) -> None:
    number = query.page
    view = _fingerprint(query)
    with st.container(key="browse_pager", horizontal=True):
        for label, key, target, icon, disabled in (
            ("First", "browse_first", 1, ":material/first_page:", number <= 1),
            ("Previous", "browse_previous", number - 1, ":material/chevron_left:", number <= 1),
            ("Next", "browse_next", number + 1, ":material/chevron_right:", number >= pages),
            ("Last", "browse_last", pages, ":material/last_page:", number >= pages),
        ):
            st.button(label, key=key, icon=icon, disabled=disabled, on_click=guarded(_queue),
                      args=(view_key(dataset, "page"), {"page": target, "view": view}))  # fmt: skip


def _fingerprint(query: BrowseQuery) -> str:
    """What decides which rows are on which page: a page number belongs to it (another one starts at 1)."""
    shape = {
        "filters": [flt.model_dump() for flt in query.filters],
        "sort": query.sort.model_dump() if query.sort else None,
        "page_size": query.page_size,
    }
    return hashlib.blake2b(json.dumps(shape, sort_keys=True).encode(), digest_size=8).hexdigest()


# -- values that are not widgets -------------------------------------------------------------------


def _read(key: str, default: Any) -> Any:
    record = sessions.stored(bootstrap.services(), SCOPE, key)
    return record.value if record is not None else default


def _queue(key: str, value: Any) -> None:
    """From a callback: the new value is committed at the start of the run that follows."""
    session = sessions.current()
    session.queue(Change(SCOPE, key, value, base_version=session.seen.get((SCOPE, key)), audited=False))


def _write_now(key: str, value: Any, *, widget: bool = False) -> None:
    """From page code: commit now; for a widget, also what it shows in this run (it is not drawn yet)."""
    services = bootstrap.services()
    session = sessions.current()
    trace_id = str(structlog.contextvars.get_contextvars().get("trace_id", ""))
    change = Change(SCOPE, key, value, base_version=session.seen.get((SCOPE, key)), audited=False)
    sessions.remember(services, trace_id, change)
    if widget:
        st.session_state[widget_key(SCOPE, key)] = value
