"""Undo/redo history of a form: every kept version of its values, a cursor, and the last save.

    seq        3         4          5          7          8
    steps   [edit]───[edit]───[reset]───[edit]───[restore]     oldest dropped past `limit`
                                  ▲      └──── redo tail ────┘  dropped by the next new step
    cursor ───────────────────────┘      current = steps[cursor].values
    saved      seq 4 and a copy of its values (kept even after step 4 is trimmed)
    initial    a copy of the first values (the reset target until something is saved)

Undo and redo only move the cursor. Edit, apply, reset, discard and restore append one step after
the cursor (dropping the redo tail), then drop the oldest steps beyond `limit`; `seq` keeps counting,
so it has gaps where a redo tail was dropped. An operation that would not change the values records
nothing and returns the same history. Every operation returns a new FormHistory and leaves the old
one as it was. The model never reads the clock: callers pass `at` (timezone-aware, stored as UTC).

Values are compared as JSON, so `True` and `1`, or `1` and `1.0`, are different values.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue, TypeAdapter, model_validator

DEFAULT_LIMIT = 100


def _finite(value: JsonValue, where: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where} is {value!r}, which JSON cannot hold")
    if isinstance(value, list):
        for index, item in enumerate(value):
            _finite(item, f"{where}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _finite(item, f"{where}.{key}")


def _json_values(values: dict[str, JsonValue]) -> dict[str, JsonValue]:
    for field, value in values.items():
        _finite(value, field)
    return values


def _utc(at: datetime) -> datetime:
    if at.utcoffset() is None:
        raise ValueError(f"at must be timezone-aware (UTC), got the naive {at.isoformat()}")
    return at.astimezone(UTC)


Values = Annotated[dict[str, JsonValue], AfterValidator(_json_values)]
UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
_VALUES: TypeAdapter[dict[str, JsonValue]] = TypeAdapter(Values, config=ConfigDict(title="form values"))


def _as_json(value: JsonValue) -> str:
    return json.dumps(value, sort_keys=True)


def changed_fields(before: Mapping[str, JsonValue], after: Mapping[str, JsonValue]) -> tuple[str, ...]:
    """The fields added, removed or given another value between two versions, in form order."""
    keys = [*after, *(key for key in before if key not in after)]
    return tuple(
        key
        for key in keys
        if key not in before or key not in after or _as_json(before[key]) != _as_json(after[key])
    )


class StepKind(StrEnum):
    """How a step came to be."""

    INITIAL = "initial"  # the values the form started with
    EDIT = "edit"  # one or more fields changed by the user
    RESET = "reset"  # back to the last saved values, or the initial ones if never saved
    DISCARD = "discard"  # back to the form's defaults
    RESTORE = "restore"  # an earlier step's values, brought back as a new step


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HistoryStep(_Frozen):
    """One version of the form's values, with who made it, when, how, and which fields it changed."""

    seq: int = Field(ge=0)
    kind: StepKind
    values: Values
    actor: str
    at: UtcDatetime
    changed: tuple[str, ...] = ()


class SavedVersion(_Frozen):
    """The values of the last save, kept whole so that trimming can never lose them."""

    seq: int = Field(ge=0)
    values: Values
    at: UtcDatetime


class TimelineEntry(_Frozen):
    """One step as a user sees it in the history list."""

    seq: int
    kind: StepKind
    actor: str
    at: datetime
    changed: tuple[str, ...]
    is_current: bool
    is_undone: bool  # after the cursor: redo brings it back, the next new step drops it
    is_saved: bool


class FormHistory(_Frozen):
    """A form's values with undo/redo, save, reset, discard and restore; every operation returns a new one."""

    steps: tuple[HistoryStep, ...] = Field(min_length=1)
    cursor: int = Field(ge=0)
    initial: Values
    saved: SavedVersion | None = None
    limit: int = Field(ge=2)

    @model_validator(mode="after")
    def _is_consistent(self) -> Self:
        if len(self.steps) > self.limit:
            raise ValueError(f"{len(self.steps)} steps exceed limit={self.limit}")
        if self.cursor >= len(self.steps):
            raise ValueError(f"cursor={self.cursor} is past the last of {len(self.steps)} steps")
        seqs = [step.seq for step in self.steps]
        if any(earlier >= later for earlier, later in zip(seqs, seqs[1:], strict=False)):
            raise ValueError(f"step seqs must strictly increase, got {seqs}")
        if self.saved is not None and self.saved.seq > seqs[-1]:
            raise ValueError(f"saved seq={self.saved.seq} is newer than the last step (seq={seqs[-1]})")
        return self

    @classmethod
    def start(
        cls, values: Mapping[str, Any], *, actor: str, at: datetime, limit: int = DEFAULT_LIMIT
    ) -> FormHistory:
        """A history whose only step is the form's starting values."""
        first = HistoryStep(seq=0, kind=StepKind.INITIAL, values=dict(values), actor=actor, at=at)
        return cls(steps=(first,), cursor=0, initial=first.values, limit=limit)

    @property
    def current(self) -> dict[str, Any]:
        """A copy of the values at the cursor (changing the copy changes nothing here)."""
        return copy.deepcopy(self.steps[self.cursor].values)

    @property
    def can_undo(self) -> bool:
        """Whether an older kept step exists before the cursor."""
        return self.cursor > 0

    @property
    def can_redo(self) -> bool:
        """Whether an undone step exists after the cursor."""
        return self.cursor < len(self.steps) - 1

    @property
    def is_dirty(self) -> bool:
        """Whether the current values differ from the saved ones (or the initial ones, if never saved)."""
        return bool(changed_fields(self._baseline, self.steps[self.cursor].values))

    @property
    def _baseline(self) -> dict[str, JsonValue]:
        return self.saved.values if self.saved is not None else self.initial

    def edit(self, field: str, value: Any, *, actor: str, at: datetime) -> FormHistory:
        """Set one field, as a new step."""
        return self.apply({field: value}, actor=actor, at=at)

    def apply(self, values: Mapping[str, Any], *, actor: str, at: datetime) -> FormHistory:
        """Set the given fields (others keep their values), as one new step."""
        return self._record(StepKind.EDIT, {**self.steps[self.cursor].values, **values}, actor=actor, at=at)

    def undo(self) -> FormHistory:
        """Move the cursor one step back; at the oldest kept step, change nothing."""
        return self.model_copy(update={"cursor": self.cursor - 1}) if self.can_undo else self

    def redo(self) -> FormHistory:
        """Move the cursor one step forward; at the newest step, change nothing."""
        return self.model_copy(update={"cursor": self.cursor + 1}) if self.can_redo else self

    def save(self, *, at: datetime) -> FormHistory:
        """Mark the current values as saved."""
        step = self.steps[self.cursor]
        return self.model_copy(update={"saved": SavedVersion(seq=step.seq, values=step.values, at=at)})

    def reset(self, *, actor: str, at: datetime) -> FormHistory:
        """Go back to the saved values (the initial ones if never saved), as a new step."""
        return self._record(StepKind.RESET, self._baseline, actor=actor, at=at)

    def discard(self, defaults: Mapping[str, Any], *, actor: str, at: datetime) -> FormHistory:
        """Replace the values with the form's defaults, as a new step."""
        return self._record(StepKind.DISCARD, defaults, actor=actor, at=at)

    def restore(self, seq: int, *, actor: str, at: datetime) -> FormHistory:
        """Bring back the values of the kept step `seq`, as a new step."""
        step = next((step for step in self.steps if step.seq == seq), None)
        if step is None:
            raise ValueError(
                f"cannot restore seq={seq}: no such step in this history "
                f"(its kept steps run from seq {self.steps[0].seq} to {self.steps[-1].seq})"
            )
        return self._record(StepKind.RESTORE, step.values, actor=actor, at=at)

    def timeline(self) -> list[TimelineEntry]:
        """The kept steps, oldest first, with who made each, when, what it changed and where it stands."""
        saved_seq = self.saved.seq if self.saved is not None else None
        return [
            TimelineEntry(
                seq=step.seq,
                kind=step.kind,
                actor=step.actor,
                at=step.at,
                changed=step.changed,
                is_current=index == self.cursor,
                is_undone=index > self.cursor,
                is_saved=step.seq == saved_seq,
            )
            for index, step in enumerate(self.steps)
        ]

    def _record(self, kind: StepKind, values: Mapping[str, Any], *, actor: str, at: datetime) -> FormHistory:
        new_values = _VALUES.validate_python(dict(values))
        changed = changed_fields(self.steps[self.cursor].values, new_values)
        if not changed:
            return self
        # The next seq comes from the newest step, redo tail included, so a seq is never reused.
        step = HistoryStep(
            seq=self.steps[-1].seq + 1, kind=kind, values=new_values, actor=actor, at=at, changed=changed
        )
        kept = (*self.steps[: self.cursor + 1], step)[-self.limit :]
        return self.model_copy(update={"steps": kept, "cursor": len(kept) - 1})
