"""Demo: a handful of widgets that echo their values, and items written to the database."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Literal, Self

import streamlit as st
from pydantic import BaseModel, Field, StringConstraints, model_validator

from robustapp.domain.jobs import JobState
from robustapp.services import demo
from robustapp.services.jobs import JobService
from robustapp.storage import Database
from robustapp.ui.errors import guarded
from robustapp.ui.job_progress import job_row
from robustapp.ui.sections import section
from robustapp.ui.forms import form_field, get_form_state, render_form_controls
from robustapp.ui.widgets import (
    s_checkbox,
    s_date,
    s_multiselect,
    s_number,
    s_radio,
    s_select,
    s_slider,
    s_text,
    s_text_area,
    s_time,
    s_toggle,
)

if TYPE_CHECKING:
    from robustapp.ui.views import PageContext

_FEEDBACK = "_demo_feedback"


def render(ctx: PageContext) -> None:
    st.title("Demo")
    st.caption("Widgets echo what you enter; items are written to your database.")
    _echo_widgets()
    _background_job(ctx.services.jobs)
    _pi_progress(ctx.services.jobs)
    _items(ctx.services.db)
    _project_form()
    st.subheader("Error handling")
    if st.button("Raise an error on this page", key="demo_raise"):
        raise RuntimeError("a deliberate error from the Demo page")


# A value the Code field accepts: three capital letters (anything else shows a message, unsaved).
Code = Annotated[str, StringConstraints(pattern=r"^([A-Z]{3})?$")]


@section
def _echo_widgets() -> None:
    """Every controlled widget type; each value is kept across reloads, page switches and restarts."""
    left, right = st.columns(2)
    with left:
        name = s_text("Your name", "name", placeholder="Type and press Enter")
        code = s_text(
            "Code (three capital letters)", "code", annotation=Code, max_chars=3,
            invalid_message="A code is three capital letters, like ABC (not saved)",
        )
        count = s_number("How many", "count", default=3, min_value=0, max_value=1000)
        level = s_slider("Level", "level", min_value=0, max_value=100, default=50)
        colour = s_select("Colour", "colour", ["red", "green", "blue"])
        tags = s_multiselect("Tags", "tags", ["fast", "robust", "offline"], default=["robust"])
    with right:
        size = s_radio("Size", "size", ["S", "M", "L"], horizontal=True)
        agree = s_checkbox("I like it", "agree")
        dark = s_toggle("Night mode", "toggle")
        day = s_date("Day", "day", default=dt.date(2026, 1, 1))
        when = s_time("Time", "time", default=dt.time(9, 30))
        notes = s_text_area("Notes", "notes", height=68)
    with st.container(key="demo_echo", border=True):
        st.markdown(f"Hello, **{name or 'stranger'}**!")
        st.caption(
            f"{count} × level {level} · {colour} · {', '.join(tags) or 'no tags'} · size {size} · "
            f"{'likes it' if agree else 'undecided'} · {'night' if dark else 'day'} · {day:%Y-%m-%d} "
            f"{when:%H:%M} · code {code or '—'} · {len(notes)} characters of notes"
        )


PI_SAMPLES = [10_000_000, 50_000_000, 200_000_000]


@section
def _background_job(jobs: JobService) -> None:
    """A real CPU-bound job in a worker process: the page stays usable while it runs."""
    st.subheader("A long job in the background")
    st.caption("Estimates π from random points, in a worker process. Keep using the page meanwhile.")
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    with left:
        samples = s_select("Random points", "pi_samples", PI_SAMPLES, default=PI_SAMPLES[1], format_func="{:,}".format)
    right.button("Estimate π", key="demo_pi_start", icon=":material/play_arrow:", width="stretch",
                 on_click=guarded(jobs.enqueue), args=("pi",), kwargs={"samples": samples})


@st.fragment(run_every=1.0)
def _pi_progress(jobs: JobService) -> None:
    """The newest π job, live: progress while it runs, the estimate once it is done."""
    latest = next(iter(jobs.list_jobs(name="pi", limit=1)), None)
    with st.container(key="demo_pi_status", height=76, border=False):
        if latest is None:
            st.caption("No estimate yet.")
        elif not latest.is_finished:
            job_row(jobs, latest, cancel_key="demo_pi_cancel", label=latest.message or str(latest.state))
        elif latest.state is JobState.SUCCEEDED:
            st.success(f"π ≈ {latest.result['pi']:.6f} from {latest.result['samples']:,} points "
                       f"in {latest.duration or 0:.1f} s (job #{latest.id})", icon=":material/check_circle:")
        else:
            st.warning(f"Job #{latest.id} {latest.state}: {latest.error or latest.message}", icon=":material/warning:")


@section
def _items(db: Database) -> None:
    st.subheader("Items in your database")
    with st.form("demo_add_item", clear_on_submit=True, border=True):
        st.text_input("Item name", key="demo_item_name")
        st.selectbox("Category", demo.CATEGORIES, key="demo_item_category")
        st.number_input("Value", value=1.0, key="demo_item_value")
        st.form_submit_button("Add item", key="demo_add", on_click=guarded(_add_item), args=(db,))
    feedback = st.empty()  # reserved, so the table below keeps its place when a message shows
    kind, text = st.session_state.pop(_FEEDBACK, ("", ""))
    if kind == "success":
        feedback.success(text, icon=":material/check_circle:")
    elif kind == "warning":
        feedback.warning(text, icon=":material/warning:")
    items = demo.list_items(db)
    st.dataframe(
        items or {"id": [], "name": [], "category": [], "value": []},
        hide_index=True,
        width="stretch",
        key="demo_items",
    )
    if not items:
        st.caption("No items yet: add one above, or run `robustapp db seed`.")


def _add_item(db: Database) -> None:
    """Submit callback: the write is committed before the script runs, so the table shows it."""
    name = st.session_state["demo_item_name"]
    if not name.strip():
        st.session_state[_FEEDBACK] = ("warning", "Give the item a name first.")
        return
    category, value = st.session_state["demo_item_category"], st.session_state["demo_item_value"]
    new_id = demo.add_item(db, name, category, value)
    st.session_state[_FEEDBACK] = ("success", f"Added item {new_id}.")


class Project(BaseModel):
    """The Demo page's form: one field per widget type, with rules that Save checks."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] = ""
    budget: Annotated[float, Field(ge=0)] = 0.0
    priority: Literal["low", "medium", "high"] = "medium"
    tags: list[Literal["data", "ui", "ops", "research"]] = []
    visibility: Literal["private", "team", "public"] = "team"
    billable: bool = False
    active: bool = True
    progress: Annotated[int, Field(ge=0, le=100)] = 0
    start_date: dt.date = dt.date(2026, 1, 1)
    end_date: dt.date = dt.date(2026, 12, 31)
    start_time: dt.time = dt.time(9, 0)
    colour: str = "#1F77B4"
    notes: str = ""

    @model_validator(mode="after")
    def _starts_before_it_ends(self) -> Self:
        if self.start_date > self.end_date:
            raise ValueError(f"the start date {self.start_date} is after the end date {self.end_date}")
        return self


@section
def _project_form() -> None:
    """A form with history: every change is an undoable step, kept across reloads and restarts."""
    st.subheader("A form with undo/redo")
    form = get_form_state("project", Project)
    left, right = st.columns(2)
    with left:
        form_field(form, "name", st.text_input, "Project name", placeholder="1 to 40 characters")
        form_field(form, "budget", st.number_input, "Budget (≥ 0)", step=100.0)
        form_field(form, "priority", st.selectbox, format_func=str.capitalize)
        form_field(form, "tags", st.multiselect)
        form_field(form, "progress", st.slider, "Progress (%)", min_value=0, max_value=100)
        form_field(form, "notes", st.text_area, height=68)
    with right:
        form_field(form, "visibility", st.radio, horizontal=True, format_func=str.capitalize)
        form_field(form, "billable", st.checkbox)
        form_field(form, "active", st.toggle)
        form_field(form, "start_date", st.date_input, "Starts")
        form_field(form, "end_date", st.date_input, "Ends")
        form_field(form, "start_time", st.time_input, "Daily stand-up")
        form_field(form, "colour", st.color_picker)
    render_form_controls(form)
