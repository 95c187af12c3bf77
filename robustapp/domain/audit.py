"""The audit trail's rules: what an entry holds and how entries chain.

    entry 1 ──hash──▶ entry 2 (prev_hash = hash of 1) ──▶ … ──▶ head (seq, hash) kept apart

Each entry's hash covers its own fields and the previous entry's hash, so editing or
deleting any entry breaks the chain from there on; the head, stored separately, catches a
deleted tail. Values are kept as canonical JSON text so a hash can be recomputed exactly.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """One text for one value: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass(frozen=True)
class AuditEntry:
    """One change: who changed which key from what to what, when, in which session and action."""

    seq: int
    changed_at: datetime  # naive UTC, microseconds
    actor: str
    session_id: str
    scope: str
    key: str
    old_value: str | None  # canonical JSON text
    new_value: str | None
    trace_id: str
    prev_hash: str
    hash: str

    def expected_hash(self) -> str:
        return entry_hash(
            self.prev_hash,
            seq=self.seq,
            changed_at=self.changed_at,
            actor=self.actor,
            session_id=self.session_id,
            scope=self.scope,
            key=self.key,
            old_value=self.old_value,
            new_value=self.new_value,
            trace_id=self.trace_id,
        )


def entry_hash(prev_hash: str, **fields: Any) -> str:
    """sha256 over the previous hash and the entry's fields."""
    fields["changed_at"] = fields["changed_at"].isoformat(timespec="microseconds")
    payload = prev_hash + "\n" + canonical_json(fields)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    """Where the chain breaks and why."""

    seq: int
    reason: str


def verify_chain(entries: list[AuditEntry], head: tuple[int, str] | None) -> list[ChainProblem]:
    """Every place where `entries` (in seq order) are not an unbroken chain ending at `head`."""
    problems: list[ChainProblem] = []
    prev_hash, expected_seq = GENESIS_HASH, 1
    for entry in entries:
        if entry.seq != expected_seq:
            problems.append(ChainProblem(entry.seq, f"entries {expected_seq}..{entry.seq - 1} are missing"))
        if entry.prev_hash != prev_hash:
            problems.append(ChainProblem(entry.seq, "does not follow the entry before it (one was deleted or edited)"))
        if entry.expected_hash() != entry.hash:
            problems.append(ChainProblem(entry.seq, "was edited after it was written (its hash does not match)"))
        prev_hash, expected_seq = entry.hash, entry.seq + 1
    last = (entries[-1].seq, entries[-1].hash) if entries else None
    if head is not None and last != head:
        problems.append(ChainProblem(head[0], f"the log should end at entry {head[0]}; entries were removed from its end"))
    if head is None and entries:
        problems.append(ChainProblem(entries[-1].seq, "the log's recorded end is missing"))
    return problems
