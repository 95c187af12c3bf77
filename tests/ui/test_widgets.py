"""Controlled widgets on the Demo page: every value is durable, audited once, validated, batched per run."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Caption, Markdown

from robustapp import bootstrap
from robustapp.errors import DatabaseBusyError
from robustapp.services import audit
from robustapp.services.state import SaveResult, StateService
from robustapp.storage.audit_log import AuditEntry, AuditFilter
from tests.ui.helpers import open_app, title


@dataclass(frozen=True)
class Widget:
    """One controlled widget of the Demo page and two values a user can give it."""

    element: str  # AppTest's accessor: at.text_input, at.slider, …
    key: str  # the key in the store (scope "demo"); the widget's key is demo_<key>
    first: Any
    second: Any
    first_json: str  # as the audit trail records it
    second_json: str
    default_json: str  # what the widget showed before its first change

    def on(self, at: AppTest):
        return getattr(at, self.element)(key=f"demo_{self.key}")

    def __str__(self) -> str:
        return f"{self.element}:{self.key}"


WIDGETS = [
    Widget("text_input", "name", "Ada", "Grace", '"Ada"', '"Grace"', '""'),
    Widget("text_input", "code", "ABC", "XYZ", '"ABC"', '"XYZ"', '""'),
    Widget("number_input", "count", 7, 12, "7", "12", "3"),
    Widget("slider", "level", 70, 20, "70", "20", "50"),
    Widget("selectbox", "colour", "green", "blue", '"green"', '"blue"', '"red"'),
    Widget("multiselect", "tags", ["fast"], ["fast", "offline"], '["fast"]', '["fast","offline"]', '["robust"]'),
    Widget("radio", "size", "M", "L", '"M"', '"L"', '"S"'),
    Widget("checkbox", "agree", True, False, "true", "false", "false"),
    Widget("toggle", "toggle", True, False, "true", "false", "false"),
    Widget("date_input", "day", dt.date(2027, 3, 4), dt.date(2025, 12, 31), '"2027-03-04"', '"2025-12-31"', '"2026-01-01"'),
    Widget("time_input", "time", dt.time(13, 15), dt.time(18, 45), '"13:15:00"', '"18:45:00"', '"09:30:00"'),
    Widget("text_area", "notes", "first note", "second\nline", '"first note"', '"second\\nline"', '""'),
]
every_widget = pytest.mark.parametrize("widget", WIDGETS, ids=str)


def _set(at: AppTest, widget: Widget, value: Any) -> AppTest:
    widget.on(at).set_value(value)
    at.run()
    assert not at.exception, at.exception
    return at


def _entries(key: str | None = None) -> list[AuditEntry]:
    return audit.read(bootstrap.services().db, AuditFilter(scope="demo", key=key))


def _version(key: str) -> int | None:
    services = bootstrap.services()
    stored = services.state.load(services.owner, "demo").get(key)
    return stored.version if stored else None


def _switch_away_and_back(at: AppTest) -> None:
    at.button(key="nav_home").click().run()
    assert title(at) == "robustapp"
    at.button(key="nav_demo").click().run()
    assert title(at) == "Demo" and not at.exception


def _spy_on_saves(monkeypatch: pytest.MonkeyPatch) -> list[SaveResult]:
    """From now on, the result of every StateService.save (one call is one transaction)."""
    results: list[SaveResult] = []
    save = StateService.save

    def spied(self: StateService, actor, changes, *, trace_id: str) -> SaveResult:
        result = save(self, actor, changes, trace_id=trace_id)
        if any(change.audited for change in changes):  # leave out route bookkeeping
            results.append(result)
        return result

    monkeypatch.setattr(StateService, "save", spied)
    return results


def _message_beside(at: AppTest, key: str) -> str:
    """The message drawn right under the widget `key` in its container ("" when there is none)."""
    for node in at:
        children = list(getattr(node, "children", {}).values())
        for index, child in enumerate(children):
            if getattr(child, "key", None) == key:
                after = children[index + 1] if index + 1 < len(children) else None
                if isinstance(after, Caption):
                    return after.value
                if isinstance(after, Markdown) and "robustapp-field-message" in after.value:
                    return html.unescape(re.sub(r"<[^>]+>", "", after.value)).replace("\xa0", "").strip()
                return ""
    raise AssertionError(f"no widget {key!r} on the page")


@every_widget
def test_a_value_is_shown_again_after_a_reload(widget: Widget) -> None:
    at = _set(open_app("demo"), widget, widget.first)
    assert widget.on(at).value == widget.first
    reloaded = open_app("demo")
    assert widget.on(reloaded).value == widget.first


@every_widget
def test_a_value_is_shown_again_after_switching_pages_and_back(widget: Widget) -> None:
    at = _set(open_app("demo"), widget, widget.first)
    _switch_away_and_back(at)
    assert widget.on(at).value == widget.first
    _set(at, widget, widget.second)
    _switch_away_and_back(at)
    assert widget.on(at).value == widget.second


@every_widget
def test_each_change_writes_one_audit_entry_from_old_to_new(widget: Widget) -> None:
    at = _set(open_app("demo"), widget, widget.first)
    assert [(e.old_value, e.new_value) for e in _entries(widget.key)] == [(widget.default_json, widget.first_json)]
    _set(at, widget, widget.second)
    assert [(e.old_value, e.new_value) for e in _entries(widget.key)] == [
        (widget.default_json, widget.first_json),
        (widget.first_json, widget.second_json),
    ]
    assert len(_entries()) == 2  # and nothing for any other widget


@every_widget
def test_setting_the_same_value_again_writes_nothing(widget: Widget, monkeypatch: pytest.MonkeyPatch) -> None:
    first_window, second_window = open_app("demo"), open_app("demo")
    _set(first_window, widget, widget.first)
    version, entries = _version(widget.key), _entries()
    results = _spy_on_saves(monkeypatch)

    _set(first_window, widget, widget.first)  # the same value in the same window: not even a change event
    _switch_away_and_back(first_window)
    _set(second_window, widget, widget.first)  # a window still showing the old value sets the stored one
    assert [result.written for result in results] == [0]  # it reached the store, which wrote nothing
    assert (_version(widget.key), _entries()) == (version, entries)
    assert widget.on(first_window).value == widget.on(second_window).value == widget.first


def test_every_value_set_before_one_rerun_lands_in_one_transaction(monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app("demo")
    results = _spy_on_saves(monkeypatch)
    for widget in WIDGETS:
        widget.on(at).set_value(widget.first)
    at.run()
    assert not at.exception
    assert [sorted(key for _, key in result.changed) for result in results] == [
        sorted(widget.key for widget in WIDGETS)
    ]
    entries = _entries()
    assert sorted(e.key for e in entries) == sorted(widget.key for widget in WIDGETS)
    assert len({e.trace_id for e in entries}) == 1
    assert len({e.changed_at for e in entries}) == 1

    reloaded = open_app("demo")
    assert {widget.key: widget.on(reloaded).value for widget in WIDGETS} == {
        widget.key: widget.first for widget in WIDGETS
    }


def test_two_changes_before_one_rerun_share_one_trace_id() -> None:
    at = open_app("demo")
    at.text_input(key="demo_name").input("Ada")
    at.slider(key="demo_level").set_value(70)
    at.run()
    name, level = _entries("name"), _entries("level")
    assert len(name) == len(level) == 1
    assert name[0].trace_id == level[0].trace_id
    assert level[0].seq == name[0].seq + 1


def test_a_bad_code_shows_a_message_beside_the_widget_and_is_not_saved() -> None:
    at = _set(open_app("demo"), WIDGETS[1], "ABC")
    at.text_input(key="demo_code").input("abc").run()
    assert not at.exception
    assert "three capital letters" in _message_beside(at, "demo_code")
    assert [e.new_value for e in _entries("code")] == ['"ABC"']
    assert _version("code") == 1

    reloaded = open_app("demo")
    assert reloaded.text_input(key="demo_code").value == "ABC"
    assert _message_beside(reloaded, "demo_code") == ""


def test_the_message_goes_once_the_value_is_good_again() -> None:
    at = open_app("demo")
    at.text_input(key="demo_code").input("ab1").run()
    assert "three capital letters" in _message_beside(at, "demo_code")
    at.text_input(key="demo_code").input("XYZ").run()
    assert _message_beside(at, "demo_code") == ""
    assert [e.new_value for e in _entries("code")] == ['"XYZ"']


def test_after_a_bad_value_a_page_switch_shows_the_last_good_value_without_the_message() -> None:
    at = _set(open_app("demo"), WIDGETS[1], "ABC")
    at.text_input(key="demo_code").input("abc").run()
    _switch_away_and_back(at)
    assert at.text_input(key="demo_code").value == "ABC"
    assert _message_beside(at, "demo_code") == ""


def test_a_failed_save_keeps_the_change_and_the_next_run_saves_it(monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app("demo")
    save = StateService.save
    failures = [DatabaseBusyError("the database is busy")]

    def flaky(self, actor, changes, *, trace_id):
        if failures:
            raise failures.pop()
        return save(self, actor, changes, trace_id=trace_id)

    monkeypatch.setattr(StateService, "save", flaky)
    at.text_input(key="demo_name").input("Ada").run()
    assert at.exception  # the user sees that this run failed …
    at.run()
    assert not at.exception
    assert at.text_input(key="demo_name").value == "Ada"  # … and the input was not dropped
    assert [e.new_value for e in _entries("name")] == ['"Ada"']
    assert open_app("demo").text_input(key="demo_name").value == "Ada"


def test_a_route_with_params_survives_a_new_session() -> None:
    open_app("demo", item="3")
    reopened = open_app()  # a new window: no ?page= in its URL
    assert title(reopened) == "Demo"
    assert reopened.query_params == {"page": "demo", "item": "3"}


def test_a_new_session_opens_the_page_the_user_navigated_to() -> None:
    at = open_app()
    at.button(key="nav_settings").click().run()
    reopened = open_app()
    assert title(reopened) == "Settings"
    assert reopened.query_params == {"page": "settings"}
