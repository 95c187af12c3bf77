"""Forms with undo/redo over a pydantic model; every change is a step kept in the store.

    form = get_form_state("project", Project)          # draws nothing
    form_field(form, "name", st.text_input)            # seeded from the draft; on_change = one step
    form_field(form, "priority", st.selectbox)         # options come from a Literal/Enum annotation
    render_form_controls(form)                         # Save Undo Redo Reset Discard, status, History

Every button and field change runs in a callback, before the script: the operation is
committed (services/forms.py), then the callback writes the resulting values into the
widgets' session_state, so the very next run shows them. A field re-seeds from the store
when its key is gone (a page switch, a reload) or another session changed the form.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any, Literal, get_args, get_origin

import streamlit as st
import structlog
from pydantic import BaseModel, ValidationError

from robustapp import bootstrap
from robustapp.domain.form import FORM_ERROR, FormSpec, FormState
from robustapp.logs import new_trace_id
from robustapp.services.forms import FormService
from robustapp.services.state import Actor
from robustapp.ui import session as sessions
from robustapp.ui.errors import guarded
from robustapp.ui.widgets import type_adapter

_VIEWS = "_robustapp_forms"


@dataclass
class _FormView:
    """This session's bookkeeping for one form."""

    seen: dict[str, int] = field(default_factory=dict)  # the version each field's widget was seeded from
    show_errors: bool = False  # after a failed Save, until a Save succeeds or the draft is reset/discarded
    notice: str | None = None  # shown once in the status line


def _view(form_id: str) -> _FormView:
    views = st.session_state.setdefault(_VIEWS, {})
    return views.setdefault(form_id, _FormView())


def field_key(form_id: str, name: str) -> str:
    """The Streamlit key of a form field's widget (its CSS class is `st-key-<this>`)."""
    return f"form_{form_id}_{name}"


def form_service() -> FormService:
    """The form service with the history length this user chose (else the setting's)."""
    services = bootstrap.services()
    return FormService.for_owner(services.db, services.owner, default_limit=services.settings.form_history_limit)


def get_form_state(
    form_id: str, model: type[BaseModel], defaults: Mapping[str, Any] | BaseModel | None = None
) -> FormState:
    """The form's draft, history and problems as stored now; draws nothing."""
    return form_service().load(bootstrap.services().owner, form_id, model, defaults)


def form_field(form: FormState, name: str, widget: Callable[..., Any], label: str | None = None, **kwargs: Any) -> Any:
    """Draw `widget` for one field of `form`; each change the user makes is one history step."""
    info = form.spec.fields[name]
    if "options" not in kwargs and (choices := _choices(info.annotation)) and _takes_options(widget):
        kwargs["options"] = choices
    if info.description and "help" not in kwargs:
        kwargs["help"] = info.description
    key, view = field_key(form.form_id, name), _view(form.form_id)
    if sessions.is_new_on_screen(key) or key not in st.session_state or view.seen.get(name) != form.version:
        st.session_state[key] = _widget_value(form, name, kwargs.get("options"))
        view.seen[name] = form.version
    value = widget(
        label or info.title or name.replace("_", " ").capitalize(),
        key=key,
        on_change=guarded(_field_changed),
        args=(form.spec, name),
        **kwargs,
    )
    if view.show_errors and name in form.errors:
        st.caption(f":red[:material/error: {form.errors[name]}]")
    return value


def set_form_values(form: FormState, values: Mapping[str, Any]) -> FormState:
    """Set several fields of `form` as one undoable step (from a callback or from page code before the
    fields are drawn); the fields show the new values in this run or the next."""
    actor, trace_id = actor_and_trace()
    state = form_service().apply(actor, form.spec, values, trace_id=trace_id)
    _show(state)
    return state


def render_form_controls(form: FormState) -> None:
    """Save, Undo, Redo, Reset and Discard; a status line in a reserved slot; the History expander."""
    fid, spec, history, view = form.form_id, form.spec, form.history, _view(form.form_id)
    with st.container(key=f"form_{fid}_controls"):
        buttons = [
            ("save", "Save", ":material/save:", not (form.is_dirty or history.saved is None), "primary"),
            ("undo", "Undo", ":material/undo:", not history.can_undo, "secondary"),
            ("redo", "Redo", ":material/redo:", not history.can_redo, "secondary"),
            ("reset", "Reset", ":material/restart_alt:", not form.is_dirty, "secondary"),
            ("discard", "Discard", ":material/delete_sweep:", form.is_default, "secondary"),
        ]
        for column, (operation, text, icon, disabled, kind) in zip(st.columns(len(buttons)), buttons, strict=True):
            column.button(
                text, key=f"form_{fid}_{operation}", icon=icon, type=kind, disabled=disabled, width="stretch",
                help=_HELP[operation], on_click=guarded(_operate), args=(operation, spec),
            )
        with st.container(key=f"form_{fid}_status"):  # always exactly one line: nothing below moves
            st.caption(_status(form, view))
    _history(form)


_HELP = {
    "save": "Check the whole form and keep this version",
    "undo": "Take back the last change",
    "redo": "Bring back the change you took back",
    "reset": "Go back to the last saved version",
    "discard": "Go back to the defaults (you can undo this)",
}


def _history(form: FormState) -> None:
    """Every kept step, newest first (who, when, what it set), and a way to bring any of them back."""
    fid = form.form_id
    history = st.expander("History", icon=":material/history:", key=f"form_{fid}_history", on_change="rerun")
    if not history.open:  # closed: nothing inside is computed or sent
        return
    steps = form.timeline()[::-1]
    with history:
        st.table(
            [
                {
                    "step": step.seq,
                    "what": step.kind + (" · current" if step.is_current else " · undone" if step.is_undone else "")
                    + (" · saved" if step.is_saved else ""),
                    "who": step.actor,
                    "when": f"{step.at.astimezone():%Y-%m-%d %H:%M:%S}",
                    "changes": "; ".join(f"{name} = {_short(value)}" for name, value in step.changes.items()),
                }
                for step in steps
            ],
            hide_index=True,
        )
        labels = {step.seq: f"step {step.seq} · {step.kind} · {step.at.astimezone():%H:%M:%S}" for step in steps}
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        choices = [step.seq for step in steps if not step.is_current]
        left.selectbox("Version", choices, format_func=labels.__getitem__, key=f"form_{fid}_restore_seq")
        right.button(
            "Restore", key=f"form_{fid}_restore", icon=":material/settings_backup_restore:", width="stretch",
            disabled=not choices, help="Bring this version back as a new step (you can undo it)",
            on_click=guarded(_operate), args=("restore", form.spec),
        )


def _short(value: Any, width: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _status(form: FormState, view: _FormView) -> str:
    notice, view.notice = view.notice, None
    if view.show_errors and form.errors:
        whole = form.errors.get(FORM_ERROR)
        return f":red[:material/error: Not saved: {whole or 'fix the marked fields'}.]"
    if notice:
        return f":orange[:material/info: {notice}]"
    if form.is_dirty:
        return ":orange[:material/edit: Unsaved changes (kept as a draft).]"
    if form.history.saved is not None:
        return f":green[:material/check_circle: Saved {form.history.saved.at.astimezone():%Y-%m-%d %H:%M:%S}.]"
    return ":gray[:material/info: Not saved yet: these are the defaults.]"


def actor_and_trace() -> tuple[Actor, str]:
    """Who acts in this session, and the trace id of the run or callback (for an audit entry)."""
    trace_id = structlog.contextvars.get_contextvars().get("trace_id") or new_trace_id()
    return sessions.actor(bootstrap.services()), trace_id


def _field_changed(spec: FormSpec, name: str) -> None:
    _view(spec.form_id).seen.pop(name, None)  # should the write fail, the next run shows the stored value
    actor, trace_id = actor_and_trace()
    value = st.session_state[field_key(spec.form_id, name)]
    _show(form_service().edit(actor, spec, name, value, trace_id=trace_id))


def _operate(operation: str, spec: FormSpec, *args: Any) -> None:
    actor, trace_id = actor_and_trace()
    if operation == "restore":
        args = (st.session_state[f"form_{spec.form_id}_restore_seq"],)
    state = getattr(form_service(), operation)(actor, spec, *args, trace_id=trace_id)
    view = _view(spec.form_id)
    if operation == "save":
        view.show_errors = bool(state.errors)
        view.notice = None if state.errors else "Saved."
    elif operation in ("reset", "discard"):
        view.show_errors = False
    _show(state)


def _show(state: FormState) -> None:
    """In a callback: put the state's values into the fields' widgets, for the run that follows."""
    view = _view(state.form_id)
    view.notice = state.notice or view.notice
    for name in state.spec.fields:
        key = field_key(state.form_id, name)
        value = _widget_value(state, name, None)
        if key not in st.session_state or st.session_state[key] != value:
            st.session_state[key] = value
        view.seen[name] = state.version


def _widget_value(form: FormState, name: str, options: Any) -> Any:
    """The draft's JSON value as the widget wants it (a date for date_input …); kept as is if it does not fit."""
    stored = form.values[name]
    try:
        value = type_adapter(form.spec.fields[name].annotation).validate_python(stored)
    except ValidationError:
        value = stored
    if options is None:
        return value
    if isinstance(value, list):
        return [item for item in value if item in options]
    return value if value in options else next(iter(options), None)


def _choices(annotation: Any) -> list[Any] | None:
    """The allowed values of a Literal or Enum annotation, or of the items of a list of one."""
    if get_origin(annotation) is Literal:
        return list(get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return list(annotation)
    if get_origin(annotation) in (list, set, tuple) and len(get_args(annotation)) == 1:
        return _choices(get_args(annotation)[0])
    return None


@lru_cache(maxsize=64)
def _takes_options(widget: Callable[..., Any]) -> bool:
    return "options" in inspect.signature(widget).parameters
