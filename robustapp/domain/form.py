"""A form over a pydantic model: its spec (fields, defaults, whole-model validation) and its state.

Values are kept as JSON (a date as "2026-01-31"), so a draft can hold what the model would refuse;
only `FormSpec.validate` applies the model's rules, and reports problems by field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, JsonValue, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import to_jsonable_python

from robustapp.domain.history import FormHistory, changed_fields

FORM_ERROR = ""  # the key of errors that belong to the whole form (a model validator's)


@dataclass(frozen=True)
class FormSpec:
    """A form: its id, its pydantic model and its default values (as JSON)."""

    form_id: str
    model: type[BaseModel]
    defaults: dict[str, JsonValue]

    @classmethod
    def of(cls, form_id: str, model: type[BaseModel], defaults: Mapping[str, Any] | BaseModel | None = None) -> FormSpec:
        """The spec of `model`'s form; `defaults` override the model's own (required fields start as None)."""
        given = dict(defaults) if isinstance(defaults, Mapping) else defaults.model_dump() if defaults else {}
        unknown = sorted(set(given) - set(model.model_fields))
        if unknown:
            raise ValueError(f"defaults for form {form_id!r} name fields {model.__name__} lacks: {unknown}")
        values = {
            name: given[name] if name in given else None if info.is_required() else info.get_default(call_default_factory=True)
            for name, info in model.model_fields.items()
        }
        return cls(form_id, model, to_jsonable_python(values))

    @property
    def fields(self) -> dict[str, FieldInfo]:
        return self.model.model_fields

    def values_of(self, history: FormHistory) -> dict[str, JsonValue]:
        """The history's current values for exactly this model's fields (a new field gets its default)."""
        current = history.steps[history.cursor].values
        return {name: current.get(name, self.defaults[name]) for name in self.fields}

    def validate(self, values: Mapping[str, JsonValue]) -> tuple[BaseModel | None, dict[str, str]]:
        """The model built from `values`, or None and the problems by field (FORM_ERROR for the whole form)."""
        try:
            return self.model.model_validate(dict(values)), {}
        except ValidationError as exc:
            return None, _by_field(exc, self.fields)


def _by_field(exc: ValidationError, fields: Mapping[str, FieldInfo]) -> dict[str, str]:
    errors: dict[str, list[str]] = {}
    for error in exc.errors():
        loc = error["loc"]
        name = str(loc[0]) if loc and loc[0] in fields else FORM_ERROR
        message = str(error["ctx"]["error"]) if error["type"] == "value_error" else error["msg"]
        where = ".".join(str(part) for part in loc[1:])
        errors.setdefault(name, []).append(f"{where}: {message}" if where else message)
    return {name: "; ".join(messages) for name, messages in errors.items()}


@dataclass(frozen=True)
class StepView:
    """One kept step as the history list shows it: what it set, who, when, and where it stands."""

    seq: int
    kind: str
    actor: str
    at: datetime
    changes: dict[str, JsonValue]
    is_current: bool
    is_undone: bool
    is_saved: bool


@dataclass(frozen=True)
class FormState:
    """What a form shows: its history, its current values, and the problems a save would report."""

    spec: FormSpec
    history: FormHistory
    version: int  # the stored row's version; 0 while nothing was ever written
    errors: dict[str, str] = field(default_factory=dict)
    notice: str | None = None  # why the last operation changed nothing, when the user should know

    @property
    def form_id(self) -> str:
        return self.spec.form_id

    @property
    def values(self) -> dict[str, JsonValue]:
        return self.spec.values_of(self.history)

    @property
    def is_dirty(self) -> bool:
        """Whether the draft differs from the saved version (the starting values if never saved)."""
        return self.history.is_dirty

    @property
    def is_saved(self) -> bool:
        return self.history.saved is not None and not self.is_dirty

    @property
    def is_default(self) -> bool:
        return not changed_fields(self.spec.defaults, self.values)

    def saved_model(self) -> BaseModel | None:
        """The last saved version as the model, or None when the form was never saved."""
        if self.history.saved is None:
            return None
        model, _ = self.spec.validate({**self.spec.defaults, **self.history.saved.values})
        return model

    def timeline(self) -> list[StepView]:
        """The kept steps, oldest first."""
        steps = {step.seq: step for step in self.history.steps}
        return [
            StepView(
                seq=entry.seq,
                kind=entry.kind.value,
                actor=entry.actor,
                at=entry.at,
                changes={name: steps[entry.seq].values.get(name) for name in entry.changed},
                is_current=entry.is_current,
                is_undone=entry.is_undone,
                is_saved=entry.is_saved,
            )
            for entry in self.history.timeline()
        ]
