"""Forms with history against a real DuckDB file: persistence, audit, concurrency, the limit."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Literal, Self

import pytest
from pydantic import BaseModel, Field, StringConstraints, model_validator

from robustapp.domain.audit import verify_chain
from robustapp.domain.form import FORM_ERROR, FormSpec
from robustapp.domain.preferences import PREFERENCES_FORM, UserPreferences
from robustapp.services.forms import FormService, user_preferences
from robustapp.services.state import Actor
from robustapp.storage import Database, audit_log, migrate

ADA = Actor(owner="ada", name="Ada", session_id="window-1")
ADA_AGAIN = Actor(owner="ada", name="Ada", session_id="window-2")
TRACE = "trace-1"


class Trip(BaseModel):
    destination: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] = ""
    nights: Annotated[int, Field(ge=1)] = 1
    kind: Literal["work", "holiday"] = "holiday"
    leaves: dt.date = dt.date(2026, 5, 1)
    returns: dt.date = dt.date(2026, 5, 2)

    @model_validator(mode="after")
    def _returns_after_leaving(self) -> Self:
        if self.returns < self.leaves:
            raise ValueError("the return is before the departure")
        return self


SPEC = FormSpec.of("trip", Trip)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "forms.duckdb"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    with Database(db_path) as database:
        migrate(database)
        yield database


def _form_entries(db: Database) -> list[audit_log.AuditEntry]:
    return audit_log.entries(db, audit_log.AuditFilter(scope="form:trip"))


def test_every_operation_survives_closing_and_reopening_the_database(db: Database, db_path: Path) -> None:
    forms = FormService(db)
    forms.edit(ADA, SPEC, "destination", "Lisbon", trace_id=TRACE)
    forms.edit(ADA, SPEC, "nights", 3, trace_id=TRACE)
    forms.save(ADA, SPEC, trace_id=TRACE)
    forms.edit(ADA, SPEC, "leaves", dt.date(2026, 6, 1), trace_id=TRACE)
    forms.undo(ADA, SPEC, trace_id=TRACE)
    db.close()

    with Database(db_path) as reopened:
        forms = FormService(reopened)
        state = forms.load("ada", "trip", Trip)
        assert state.values["destination"] == "Lisbon"
        assert state.values["leaves"] == "2026-05-01"
        assert state.is_saved and state.history.can_redo

        assert forms.redo(ADA, SPEC, trace_id=TRACE).values["leaves"] == "2026-06-01"
        assert forms.undo(ADA, SPEC, trace_id=TRACE).values["leaves"] == "2026-05-01"
        assert forms.undo(ADA, SPEC, trace_id=TRACE).values["nights"] == 1


def test_each_operation_writes_one_audit_entry_naming_the_field_or_the_operation(db: Database) -> None:
    forms = FormService(db)
    forms.edit(ADA, SPEC, "destination", "Oslo", trace_id=TRACE)
    forms.save(ADA, SPEC, trace_id=TRACE)
    forms.undo(ADA, SPEC, trace_id=TRACE)
    forms.redo(ADA, SPEC, trace_id=TRACE)
    forms.discard(ADA, SPEC, trace_id=TRACE)
    forms.reset(ADA, SPEC, trace_id=TRACE)
    forms.restore(ADA, SPEC, 0, trace_id=TRACE)

    entries = _form_entries(db)
    assert [(e.key, e.old_value, e.new_value) for e in entries] == [
        ("destination", '""', '"Oslo"'),
        ("(save)", None, '{"destination":"Oslo","kind":"holiday","leaves":"2026-05-01","nights":1,"returns":"2026-05-02"}'),
        ("(undo)", '{"destination":"Oslo"}', '{"destination":""}'),
        ("(redo)", '{"destination":""}', '{"destination":"Oslo"}'),
        ("(discard)", '{"destination":"Oslo"}', '{"destination":""}'),
        ("(reset)", '{"destination":""}', '{"destination":"Oslo"}'),
        ("(restore)", '{"destination":"Oslo"}', '{"destination":""}'),
    ]
    assert {(e.actor, e.session_id, e.trace_id) for e in entries} == {("Ada", "window-1", TRACE)}
    assert verify_chain(audit_log.entries(db), audit_log.head(db.cursor())) == []


def test_an_unchanged_value_and_an_impossible_undo_write_nothing(db: Database) -> None:
    forms = FormService(db)
    assert forms.undo(ADA, SPEC, trace_id=TRACE).version == 0
    forms.edit(ADA, SPEC, "nights", 2, trace_id=TRACE)

    again = forms.edit(ADA, SPEC, "nights", 2, trace_id=TRACE)
    forms.redo(ADA, SPEC, trace_id=TRACE)

    assert again.version == 1
    assert len(_form_entries(db)) == 1


def test_a_failed_save_reports_errors_by_field_and_keeps_the_draft_unsaved(db: Database) -> None:
    forms = FormService(db)
    forms.edit(ADA, SPEC, "nights", 0, trace_id=TRACE)
    forms.edit(ADA, SPEC, "returns", dt.date(2026, 4, 1), trace_id=TRACE)

    state = forms.save(ADA, SPEC, trace_id=TRACE)

    assert set(state.errors) == {"destination", "nights"}
    assert "at least 1 character" in state.errors["destination"]
    assert state.version == 2 and state.history.saved is None
    assert state.values["nights"] == 0
    forms.edit(ADA, SPEC, "destination", "Rome", trace_id=TRACE)
    forms.edit(ADA, SPEC, "nights", 2, trace_id=TRACE)
    assert forms.save(ADA, SPEC, trace_id=TRACE).errors == {FORM_ERROR: "the return is before the departure"}


def test_a_valid_save_keeps_the_values_as_the_model_normalises_them(db: Database) -> None:
    forms = FormService(db)
    forms.edit(ADA, SPEC, "destination", "  Porto  ", trace_id=TRACE)

    state = forms.save(ADA, SPEC, trace_id=TRACE)

    assert state.errors == {} and state.is_saved
    assert state.values["destination"] == "Porto"
    assert state.saved_model() == Trip(destination="Porto")
    assert forms.save(ADA, SPEC, trace_id=TRACE).version == state.version  # saving again writes nothing


def test_two_services_interleaving_edits_lose_no_step(db: Database) -> None:
    edits_each = 25
    barrier = threading.Barrier(2)

    def edit(actor: Actor, field: str) -> None:
        forms = FormService(db, history_limit=1000)
        barrier.wait()
        for n in range(edits_each):
            forms.edit(actor, SPEC, field, f"{actor.session_id}-{n}" if field == "destination" else n + 2, trace_id=TRACE)

    threads = [
        threading.Thread(target=edit, args=(ADA, "destination")),
        threading.Thread(target=edit, args=(ADA_AGAIN, "nights")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    state = FormService(db, history_limit=1000).load("ada", "trip", Trip)
    assert len(state.history.steps) == 1 + 2 * edits_each
    assert state.version == 2 * edits_each
    assert state.values["destination"] == f"window-1-{edits_each - 1}"
    assert state.values["nights"] == edits_each + 1
    assert len(_form_entries(db)) == 2 * edits_each


def test_a_shorter_limit_drops_old_steps_but_reset_still_returns_the_saved_version(db: Database) -> None:
    long = FormService(db, history_limit=50)
    long.edit(ADA, SPEC, "destination", "Paris", trace_id=TRACE)
    long.save(ADA, SPEC, trace_id=TRACE)
    short = FormService(db, history_limit=3)
    for nights in range(2, 8):
        state = short.edit(ADA, SPEC, "nights", nights, trace_id=TRACE)
        assert len(state.history.steps) <= 3

    assert all(step.seq > 1 for step in state.history.steps)  # the saved step itself was trimmed
    state = short.reset(ADA, SPEC, trace_id=TRACE)
    assert state.values["destination"] == "Paris" and state.values["nights"] == 1
    assert not state.is_dirty


def test_restoring_a_step_that_is_no_longer_kept_changes_nothing_and_says_so(db: Database) -> None:
    forms = FormService(db, history_limit=2)
    forms.edit(ADA, SPEC, "nights", 2, trace_id=TRACE)
    before = forms.edit(ADA, SPEC, "nights", 3, trace_id=TRACE)

    state = forms.restore(ADA, SPEC, 0, trace_id=TRACE)

    assert state.notice == "Step 0 is no longer kept."
    assert state.version == before.version and state.values["nights"] == 3


def test_a_field_the_model_lacks_is_refused_by_name(db: Database) -> None:
    with pytest.raises(ValueError, match="no field 'budget'"):
        FormService(db).edit(ADA, SPEC, "budget", 3, trace_id=TRACE)


def test_saved_preferences_set_the_history_length_of_every_form(db: Database) -> None:
    assert FormService.for_owner(db, "ada", default_limit=40).history_limit == 40
    forms = FormService(db)
    prefs = FormSpec.of(PREFERENCES_FORM, UserPreferences, {"history_length": 40})
    forms.edit(ADA, prefs, "history_length", 7, trace_id=TRACE)
    assert FormService.for_owner(db, "ada", default_limit=40).history_limit == 40  # a draft is not in effect

    forms.save(ADA, prefs, trace_id=TRACE)

    assert FormService.for_owner(db, "ada", default_limit=40).history_limit == 7
    assert FormService.for_owner(db, "bob", default_limit=40).history_limit == 40
    assert user_preferences(db, "ada", history_length=40) == UserPreferences(history_length=7)


def test_several_fields_set_at_once_are_one_step_that_one_undo_takes_back(db: Database) -> None:
    forms = FormService(db)
    forms.edit(ADA, SPEC, "nights", 3, trace_id=TRACE)

    state = forms.apply(ADA, SPEC, {"destination": "Lima", "kind": "work"}, trace_id=TRACE)
    assert (state.values["destination"], state.values["kind"], state.values["nights"]) == ("Lima", "work", 3)
    assert _form_entries(db)[-1].key == "(apply)"

    undone = forms.undo(ADA, SPEC, trace_id=TRACE)
    assert (undone.values["destination"], undone.values["kind"], undone.values["nights"]) == ("", "holiday", 3)
    with pytest.raises(ValueError, match="has no fields \\['colour'\\]"):
        forms.apply(ADA, SPEC, {"colour": "red"}, trace_id=TRACE)
