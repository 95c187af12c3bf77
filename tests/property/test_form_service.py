"""Any sequence of form operations through the service stores exactly what the pure history would hold."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from pydantic import BaseModel, Field

from robustapp.domain.form import FormSpec
from robustapp.domain.history import FormHistory
from robustapp.services.forms import FormService
from robustapp.services.state import Actor
from robustapp.storage import Database, audit_log, migrate

AT = datetime(2026, 1, 1, tzinfo=UTC)
LIMIT = 4
ACTOR = Actor(owner="ada", name="Ada", session_id="s1")


class Counter(BaseModel):
    count: Annotated[int, Field(ge=0)] = 0  # -1 makes Save fail
    label: str = ""


FIELDS = {"count": st.integers(-1, 2), "label": st.sampled_from(["", "a", "b"])}
_form_ids = itertools.count()


def _shape(history: FormHistory) -> tuple[Any, ...]:
    """Everything but the clock."""
    steps = [(s.seq, s.kind, s.values, s.changed) for s in history.steps]
    saved = (history.saved.seq, history.saved.values) if history.saved else None
    return history.cursor, steps, history.initial, saved, history.limit


class FormServiceMachine(RuleBasedStateMachine):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db
        self.service = FormService(db, history_limit=LIMIT)
        self.spec = FormSpec.of(f"form-{next(_form_ids)}", Counter)
        self.expected = FormHistory.start(self.spec.defaults, actor="Ada", at=AT, limit=LIMIT)

    def _writes(self) -> int:
        return len(audit_log.entries(self.db, audit_log.AuditFilter(scope=f"form:{self.spec.form_id}")))

    @rule(data=st.data(), name=st.sampled_from(sorted(FIELDS)))
    def edit(self, data: st.DataObject, name: str) -> None:
        value = data.draw(FIELDS[name])
        self.service.edit(ACTOR, self.spec, name, value, trace_id="t")
        self.expected = self.expected.edit(name, value, actor="Ada", at=AT)

    @rule()
    def undo(self) -> None:
        self.service.undo(ACTOR, self.spec, trace_id="t")
        self.expected = self.expected.undo()

    @rule()
    def redo(self) -> None:
        self.service.redo(ACTOR, self.spec, trace_id="t")
        self.expected = self.expected.redo()

    @rule()
    def save(self) -> None:
        state = self.service.save(ACTOR, self.spec, trace_id="t")
        valid = self.expected.current["count"] >= 0
        assert bool(state.errors) is not valid
        saved = self.expected.saved
        if valid and not (saved and saved.seq == self.expected.steps[self.expected.cursor].seq):
            self.expected = self.expected.save(at=AT)

    @rule()
    def reset(self) -> None:
        state = self.service.reset(ACTOR, self.spec, trace_id="t")
        self.expected = self.expected.reset(actor="Ada", at=AT)
        if self.expected.saved is not None:  # trimming never loses the saved version
            assert state.values == self.expected.saved.values

    @rule()
    def discard(self) -> None:
        self.service.discard(ACTOR, self.spec, trace_id="t")
        self.expected = self.expected.discard(self.spec.defaults, actor="Ada", at=AT)

    @rule(data=st.data())
    def restore(self, data: st.DataObject) -> None:
        seq = data.draw(st.sampled_from([step.seq for step in self.expected.steps]))
        self.service.restore(ACTOR, self.spec, seq, trace_id="t")
        self.expected = self.expected.restore(seq, actor="Ada", at=AT)

    @invariant()
    def the_store_holds_the_expected_history_and_one_audit_entry_per_write(self) -> None:
        state = self.service.load("ada", self.spec.form_id, Counter)
        assert _shape(state.history) == _shape(self.expected)
        assert len(state.history.steps) <= LIMIT
        assert state.version == self._writes()


def test_the_service_stores_what_the_history_model_computes(tmp_path: Path) -> None:
    with Database(tmp_path / "forms.duckdb") as db:
        migrate(db)
        run_state_machine_as_test(
            lambda: FormServiceMachine(db),
            settings=settings(max_examples=25, stateful_step_count=12, deadline=None, database=None),
        )
