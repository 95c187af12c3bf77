"""A form's undo/redo history, operation by operation, as a user of the form would notice it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from robustapp.domain.history import FormHistory, StepKind

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
START = {"name": "Ada", "age": 36, "tags": []}


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def started(limit: int = 100) -> FormHistory:
    return FormHistory.start(START, actor="ada", at=at(0), limit=limit)


def two_edits() -> FormHistory:
    return started().edit("name", "Grace", actor="ada", at=at(1)).edit("age", 40, actor="ada", at=at(2))


def test_a_new_history_shows_the_starting_values_with_nothing_to_undo_or_redo() -> None:
    history = started()

    assert history.current == START
    assert (history.can_undo, history.can_redo, history.is_dirty) == (False, False, False)
    assert history.saved is None


def test_an_edit_changes_one_field_and_keeps_the_others() -> None:
    history = started().edit("name", "Grace", actor="ada", at=at(1))

    assert history.current == {"name": "Grace", "age": 36, "tags": []}
    assert history.steps[-1].changed == ("name",)


def test_undo_after_two_edits_shows_the_first_edits_values() -> None:
    history = two_edits().undo()

    assert history.current == {"name": "Grace", "age": 36, "tags": []}
    assert history.can_redo


def test_redo_brings_back_the_undone_edit() -> None:
    history = two_edits().undo().undo().redo().redo()

    assert history.current == {"name": "Grace", "age": 40, "tags": []}
    assert not history.can_redo


def test_undo_at_the_start_and_redo_at_the_end_change_nothing() -> None:
    fresh, edited = started(), two_edits()

    assert fresh.undo() is fresh
    assert edited.redo() is edited


def test_editing_after_undo_drops_the_steps_that_were_undone() -> None:
    history = two_edits().undo().edit("tags", ["vip"], actor="ada", at=at(3))

    assert history.current == {"name": "Grace", "age": 36, "tags": ["vip"]}
    assert not history.can_redo
    assert [step.kind for step in history.steps] == [StepKind.INITIAL, StepKind.EDIT, StepKind.EDIT]


def test_an_edit_that_changes_nothing_records_nothing() -> None:
    history = two_edits().undo()

    assert history.edit("name", "Grace", actor="bob", at=at(3)) is history
    assert history.apply({"name": "Grace", "age": 36}, actor="bob", at=at(3)) is history
    assert history.can_redo  # the redo tail survives an edit that did nothing


def test_true_and_one_are_different_values_of_a_field() -> None:
    history = FormHistory.start({"agree": 1}, actor="ada", at=at(0)).edit("agree", True, actor="ada", at=at(1))

    assert history.current["agree"] is True
    assert history.can_undo


def test_apply_changes_several_fields_in_one_step() -> None:
    history = started().apply({"name": "Grace", "age": 40}, actor="ada", at=at(1))

    assert history.current == {"name": "Grace", "age": 40, "tags": []}
    assert history.steps[-1].changed == ("name", "age")
    assert history.undo().current == START


def test_changing_the_values_a_caller_holds_never_changes_the_history() -> None:
    tags = ["vip"]
    history = started().edit("tags", tags, actor="ada", at=at(1))

    tags.append("late")
    shown = history.current
    shown["tags"].append("lost")

    assert history.current["tags"] == ["vip"]


def test_every_operation_leaves_the_history_it_started_from_as_it_was() -> None:
    before = two_edits()
    snapshot = before.model_dump()

    before.undo().edit("name", "Lin", actor="ada", at=at(3)).save(at=at(4)).discard({}, actor="ada", at=at(5))

    assert before.model_dump() == snapshot
    with pytest.raises(ValidationError, match="frozen"):
        before.cursor = 0  # type: ignore[misc]


def test_a_form_is_clean_until_edited_and_clean_again_once_the_edit_is_undone() -> None:
    edited = started().edit("age", 37, actor="ada", at=at(1))

    assert edited.is_dirty
    assert not edited.undo().is_dirty


def test_saving_makes_the_form_clean_and_the_next_edit_makes_it_dirty() -> None:
    saved = two_edits().save(at=at(3))

    assert not saved.is_dirty
    assert saved.saved is not None and saved.saved.values == saved.current
    assert saved.edit("age", 41, actor="ada", at=at(4)).is_dirty
    assert saved.undo().is_dirty  # undoing past the save differs from what was saved


def test_reset_returns_to_the_saved_values_as_a_step_that_can_be_undone() -> None:
    saved = started().edit("name", "Grace", actor="ada", at=at(1)).save(at=at(2))
    edited = saved.edit("age", 99, actor="ada", at=at(3))

    reset = edited.reset(actor="bob", at=at(4))

    assert reset.current == {"name": "Grace", "age": 36, "tags": []}
    assert (reset.steps[-1].kind, reset.steps[-1].actor, reset.steps[-1].changed) == (StepKind.RESET, "bob", ("age",))
    assert reset.undo().current["age"] == 99


def test_reset_before_any_save_returns_to_the_starting_values() -> None:
    assert two_edits().reset(actor="ada", at=at(3)).current == START


def test_reset_when_nothing_changed_records_nothing() -> None:
    saved = two_edits().save(at=at(3))

    assert saved.reset(actor="ada", at=at(4)) is saved


def test_discard_puts_the_defaults_in_place_as_a_new_step() -> None:
    defaults = {"name": "", "age": None}

    history = two_edits().discard(defaults, actor="ada", at=at(3))

    assert history.current == defaults
    assert history.steps[-1].kind == StepKind.DISCARD
    assert history.steps[-1].changed == ("name", "age", "tags")  # tags is gone, so it changed too


def test_restore_brings_back_an_earlier_version_as_a_new_step() -> None:
    history = two_edits()

    restored = history.restore(0, actor="bob", at=at(3))

    assert restored.current == START
    assert [step.seq for step in restored.steps] == [0, 1, 2, 3]
    assert restored.steps[-1].kind == StepKind.RESTORE
    assert restored.undo().current == history.current


def test_restoring_a_step_that_is_not_kept_names_it() -> None:
    with pytest.raises(ValueError, match=r"cannot restore seq=7: .* from seq 0 to 2"):
        two_edits().restore(7, actor="ada", at=at(3))


def test_the_oldest_steps_are_dropped_past_the_limit_and_undo_stops_at_the_oldest_kept() -> None:
    history = started(limit=3)
    for minute, age in enumerate((37, 38, 39, 40), start=1):
        history = history.edit("age", age, actor="ada", at=at(minute))

    assert [step.seq for step in history.steps] == [2, 3, 4]
    assert history.undo().undo().current["age"] == 38
    assert not history.undo().undo().can_undo


def test_reset_still_returns_the_saved_values_after_the_saved_step_was_trimmed() -> None:
    history = started(limit=2).edit("name", "Grace", actor="ada", at=at(1)).save(at=at(2))
    for minute, age in enumerate((37, 38, 39), start=3):
        history = history.edit("age", age, actor="ada", at=at(minute))

    assert history.saved is not None and history.saved.seq == 1
    assert 1 not in [step.seq for step in history.steps]
    assert history.reset(actor="ada", at=at(9)).current == {"name": "Grace", "age": 36, "tags": []}


def test_seq_keeps_counting_after_a_dropped_redo_tail_so_no_number_is_reused() -> None:
    history = two_edits().undo().edit("age", 50, actor="ada", at=at(3))

    assert [step.seq for step in history.steps] == [0, 1, 3]


def test_the_timeline_says_who_changed_what_when_and_where_the_form_stands() -> None:
    history = two_edits().save(at=at(3)).undo()

    rows = [
        (row.seq, row.kind, row.actor, row.at, row.changed, row.is_current, row.is_undone, row.is_saved)
        for row in history.timeline()
    ]

    assert rows == [
        (0, StepKind.INITIAL, "ada", at(0), (), False, False, False),
        (1, StepKind.EDIT, "ada", at(1), ("name",), True, False, False),
        (2, StepKind.EDIT, "ada", at(2), ("age",), False, True, True),
    ]


def test_a_stored_history_reads_back_as_the_same_history() -> None:
    history = two_edits().save(at=at(3)).undo().discard({"name": ""}, actor="bob", at=at(4))

    stored = json.dumps(history.model_dump(mode="json"))

    assert FormHistory.model_validate(json.loads(stored)) == history


def test_times_are_kept_in_utc_and_a_naive_time_is_refused() -> None:
    paris = timezone(timedelta(hours=1))

    history = started().edit("age", 37, actor="ada", at=datetime(2025, 3, 1, 11, 0, tzinfo=paris))

    assert history.steps[-1].at == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    assert history.steps[-1].at.tzinfo is UTC
    with pytest.raises(ValidationError, match="at must be timezone-aware"):
        started().edit("age", 37, actor="ada", at=datetime(2025, 3, 1, 11, 0))


def test_a_limit_below_two_is_refused() -> None:
    with pytest.raises(ValidationError, match="limit"):
        FormHistory.start(START, actor="ada", at=at(0), limit=1)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), b"bytes", (1, 2), {1: "a"}])
def test_values_json_cannot_hold_are_refused(value: object) -> None:
    with pytest.raises(ValidationError, match="form values"):
        started().edit("age", value, actor="ada", at=at(1))


def test_a_stored_history_that_contradicts_itself_is_refused() -> None:
    stored = two_edits().model_dump(mode="json")

    with pytest.raises(ValidationError, match="cursor=5 is past the last of 3 steps"):
        FormHistory.model_validate({**stored, "cursor": 5})
    with pytest.raises(ValidationError, match="exceed limit=2"):
        FormHistory.model_validate({**stored, "limit": 2})
    with pytest.raises(ValidationError, match=r"strictly increase, got \[0, 2, 1\]"):
        FormHistory.model_validate({**stored, "steps": [stored["steps"][i] for i in (0, 2, 1)]})
