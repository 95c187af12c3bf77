"""Forms with history under AppTest: fields, Save/Undo/Redo/Reset/Discard, History, reloads, the limit."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from robustapp.bootstrap import local_profile
from robustapp.errors import TransactionAbortedError
from robustapp.services.forms import FormService
from tests.ui.helpers import block, open_app

# Every widget type of the Demo's Project form: (how to set it, the value set, the default).
EDITS = [
    ("text_input", "name", lambda w: w.input("Apollo"), "Apollo", ""),
    ("number_input", "budget", lambda w: w.set_value(2500.0), 2500.0, 0.0),
    ("selectbox", "priority", lambda w: w.select("high"), "high", "medium"),
    ("multiselect", "tags", lambda w: w.set_value(["data", "ops"]), ["data", "ops"], []),
    ("slider", "progress", lambda w: w.set_value(40), 40, 0),
    ("text_area", "notes", lambda w: w.input("first notes"), "first notes", ""),
    ("radio", "visibility", lambda w: w.set_value("public"), "public", "team"),
    ("checkbox", "billable", lambda w: w.check(), True, False),
    ("toggle", "active", lambda w: w.set_value(False), False, True),
    ("date_input", "start_date", lambda w: w.set_value(dt.date(2026, 2, 1)), dt.date(2026, 2, 1), dt.date(2026, 1, 1)),
    ("date_input", "end_date", lambda w: w.set_value(dt.date(2026, 3, 1)), dt.date(2026, 3, 1), dt.date(2026, 12, 31)),
    ("time_input", "start_time", lambda w: w.set_value(dt.time(10, 15)), dt.time(10, 15), dt.time(9, 0)),
    ("color_picker", "colour", lambda w: w.pick("#FF0000"), "#FF0000", "#1F77B4"),
]


def _widget(at: AppTest, kind: str, field: str, form: str = "project"):
    return getattr(at, kind)(key=f"form_{form}_{field}")


def _values(at: AppTest) -> dict[str, object]:
    return {field: _widget(at, kind, field).value for kind, field, *_ in EDITS}


def _click(at: AppTest, operation: str, form: str = "project") -> AppTest:
    at.button(key=f"form_{form}_{operation}").click().run()
    assert not at.exception
    return at


def _status(at: AppTest, form: str = "project") -> str:
    (line,) = [caption.value for caption in block(at, f"form_{form}_status").caption]
    return line


def _errors(at: AppTest) -> list[str]:
    return [caption.value for caption in at.caption if ":material/error:" in caption.value and "Not saved" not in caption.value]


def _enabled(at: AppTest, form: str = "project") -> set[str]:
    operations = ("save", "undo", "redo", "reset", "discard")
    return {op for op in operations if not at.button(key=f"form_{form}_{op}").disabled}


def _history_rows(at: AppTest, form: str = "project"):
    """The History table (opening the expander first, as a user would)."""
    if not at.table:
        at.session_state[f"form_{form}_history"] = True
        at.run()
    return at.table[0].value


def _set(at: AppTest, field: str, value: object) -> AppTest:
    kind = next(kind for kind, name, *_ in EDITS if name == field)
    _widget(at, kind, field).set_value(value).run()
    assert not at.exception
    return at


def test_every_widget_type_records_a_step_and_undo_redo_show_the_values_at_once() -> None:
    at = open_app("demo")
    assert _values(at) == {field: default for _, field, _, _, default in EDITS}
    assert _enabled(at) == {"save"}

    for kind, field, change, _, _ in EDITS:
        change(_widget(at, kind, field)).run()
        assert not at.exception
    assert _values(at) == {field: value for _, field, _, value, _ in EDITS}
    assert "Unsaved changes" in _status(at)

    for kind, field, _, _, default in reversed(EDITS):
        _click(at, "undo")
        assert _widget(at, kind, field).value == default
    assert _values(at) == {field: default for _, field, _, _, default in EDITS}
    assert _enabled(at) == {"save", "redo"}

    for kind, field, _, value, _ in EDITS:
        _click(at, "redo")
        assert _widget(at, kind, field).value == value
    assert _enabled(at) == {"save", "undo", "reset", "discard"}


def test_a_reload_shows_the_same_draft_and_undo_still_works() -> None:
    at = open_app("demo")
    _set(at, "name", "Gemini")
    _set(at, "budget", 10.0)

    reloaded = open_app("demo")
    assert _widget(reloaded, "text_input", "name").value == "Gemini"
    assert _widget(reloaded, "number_input", "budget").value == 10.0
    _click(reloaded, "undo")
    assert _widget(reloaded, "number_input", "budget").value == 0.0

    again = open_app("demo")
    assert _widget(again, "number_input", "budget").value == 0.0
    _click(again, "redo")
    assert _widget(again, "number_input", "budget").value == 10.0


def test_a_page_switch_and_back_shows_the_draft() -> None:
    at = open_app("demo")
    _set(at, "tags", ["ui"])
    at.button(key="nav_home").click().run()
    at.button(key="nav_demo").click().run()
    assert _widget(at, "multiselect", "tags").value == ["ui"]
    _click(at, "undo")
    assert _widget(at, "multiselect", "tags").value == []


def test_a_change_in_another_window_shows_on_the_next_run() -> None:
    first, second = open_app("demo"), open_app("demo")
    _set(first, "name", "Mercury")
    second.run()
    assert _widget(second, "text_input", "name").value == "Mercury"
    _click(second, "undo")
    first.run()
    assert _widget(first, "text_input", "name").value == ""


def test_save_with_invalid_values_shows_the_errors_beside_the_fields_and_keeps_the_draft() -> None:
    at = open_app("demo")
    _set(at, "budget", -5.0)
    _set(at, "notes", "kept")

    _click(at, "save")

    assert "Not saved: fix the marked fields." in _status(at)
    errors = _errors(at)
    assert any("at least 1 character" in error for error in errors)  # the empty name
    assert any("greater than or equal to 0" in error for error in errors)  # the budget
    assert _widget(at, "number_input", "budget").value == -5.0
    assert _widget(at, "text_area", "notes").value == "kept"

    _set(at, "name", "Vostok")  # fixing a field takes its message away at once
    assert not any("at least 1 character" in error for error in _errors(at))
    assert open_app("demo").text_area(key="form_project_notes").value == "kept"


def test_a_start_after_the_end_is_reported_for_the_whole_form() -> None:
    at = open_app("demo")
    _set(at, "name", "Soyuz")
    _set(at, "start_date", dt.date(2027, 1, 1))

    _click(at, "save")

    assert "Not saved: the start date 2027-01-01 is after the end date 2026-12-31." in _status(at)
    assert _widget(at, "date_input", "start_date").value == dt.date(2027, 1, 1)


def test_a_valid_save_shows_a_clean_status_and_survives_a_reload() -> None:
    at = open_app("demo")
    _set(at, "name", "  Skylab ")

    _click(at, "save")

    assert "Saved." in _status(at)
    assert _widget(at, "text_input", "name").value == "Skylab"  # as the model normalised it
    assert _enabled(at) == {"undo", "discard"}
    at.run()
    assert "Saved 20" in _status(at)
    reloaded = open_app("demo")
    assert "Saved 20" in _status(reloaded) and _enabled(reloaded) == {"undo", "discard"}


def test_reset_returns_to_the_saved_version() -> None:
    at = open_app("demo")
    _set(at, "name", "Ariane")
    _click(at, "save")
    _set(at, "name", "Vega")
    _set(at, "progress", 90)

    _click(at, "reset")

    assert _widget(at, "text_input", "name").value == "Ariane"
    assert _widget(at, "slider", "progress").value == 0
    assert "Saved" in _status(at)
    _click(at, "undo")
    assert _widget(at, "slider", "progress").value == 90


def test_discard_returns_to_the_defaults_and_can_be_undone() -> None:
    at = open_app("demo")
    _set(at, "name", "Hermes")
    _set(at, "active", False)
    _click(at, "save")

    _click(at, "discard")

    assert _widget(at, "text_input", "name").value == ""
    assert _widget(at, "toggle", "active").value is True
    assert "Unsaved changes" in _status(at)
    assert "discard" not in _enabled(at)
    _click(at, "undo")
    assert _widget(at, "text_input", "name").value == "Hermes"


def test_the_history_shows_each_step_and_restore_brings_one_back_as_a_new_step() -> None:
    at = open_app("demo")
    _set(at, "name", "Luna")
    _set(at, "name", "Luna 2")
    _set(at, "priority", "low")

    rows = _history_rows(at)
    assert rows["step"].tolist() == [3, 2, 1, 0]
    assert rows["what"].tolist() == ["edit · current", "edit", "edit", "initial"]
    assert rows["changes"].tolist() == ["priority = 'low'", "name = 'Luna 2'", "name = 'Luna'", ""]
    assert set(rows["who"]) == {local_profile()}

    at.selectbox(key="form_project_restore_seq").select(1).run()
    _click(at, "restore")

    assert _widget(at, "text_input", "name").value == "Luna"
    assert _widget(at, "selectbox", "priority").value == "medium"
    rows = _history_rows(at)
    assert rows["step"].tolist()[0] == 4
    assert rows["what"][0] == "restore · current"
    assert rows["changes"][0] == "name = 'Luna'; priority = 'medium'"


def test_the_history_limit_bounds_the_steps_but_reset_still_returns_the_saved_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ROBUSTAPP_FORM_HISTORY_LIMIT", "3")
    at = open_app("demo")
    _set(at, "name", "Kept")
    _click(at, "save")
    for progress in (10, 20, 30, 40, 50):
        _set(at, "progress", progress)

    assert _history_rows(at)["step"].tolist() == [6, 5, 4]
    _click(at, "undo")
    _click(at, "undo")
    assert _enabled(at) >= {"redo"} and "undo" not in _enabled(at)

    _click(at, "reset")

    assert _widget(at, "text_input", "name").value == "Kept"
    assert _widget(at, "slider", "progress").value == 0
    assert _history_rows(at)["step"].tolist() == [7, 4]  # the reset dropped the undone steps 5 and 6


def test_settings_keep_the_preferences_as_a_form_saved_per_user() -> None:
    at = open_app("settings")
    assert "Not saved yet" in _status(at, "preferences")
    at.selectbox(key="form_preferences_csv_delimiter").select(";").run()
    at.radio(key="form_preferences_theme").set_value("dark").run()
    at.number_input(key="form_preferences_rows_per_page").set_value(200).run()
    _click(at, "save", "preferences")
    assert "Saved." in _status(at, "preferences")

    reloaded = open_app("settings")
    assert reloaded.selectbox(key="form_preferences_csv_delimiter").value == ";"
    assert reloaded.radio(key="form_preferences_theme").value == "dark"
    assert reloaded.number_input(key="form_preferences_rows_per_page").value == 200
    assert "ROBUSTAPP_FORM_HISTORY_LIMIT" in reloaded.dataframe[0].value["setting"].tolist()


def test_a_saved_history_length_bounds_every_form(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROBUSTAPP_FORM_HISTORY_LIMIT", "40")
    at = open_app("settings")
    assert at.number_input(key="form_preferences_history_length").value == 40  # the setting is the default
    at.number_input(key="form_preferences_history_length").set_value(2).run()
    _click(at, "save", "preferences")

    demo = open_app("demo")
    for progress in (10, 20, 30):
        _set(demo, "progress", progress)
    assert _history_rows(demo)["step"].tolist() == [3, 2]


def test_a_change_that_cannot_be_stored_shows_a_panel_and_the_stored_value(monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app("demo")
    _set(at, "name", "Stored")

    def fail(*args: object, **kwargs: object) -> None:
        raise TransactionAbortedError("the disk is full")

    monkeypatch.setattr(FormService, "edit", fail)
    _set(at, "name", "Lost")

    assert "the disk is full" in at.error[0].value
    assert _widget(at, "text_input", "name").value == "Stored"
