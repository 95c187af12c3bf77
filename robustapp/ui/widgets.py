"""Controlled widgets: one call each, and the value is durable.

    s_text("Your name", "name")          # scope: the current page (or pass scope=…)

Before the widget is drawn its value is seeded from the store (so it survives Streamlit
dropping the keys of undrawn widgets, reloads and restarts; a newer value written by another
session replaces it). Its `on_change` validates the new value with pydantic and queues it; the
run that follows commits everything queued in one transaction before anything is drawn
(see ui/session.py). A bad value shows a message under the widget and is not saved.
`controlled(st.color_picker, …)` makes any other Streamlit widget durable the same way.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Annotated, Any

import streamlit as st
from pydantic import Field, TypeAdapter, ValidationError

from robustapp import bootstrap
from robustapp.services.state import Change
from robustapp.ui import session as sessions

_scope: ContextVar[str] = ContextVar("robustapp_widget_scope", default="global")


@contextmanager
def widget_scope(scope: str) -> Iterator[None]:
    """Widgets drawn inside store their values under `scope` (the shell uses the page's slug)."""
    token = _scope.set(scope)
    try:
        yield
    finally:
        _scope.reset(token)


def current_scope() -> str:
    return _scope.get()


def widget_key(scope: str, key: str) -> str:
    """The Streamlit key of a controlled widget (its CSS class is `st-key-<this>`)."""
    return f"{scope}_{key}"


_adapters: dict[str, TypeAdapter] = {}


def type_adapter(annotation: Any) -> TypeAdapter:
    """One TypeAdapter per annotation (building one costs ~0.1 ms; a page has dozens of widgets)."""
    name = repr(annotation)
    if name not in _adapters:
        _adapters[name] = TypeAdapter(annotation)
    return _adapters[name]


def controlled(
    widget: Callable[..., Any],
    label: str,
    key: str,
    *,
    default: Any,
    annotation: Any = Any,
    scope: str | None = None,
    options: Sequence[Any] | None = None,
    invalid_message: str | None = None,
    audited: bool = True,
    **kwargs: Any,
) -> Any:
    """Draw `widget` with a durable, validated value; return the last good value.

    `invalid_message` is what the user reads when a value is rejected; passing it also reserves
    the line the message appears on, so nothing below moves when it shows or goes. `audited=False`
    keeps a value (e.g. a filter) out of the audit trail.
    """
    scope = scope or _scope.get()
    wkey = widget_key(scope, key)
    adapter = type_adapter(annotation)
    session = sessions.current()
    slot = (scope, key)
    record = sessions.stored(bootstrap.services(), scope, key)
    absent = sessions.is_new_on_screen(wkey) or wkey not in st.session_state
    if slot not in session.pending:
        if record is not None and (absent or session.seen.get(slot) != record.version):
            st.session_state[wkey] = _from_store(adapter, record.value, default, options)
            session.seen[slot] = record.version
            session.errors.pop(wkey, None)  # it shows a good value again: the old complaint no longer applies
        elif record is None and absent:
            st.session_state[wkey] = default
            session.errors.pop(wkey, None)
    if options is not None:
        kwargs["options"] = options
    value = widget(
        label, key=wkey, on_change=_changed, args=(scope, key, wkey, adapter, invalid_message, audited, default), **kwargs
    )
    error = session.errors.get(wkey)
    if invalid_message is not None:
        _message_line(error)
    elif error:
        st.caption(f":red[:material/error: {error}]")
    if error:  # the page works with what was accepted, not with the rejected input
        return _from_store(adapter, record.value, default, options) if record is not None else default
    return value


def put(key: str, value: Any, *, scope: str, audited: bool = True) -> None:
    """Give a controlled widget a value from a callback, as if the user had entered it (saved the same way)."""
    wkey = widget_key(scope, key)
    st.session_state[wkey] = value
    session = sessions.current()
    session.errors.pop(wkey, None)
    session.queue(Change(scope, key, value, base_version=session.seen.get((scope, key)), audited=audited))


def _message_line(error: str | None) -> None:
    """A line of fixed height under a widget: empty, or the message why a value was rejected."""
    text = f"⚠ {html.escape(error)}" if error else "&nbsp;"
    st.markdown(
        f'<div class="robustapp-field-message" style="height:1.4rem;line-height:1.4rem;font-size:0.85rem;'
        f'color:var(--st-red-color, #d32f2f);overflow:hidden;white-space:nowrap;text-overflow:ellipsis">'
        f"{text}</div>",
        unsafe_allow_html=True,
    )


def _from_store(adapter: TypeAdapter, stored: Any, default: Any, options: Sequence[Any] | None) -> Any:
    """The stored value as the widget needs it; the default when it no longer fits the widget."""
    try:
        value = adapter.validate_python(stored)
    except ValidationError:
        return default
    if options is None:
        return value
    if isinstance(value, list):
        return [v for v in value if v in options]
    return value if value in options else default


def _changed(
    scope: str,
    key: str,
    wkey: str,
    adapter: TypeAdapter,
    invalid_message: str | None,
    audited: bool,
    default: Any,
) -> None:
    session = sessions.current()
    try:
        value = adapter.dump_python(adapter.validate_python(st.session_state[wkey]), mode="json")
    except ValidationError as exc:
        session.errors[wkey] = invalid_message or "; ".join(error["msg"] for error in exc.errors())
        return
    session.errors.pop(wkey, None)
    session.queue(
        Change(
            scope, key, value, base_version=session.seen.get((scope, key)), audited=audited,
            shown_before=_as_json(adapter, default),
        )
    )


def _as_json(adapter: TypeAdapter, value: Any) -> Any:
    """`value` as the store keeps it (None when it cannot be expressed: no "before" is recorded)."""
    try:
        return adapter.dump_python(value, mode="json")
    except (ValidationError, ValueError, TypeError):
        return None


def _bounded(kind: type, low: Any, high: Any) -> Any:
    return Annotated[kind, Field(ge=low, le=high)] if low is not None or high is not None else kind


def s_text(label: str, key: str, *, default: str = "", annotation: Any = str, **kwargs: Any) -> str:
    return controlled(st.text_input, label, key, default=default, annotation=annotation, **kwargs)


def s_text_area(label: str, key: str, *, default: str = "", annotation: Any = str, **kwargs: Any) -> str:
    return controlled(st.text_area, label, key, default=default, annotation=annotation, **kwargs)


def s_number(
    label: str,
    key: str,
    *,
    default: float = 0,
    min_value: float | None = None,
    max_value: float | None = None,
    **kwargs: Any,
) -> float:
    kind = int if isinstance(default, int) and not isinstance(default, bool) else float
    return controlled(
        st.number_input, label, key, default=default, annotation=_bounded(kind, min_value, max_value),
        min_value=min_value, max_value=max_value, **kwargs,
    )


def s_select(label: str, key: str, options: Sequence[Any], *, default: Any = None, **kwargs: Any) -> Any:
    default = options[0] if default is None and options else default
    return controlled(st.selectbox, label, key, default=default, options=list(options), **kwargs)


def s_multiselect(label: str, key: str, options: Sequence[Any], *, default: Sequence[Any] = (), **kwargs: Any) -> list:
    return controlled(
        st.multiselect, label, key, default=list(default), annotation=list, options=list(options), **kwargs
    )


def s_radio(label: str, key: str, options: Sequence[Any], *, default: Any = None, **kwargs: Any) -> Any:
    default = options[0] if default is None and options else default
    return controlled(st.radio, label, key, default=default, options=list(options), **kwargs)


def s_checkbox(label: str, key: str, *, default: bool = False, **kwargs: Any) -> bool:
    return controlled(st.checkbox, label, key, default=default, annotation=bool, **kwargs)


def s_toggle(label: str, key: str, *, default: bool = False, **kwargs: Any) -> bool:
    return controlled(st.toggle, label, key, default=default, annotation=bool, **kwargs)


def s_slider(
    label: str, key: str, *, min_value: float, max_value: float, default: Any = None, **kwargs: Any
) -> Any:
    default = min_value if default is None else default
    if isinstance(default, tuple):
        kind = type(default[0])
        annotation: Any = tuple[_bounded(kind, min_value, max_value), _bounded(kind, min_value, max_value)]
    else:
        annotation = _bounded(type(default), min_value, max_value)
    return controlled(
        st.slider, label, key, default=default, annotation=annotation,
        min_value=min_value, max_value=max_value, **kwargs,
    )


def s_date(label: str, key: str, *, default: dt.date | None = None, **kwargs: Any) -> dt.date:
    return controlled(st.date_input, label, key, default=default or dt.date.today(), annotation=dt.date, **kwargs)


def s_time(label: str, key: str, *, default: dt.time | None = None, **kwargs: Any) -> dt.time:
    return controlled(st.time_input, label, key, default=default or dt.time(9, 0), annotation=dt.time, **kwargs)
