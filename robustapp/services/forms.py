"""Forms with history: a pydantic model's draft, kept step by step in the store.

    UI ── edit · undo · redo · save · reset · discard · restore ──▶ FormService
          one transaction each: read the stored FormHistory, apply the operation to it,
          write it back (version + 1) with one audit entry; no change → nothing written

Each operation is applied to the history as stored, under the writer lock, so two sessions
editing one form never lose a step: they share one history, and an undo takes back the
newest step, whoever made it. A draft may be invalid; only save validates the whole model,
and a failed save changes nothing (the errors come back in the FormState).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import duckdb
from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python

from robustapp.domain.audit import canonical_json
from robustapp.domain.form import FormSpec, FormState
from robustapp.domain.history import DEFAULT_LIMIT, FormHistory, changed_fields
from robustapp.domain.preferences import PREFERENCES_FORM, UserPreferences
from robustapp.services.state import Actor
from robustapp.storage import audit_log
from robustapp.storage import forms as form_rows
from robustapp.storage.database import Database

SAVE, UNDO, REDO, RESET, DISCARD, RESTORE = "(save)", "(undo)", "(redo)", "(reset)", "(discard)", "(restore)"
APPLY = "(apply)"


Operation = Callable[[FormHistory, datetime], FormHistory]


class FormService:
    """Loads form states and applies one operation per transaction, with its audit entry."""

    def __init__(self, db: Database, *, history_limit: int = DEFAULT_LIMIT) -> None:
        self.db = db
        self.history_limit = history_limit

    @classmethod
    def for_owner(cls, db: Database, owner: str, *, default_limit: int) -> FormService:
        """A service keeping as many steps as `owner` chose on the Settings page (else `default_limit`)."""
        return cls(db, history_limit=user_preferences(db, owner, history_length=default_limit).history_length)

    def load(
        self, owner: str, form_id: str, model: type[BaseModel], defaults: Mapping[str, Any] | BaseModel | None = None
    ) -> FormState:
        """The form as stored (a fresh one at its defaults if never written); writes nothing."""
        return self.state(owner, FormSpec.of(form_id, model, defaults))

    def state(self, owner: str, spec: FormSpec) -> FormState:
        stored = form_rows.load(self.db, owner, spec.form_id)
        history = self._history(stored, spec, owner, datetime.now(UTC))
        return self._state(spec, history, stored.version if stored else 0)

    def edit(self, actor: Actor, spec: FormSpec, name: str, value: Any, *, trace_id: str) -> FormState:
        """Set one field, as one step (an unchanged value records nothing)."""
        if name not in spec.fields:
            raise ValueError(f"form {spec.form_id!r} has no field {name!r}; its fields are {sorted(spec.fields)}")
        new = to_jsonable_python(value)
        return self._apply(actor, spec, name, lambda h, at: h.edit(name, new, actor=actor.name, at=at), trace_id)

    def apply(self, actor: Actor, spec: FormSpec, values: Mapping[str, Any], *, trace_id: str) -> FormState:
        """Set several fields at once (e.g. a saved analysis opened into its form), as one step."""
        unknown = sorted(set(values) - set(spec.fields))
        if unknown:
            raise ValueError(f"form {spec.form_id!r} has no fields {unknown}; its fields are {sorted(spec.fields)}")
        new = to_jsonable_python(dict(values))
        return self._apply(actor, spec, APPLY, lambda h, at: h.apply(new, actor=actor.name, at=at), trace_id)

    def undo(self, actor: Actor, spec: FormSpec, *, trace_id: str) -> FormState:
        return self._apply(actor, spec, UNDO, lambda h, at: h.undo(), trace_id)

    def redo(self, actor: Actor, spec: FormSpec, *, trace_id: str) -> FormState:
        return self._apply(actor, spec, REDO, lambda h, at: h.redo(), trace_id)

    def reset(self, actor: Actor, spec: FormSpec, *, trace_id: str) -> FormState:
        """Back to the last saved version (the starting values if never saved), as one step."""
        return self._apply(actor, spec, RESET, lambda h, at: h.reset(actor=actor.name, at=at), trace_id)

    def discard(self, actor: Actor, spec: FormSpec, *, trace_id: str) -> FormState:
        """Back to the form's defaults, as one step."""
        return self._apply(
            actor, spec, DISCARD, lambda h, at: h.discard(spec.defaults, actor=actor.name, at=at), trace_id
        )

    def restore(self, actor: Actor, spec: FormSpec, seq: int, *, trace_id: str) -> FormState:
        """Bring back the values of step `seq` as a new step; a step no longer kept changes nothing."""
        gone: list[int] = []

        def operation(history: FormHistory, at: datetime) -> FormHistory:
            if all(step.seq != seq for step in history.steps):
                gone.append(seq)  # trimmed since the user saw it (another window, a shorter limit)
                return history
            return history.restore(seq, actor=actor.name, at=at)

        state = self._apply(actor, spec, RESTORE, operation, trace_id)
        if gone:
            return FormState(state.spec, state.history, state.version, state.errors, f"Step {seq} is no longer kept.")
        return state

    def save(self, actor: Actor, spec: FormSpec, *, trace_id: str) -> FormState:
        """Validate the whole draft: if valid, save it (as the model normalised it); if not, change nothing."""

        def operation(history: FormHistory, at: datetime) -> FormHistory:
            model, errors = spec.validate(spec.values_of(history))
            if model is None:
                return history
            history = history.apply(model.model_dump(mode="json"), actor=actor.name, at=at)
            saved, current = history.saved, history.steps[history.cursor]
            if saved is not None and saved.seq == current.seq:
                return history  # this very step is saved already
            return history.save(at=at)

        return self._apply(actor, spec, SAVE, operation, trace_id)

    # -- one transaction per operation ------------------------------------------------

    def _apply(self, actor: Actor, spec: FormSpec, key: str, operation: Operation, trace_id: str) -> FormState:
        def write(cursor: duckdb.DuckDBPyConnection) -> FormState:
            at = datetime.now(UTC)
            stored = form_rows.load_for_update(cursor, actor.owner, spec.form_id)
            version = stored.version if stored else 0
            before = self._history(stored, spec, actor.name, at)
            after = operation(before, at)
            if after is before:
                return self._state(spec, before, version)
            naive_at = at.replace(tzinfo=None)
            text = after.model_dump_json()
            form_rows.write(
                cursor, owner=actor.owner, form_id=spec.form_id, history=text,
                version=version + 1, at=naive_at, session_id=actor.session_id,
            )
            _parsed.put(text, after)
            old, new = _audited_change(key, before, after, spec)
            audit_log.append(
                cursor, changed_at=naive_at, actor=actor.name, session_id=actor.session_id,
                scope=f"form:{spec.form_id}", key=key, old_value=old, new_value=new, trace_id=trace_id,
            )
            return self._state(spec, after, version + 1)

        return self.db.write(write)

    def _history(self, stored: form_rows.StoredForm | None, spec: FormSpec, actor: str, at: datetime) -> FormHistory:
        if stored is None:
            return FormHistory.start(spec.defaults, actor=actor, at=at, limit=self.history_limit)
        return fit(_parsed.get(stored.history), self.history_limit)

    @staticmethod
    def _state(spec: FormSpec, history: FormHistory, version: int) -> FormState:
        _, errors = spec.validate(spec.values_of(history))
        return FormState(spec, history, version, errors)


class _ParsedHistories:
    """The last few histories parsed, by their JSON text: a page redrawn without changes parses nothing.

    FormHistory is immutable, so sessions can share one parsed instance.
    """

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._by_text: dict[str, FormHistory] = {}
        self._lock = threading.Lock()

    def get(self, text: str) -> FormHistory:
        with self._lock:
            history = self._by_text.get(text)
        if history is None:
            history = FormHistory.model_validate_json(text)
            self.put(text, history)
        return history

    def put(self, text: str, history: FormHistory) -> None:
        with self._lock:
            if len(self._by_text) >= self._size:
                self._by_text.pop(next(iter(self._by_text)))
            self._by_text[text] = history


_parsed = _ParsedHistories()


def user_preferences(db: Database, owner: str, *, history_length: int) -> UserPreferences:
    """The owner's saved preferences; the defaults (and the setting's `history_length`) where none are saved."""
    values: dict[str, Any] = {"history_length": history_length}
    stored = form_rows.load(db, owner, PREFERENCES_FORM)
    saved = _parsed.get(stored.history).saved if stored else None
    if saved is not None:
        values.update(saved.values)
    try:
        return UserPreferences.model_validate(values)
    except ValidationError:  # saved by an older version with other rules: fall back, never fail a page
        return UserPreferences(history_length=history_length)


def fit(history: FormHistory, limit: int) -> FormHistory:
    """The history under a new limit: the oldest steps before the cursor go first.

    The step at the cursor and the redo tail are never dropped here (the saved version may sit in
    the tail); while they alone exceed `limit`, the limit stays above it and the next new step,
    which drops the tail, brings it down.
    """
    if history.limit == limit:
        return history
    drop = min(max(0, len(history.steps) - limit), history.cursor)
    kept = history.steps[drop:]
    return FormHistory(
        steps=kept, cursor=history.cursor - drop, initial=history.initial, saved=history.saved,
        limit=max(limit, len(kept)),
    )


def _audited_change(key: str, before: FormHistory, after: FormHistory, spec: FormSpec) -> tuple[str | None, str]:
    """(old, new) as canonical JSON: the field's values, the saved versions, or the fields an operation changed."""
    old_values, new_values = spec.values_of(before), spec.values_of(after)
    if key in spec.fields:
        return canonical_json(old_values[key]), canonical_json(new_values[key])
    if key == SAVE:
        old_saved = before.saved.values if before.saved else None
        return (canonical_json(old_saved) if old_saved is not None else None), canonical_json(after.saved.values)
    changed = changed_fields(old_values, new_values)
    return (
        canonical_json({name: old_values[name] for name in changed}),
        canonical_json({name: new_values[name] for name in changed}),
    )
