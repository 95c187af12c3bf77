"""Analyse: filter, group and summarise a dataset, see the result as a table and a chart; keep analyses by name.

    analyse_view              (one section: a change inside reruns only this part)
      analyse_form            dataset · 3 filter rows · group by · aggregates · sort · limit · chart, x, y, colour
      form controls           Save (as draft) · Undo · Redo · Reset · Discard · History
      analyse_run             Run
      analyse_result          why it cannot run │ rows, seconds · table · chart (Altair, drawn offline)
        analyse_export        CSV · Parquet · Excel of the result (its query run again as a job)
    analyse_saved             save as a name · the saved ones · Open · Duplicate · Delete (asks first)
                              · Rename (to a name no other analysis has)

Changes to the saved analyses go into the audit trail (scope "analyses"), like the form's steps.

The form is the persisted undo/redo form (`ui/forms.py`): every change is a step kept in the store.
Aggregates are lines of text (`sum(units)`, `count(*)`), read and checked by `domain.analysis`.
?analysis=<name> opens a saved analysis into the form once, as one undoable step, and runs it; the
link is then taken out of the URL, so a reload keeps the edits made since.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import streamlit as st
from pydantic import BaseModel, ConfigDict, ValidationError

from robustapp.domain.analysis import (
    FILTER_ROWS,
    Aggregate,
    AnalysisForm,
    AnalysisSpec,
    form_values,
    is_numeric,
)
from robustapp.domain.browse import OPERATOR_LABELS, WITHOUT_VALUE
from robustapp.domain.export import ExportSource
from robustapp.domain.profile import column_kind
from robustapp.errors import AnalysisError, DatasetNotFound, QueryError
from robustapp.services import analysis
from robustapp.services.datasets import get_dataset, list_datasets
from robustapp.storage import Database
from robustapp.ui.errors import guarded
from robustapp.ui.export import export_controls
from robustapp.ui.forms import (
    actor_and_trace,
    form_field,
    get_form_state,
    render_form_controls,
    set_form_values,
)
from robustapp.ui.router import navigate
from robustapp.ui.sections import section
from robustapp.ui.text import plain

if TYPE_CHECKING:
    import altair as alt

    from robustapp.services.analysis import AnalysisResult
    from robustapp.ui.views import PageContext

FORM_ID = "analysis"
TABLE_HEIGHT = 360
_RUN = "_analyse_run"  # the spec (JSON) this session last ran
_FEEDBACK = "_analyse_feedback"  # (kind, text) from the last callback
_CONFIRM = "_analyse_confirm_delete"  # the saved analysis a Delete click asks about
_MARKS = {"bar": "mark_bar", "line": "mark_line", "area": "mark_area", "scatter": "mark_point"}


class AnalyseParams(BaseModel):
    """?page=analyse&analysis=<name>: open that saved analysis."""

    model_config = ConfigDict(extra="ignore")

    analysis: str | None = None


def render(ctx: PageContext) -> None:
    st.title("Analyse")
    st.caption("Filter, group and summarise a dataset; see the result as a table and a chart. "
               "Every change is kept as you go, with undo and redo.")  # fmt: skip
    db, owner = ctx.services.db, ctx.services.owner
    names = [info.name for info in list_datasets(db)]
    if not names:
        st.caption("There is no dataset to analyse yet.")
        st.button("Import a file", key="analyse_import", icon=":material/upload_file:",
                  on_click=guarded(navigate), args=("datasets",))  # fmt: skip
        return
    link = ctx.params.analysis if isinstance(ctx.params, AnalyseParams) else None
    if link:
        _open(db, owner, link)
        del st.query_params["analysis"]  # followed once: a reload keeps what the user changed since
    _view(db, names)
    _saved(db, owner)


# -- the form and the result ----------------------------------------------------------------------


@section
def _view(db: Database, names: list[str]) -> None:
    form = get_form_state(FORM_ID, AnalysisForm)
    values = form.values
    columns: list[str] = []
    if values["dataset"]:
        try:
            columns = [column.name for column in get_dataset(db, str(values["dataset"])).columns]
        except DatasetNotFound:
            pass  # the field keeps the name; Run says the dataset is gone
    outputs = _output_names(values, columns)
    with st.container(key="analyse_form", border=True):
        form_field(form, "dataset", st.selectbox, "Dataset", options=_with(["", *names], values["dataset"]),
                   format_func=lambda name: name or "(choose a dataset)")  # fmt: skip
        st.caption("Filters (rows must pass every one)")
        for index in range(1, FILTER_ROWS + 1):
            column, op, value = st.columns([2, 1.2, 2.6])
            with column:
                form_field(form, f"f{index}_column", st.selectbox, f"Filter {index}: column",
                           options=_with(["", *columns], values[f"f{index}_column"]),
                           format_func=lambda name: name or "(no filter)")  # fmt: skip
            with op:
                form_field(form, f"f{index}_op", st.selectbox, "Operator", format_func=OPERATOR_LABELS.get)
            with value:
                form_field(form, f"f{index}_value", st.text_input, "Value",
                           disabled=values[f"f{index}_op"] in WITHOUT_VALUE)  # fmt: skip
        group, aggregates = st.columns(2)
        with group:
            form_field(form, "group_by", st.multiselect, options=_with_all(columns, values["group_by"]),
                       placeholder="No grouping")  # fmt: skip
        with aggregates:
            form_field(form, "aggregates", st.text_area, height=90, placeholder="count(*)\nsum(units)")
        sort, direction, limit = st.columns([2, 1, 1])
        with sort:
            form_field(form, "sort_by", st.selectbox, options=_with(["", *outputs], values["sort_by"]),
                       format_func=lambda name: name or "(no sort)")  # fmt: skip
        with direction:
            form_field(form, "descending", st.toggle, "Descending")
        with limit:
            form_field(form, "limit", st.number_input, "Row limit", min_value=1, max_value=100_000, step=100)
        chart, x, y, color = st.columns(4)
        with chart:
            form_field(form, "chart", st.selectbox, "Chart", format_func=str.capitalize)
        for column, name in ((x, "x"), (y, "y"), (color, "color")):
            with column:
                form_field(form, name, st.selectbox, "Colour" if name == "color" else name,
                           options=_with(["", *outputs], values[name]), format_func=lambda n: n or "(none)")  # fmt: skip
    render_form_controls(form)
    st.button("Run", key="analyse_run", icon=":material/play_arrow:", type="primary",
              on_click=guarded(_run_clicked))  # fmt: skip
    _result(db)


def _with(options: list[str], current: Any) -> list[str]:
    """The options, and the stored value when it is not one of them (a column gone): it stays visible."""
    return options if not current or current in options else [*options, str(current)]


def _with_all(options: list[str], current: Any) -> list[str]:
    missing = [str(name) for name in current or [] if name not in options]
    return [*options, *missing]


def _output_names(values: dict[str, Any], columns: list[str]) -> list[str]:
    """The result's column names for the draft as it stands (lines that do not read are left out)."""
    aggregates = []
    for line in str(values["aggregates"] or "").splitlines():
        try:
            aggregates.append(Aggregate.parse(line).output_name)
        except (ValueError, ValidationError):
            continue
    group_by = [str(name) for name in values["group_by"] or []]
    return [*group_by, *aggregates] if group_by or aggregates else columns


def _run_clicked() -> None:
    spec = _draft_spec()
    if spec is not None:
        st.session_state[_RUN] = spec.model_dump_json()


def _draft_spec() -> AnalysisSpec | None:
    """The form's draft as a spec; None (and the reason as feedback) when it does not read as one."""
    form = get_form_state(FORM_ID, AnalysisForm)
    if form.errors:
        st.session_state[_FEEDBACK] = ("error", "This analysis cannot run: " + "; ".join(form.errors.values()))
        return None
    return AnalysisForm.model_validate(form.values).to_spec()


def _result(db: Database) -> None:
    with st.container(key="analyse_result"):
        kind, text = st.session_state.pop(_FEEDBACK, ("", ""))
        if kind == "error":
            st.error(plain(text), icon=":material/error:")
        elif kind:
            st.success(plain(text), icon=":material/check_circle:")
        ran = st.session_state.get(_RUN)
        if ran is None:
            st.caption("Choose a dataset and what to summarise, then Run.")
            return
        spec = AnalysisSpec.model_validate_json(ran)
        try:
            result = analysis.run_analysis(db, spec)
        except (AnalysisError, DatasetNotFound, QueryError) as exc:
            st.error(f"This analysis cannot run: {plain(str(exc))}", icon=":material/error:")
            return
        st.caption(f"**{result.rows.num_rows:,}** rows from **{plain(result.dataset.name)}** "
                   f"(at most {spec.limit:,}) · {result.seconds:.3f} s")  # fmt: skip
        st.dataframe(result.rows, hide_index=True, width="stretch", height=TABLE_HEIGHT, key="analyse_table")
        if spec.chart != "none" and result.rows.num_rows:
            st.altair_chart(_chart(result), width="stretch", key="analyse_chart")
        export_controls(ExportSource.analysis(spec), key="analyse_export", rows=result.rows.num_rows)


def _chart(result: AnalysisResult) -> alt.Chart:
    import altair as alt  # here: it costs ~0.2 s to import

    spec = result.spec
    used = list(dict.fromkeys(name for name in (spec.x, spec.y, spec.color) if name))
    # Vega-Lite reads dots, brackets and colons in a field name as paths and types: plain names instead.
    fields = {name: f"c{index}" for index, name in enumerate(used)}
    frame = result.rows.select(used).rename_columns([fields[name] for name in used]).to_pandas()
    types = {column.name: column.type for column in result.columns}

    def kind(name: str) -> str:
        if is_numeric(types[name]):
            return "quantitative"
        return "temporal" if column_kind(types[name]) == "temporal" else "nominal"

    assert spec.x is not None and spec.y is not None  # the spec's own rule for a chart
    encodings: dict[str, Any] = {
        "x": alt.X(field=fields[spec.x], type=kind(spec.x), title=spec.x),
        "y": alt.Y(field=fields[spec.y], type=kind(spec.y), title=spec.y),
        "tooltip": [alt.Tooltip(field=fields[name], type=kind(name), title=name) for name in used],
    }
    if spec.color:
        encodings["color"] = alt.Color(field=fields[spec.color], type=kind(spec.color), title=spec.color)
    return getattr(alt.Chart(frame), _MARKS[spec.chart])().encode(**encodings)


# -- saved analyses -----------------------------------------------------------------------------------


def _saved(db: Database, owner: str) -> None:
    st.subheader("Saved analyses")
    with st.container(key="analyse_saved", border=True):
        name, save = st.columns([3, 1], vertical_alignment="bottom")
        name.text_input("Save as", key="analyse_save_name", placeholder="A name for this analysis", max_chars=100)
        save.button("Save analysis", key="analyse_save", icon=":material/bookmark_add:", width="stretch",
                    on_click=guarded(_save), args=(db,))  # fmt: skip
        saved = analysis.list_analyses(db, owner)
        if not saved:
            st.caption("No saved analyses yet.")
            return
        st.dataframe(
            [{"name": item.name, "dataset": item.spec.dataset,
              "updated": f"{item.updated_at.astimezone():%Y-%m-%d %H:%M}"} for item in saved],
            hide_index=True, width="stretch", key="analyse_saved_table",
        )  # fmt: skip
        names = [item.name for item in saved]
        if st.session_state.get("analyse_choice") not in names:
            st.session_state["analyse_choice"] = names[0]
        choice, open_, duplicate, delete = st.columns([3, 1, 1, 1], vertical_alignment="bottom")
        chosen = choice.selectbox("Analysis", names, key="analyse_choice")
        open_.button("Open", key="analyse_open", icon=":material/open_in_new:", width="stretch",
                     on_click=guarded(_open), args=(db, owner, chosen))  # fmt: skip
        duplicate.button("Duplicate", key="analyse_duplicate", icon=":material/content_copy:", width="stretch",
                         on_click=guarded(_duplicate), args=(db, chosen))  # fmt: skip
        delete.button("Delete", key="analyse_delete", icon=":material/delete:", width="stretch",
                      on_click=guarded(_ask_delete), args=(chosen,))  # fmt: skip
        new_name, rename = st.columns([3, 1], vertical_alignment="bottom")
        new_name.text_input("Rename to", key="analyse_rename_name", placeholder="A new name for this analysis",
                            max_chars=100)  # fmt: skip
        rename.button("Rename", key="analyse_rename", icon=":material/edit:", width="stretch",
                      on_click=guarded(_rename), args=(db, chosen))  # fmt: skip
        if st.session_state.get(_CONFIRM) == chosen:
            with st.container(key="analyse_confirm", border=True):
                st.warning(f"Delete the analysis “{plain(chosen)}” for good?", icon=":material/warning:")
                yes, no = st.columns(2)
                yes.button("Yes, delete", key="analyse_delete_yes", type="primary", width="stretch",
                           on_click=guarded(_delete), args=(db, chosen))  # fmt: skip
                no.button("Cancel", key="analyse_delete_no", width="stretch",
                          on_click=guarded(st.session_state.pop), args=(_CONFIRM, None))  # fmt: skip


def _save(db: Database) -> None:
    spec = _draft_spec()
    if spec is None:
        return
    name = st.session_state.get("analyse_save_name", "")
    actor, trace_id = actor_and_trace()
    try:
        analysis.check(db, spec)
        saved = analysis.save_analysis(db, actor, name, spec, replace=True, trace_id=trace_id)
    except (AnalysisError, DatasetNotFound) as exc:
        st.session_state[_FEEDBACK] = ("error", f"Not saved: {exc}")
        return
    st.session_state["analyse_choice"] = saved.name
    st.session_state[_FEEDBACK] = ("success", f"Saved the analysis {saved.name!r}.")


def _open(db: Database, owner: str, name: str) -> None:
    """Put a saved analysis into the form (one undoable step) and run it; from a callback or page code."""
    try:
        saved = analysis.open_analysis(db, owner, name)
    except AnalysisError as exc:
        st.session_state[_FEEDBACK] = ("error", str(exc)[:1].upper() + str(exc)[1:] + ".")
        return
    set_form_values(get_form_state(FORM_ID, AnalysisForm), form_values(saved.spec))
    st.session_state[_RUN] = saved.spec.model_dump_json()
    st.session_state["analyse_save_name"] = saved.name
    st.session_state[_FEEDBACK] = ("success", f"Opened the analysis {saved.name!r}.")


def _duplicate(db: Database, name: str) -> None:
    actor, trace_id = actor_and_trace()
    try:
        copy = analysis.duplicate_analysis(db, actor, name, trace_id=trace_id)
    except AnalysisError as exc:
        st.session_state[_FEEDBACK] = ("error", f"Not duplicated: {exc}")
        return
    st.session_state["analyse_choice"] = copy.name
    st.session_state[_FEEDBACK] = ("success", f"Duplicated {name!r} as {copy.name!r}.")


def _rename(db: Database, name: str) -> None:
    actor, trace_id = actor_and_trace()
    try:
        renamed = analysis.rename_analysis(db, actor, name, st.session_state.get("analyse_rename_name", ""),
                                           trace_id=trace_id)  # fmt: skip
    except AnalysisError as exc:
        st.session_state[_FEEDBACK] = ("error", f"Not renamed: {exc}")
        return
    st.session_state["analyse_choice"] = renamed.name
    st.session_state["analyse_rename_name"] = ""
    if st.session_state.get("analyse_save_name", "").casefold() == name.casefold():
        st.session_state["analyse_save_name"] = renamed.name  # Save goes on saving it, not the old name
    st.session_state[_FEEDBACK] = ("success", f"Renamed {name!r} to {renamed.name!r}.")


def _ask_delete(name: str) -> None:
    st.session_state[_CONFIRM] = name


def _delete(db: Database, name: str) -> None:
    st.session_state.pop(_CONFIRM, None)
    actor, trace_id = actor_and_trace()
    try:
        gone = analysis.delete_analysis(db, actor, name, trace_id=trace_id)
    except AnalysisError as exc:
        st.session_state[_FEEDBACK] = ("error", f"Not deleted: {exc}")
        return
    st.session_state[_FEEDBACK] = ("success", f"Deleted the analysis {gone.name!r}.")
