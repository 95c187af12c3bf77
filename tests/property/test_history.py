"""Any sequence of form operations keeps the history's promises (undo, redo, save, reset, limit, JSON)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from robustapp.domain.history import FormHistory

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
FIELDS = st.sampled_from(["name", "age", "tags", "note"])
ACTORS = st.sampled_from(["ada", "bob"])
# Small domains, so edits often repeat a value (the no-op path) and True/1/1.0 meet.
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.sampled_from([0.0, 1.0, -0.5, 1e300]),
    st.text(alphabet="aé\n", max_size=2),
)
JSON_VALUES = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.sampled_from("xy"), inner, max_size=2),
    max_leaves=4,
)
FORM_VALUES = st.dictionaries(FIELDS, JSON_VALUES, max_size=4)


def as_json(values: dict[str, Any]) -> str:
    """Equality that also tells True from 1 and 1 from 1.0."""
    return json.dumps(values, sort_keys=True)


class FormHistoryMachine(RuleBasedStateMachine):
    """Drives one FormHistory through random operations; small limits make trimming frequent."""

    @initialize(values=FORM_VALUES, limit=st.integers(2, 5))
    def start(self, values: dict[str, Any], limit: int) -> None:
        self.ticks = 0
        self.history = FormHistory.start(values, actor="ada", at=T0, limit=limit)
        self.reset_target = values  # what reset must give: the initial values until something is saved
        self.seen = {step.seq: step for step in self.history.steps}

    def _at(self) -> datetime:
        self.ticks += 1
        return T0 + timedelta(seconds=self.ticks)

    def _new_step(self, after: FormHistory) -> None:
        """A step was recorded after the one that was current; it holds the current values; nothing is left to redo."""
        before = self.history
        if after is not before:
            assert after.steps[-2] == before.steps[before.cursor]
            assert after.steps[-1].values == after.current
            assert after.steps[-1].changed
            assert not after.can_redo
        self.history = after

    @rule(field=FIELDS, value=JSON_VALUES, actor=ACTORS)
    def edit(self, field: str, value: Any, actor: str) -> None:
        before = self.history.current
        after = self.history.edit(field, value, actor=actor, at=self._at())
        if after is self.history:
            assert as_json(before) == as_json({**before, field: value})
        else:
            assert as_json(after.current) == as_json({**before, field: value})
        self._new_step(after)

    @rule(values=FORM_VALUES, actor=ACTORS)
    def apply(self, values: dict[str, Any], actor: str) -> None:
        expected = {**self.history.current, **values}
        after = self.history.apply(values, actor=actor, at=self._at())
        assert as_json(after.current) == as_json(expected)
        self._new_step(after)

    @rule()
    def undo(self) -> None:
        before = self.history
        self.history = before.undo()
        if before.can_undo:
            assert self.history.redo() == before
        else:
            assert self.history is before

    @rule()
    def redo(self) -> None:
        before = self.history
        self.history = before.redo()
        if before.can_redo:
            assert self.history.undo() == before
        else:
            assert self.history is before

    @rule()
    def save(self) -> None:
        self.history = self.history.save(at=self._at())
        self.reset_target = self.history.current
        assert not self.history.is_dirty

    @rule(actor=ACTORS)
    def reset(self, actor: str) -> None:
        self._new_step(self.history.reset(actor=actor, at=self._at()))
        assert not self.history.is_dirty

    @rule(defaults=FORM_VALUES, actor=ACTORS)
    def discard(self, defaults: dict[str, Any], actor: str) -> None:
        self._new_step(self.history.discard(defaults, actor=actor, at=self._at()))
        assert as_json(self.history.current) == as_json(defaults)

    @rule(pick=st.integers(min_value=0), actor=ACTORS)
    def restore(self, pick: int, actor: str) -> None:
        step = self.history.steps[pick % len(self.history.steps)]
        self._new_step(self.history.restore(step.seq, actor=actor, at=self._at()))
        assert as_json(self.history.current) == as_json(step.values)

    @precondition(lambda self: self.history.steps[0].seq > 0)
    @rule(pick=st.integers(min_value=0))
    def restore_a_trimmed_step(self, pick: int) -> None:
        seq = pick % self.history.steps[0].seq
        with pytest.raises(ValueError, match=f"cannot restore seq={seq}:"):
            self.history.restore(seq, actor="ada", at=self._at())

    @invariant()
    def keeps_at_most_limit_steps(self) -> None:
        assert 1 <= len(self.history.steps) <= self.history.limit

    @invariant()
    def seq_strictly_increases(self) -> None:
        seqs = [step.seq for step in self.history.steps]
        assert seqs == sorted(set(seqs))

    @invariant()
    def a_seq_always_names_the_same_step(self) -> None:
        for step in self.history.steps:
            assert self.seen.setdefault(step.seq, step) == step

    @invariant()
    def current_is_the_step_at_the_cursor(self) -> None:
        assert self.history.current == self.history.steps[self.history.cursor].values

    @invariant()
    def reset_gives_exactly_the_saved_values_whatever_followed(self) -> None:
        after = self.history.reset(actor="ada", at=self._at())
        assert as_json(after.current) == as_json(self.reset_target)

    @invariant()
    def dirty_means_the_values_differ_from_what_reset_gives(self) -> None:
        assert self.history.is_dirty == (as_json(self.history.current) != as_json(self.reset_target))

    @invariant()
    def round_trips_through_json(self) -> None:
        stored = json.dumps(self.history.model_dump(mode="json"))
        assert FormHistory.model_validate(json.loads(stored)) == self.history


FormHistoryMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=20, deadline=None, database=None
)
TestAnySequenceOfOperationsKeepsThePromises = FormHistoryMachine.TestCase
