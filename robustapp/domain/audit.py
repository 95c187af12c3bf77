"""The audit trail's rules: what an entry holds and how entries chain.

    entry 1 ──hash──▶ entry 2 (prev_hash = hash of 1) ──▶ … ──▶ head (seq, hash) kept apart

Each entry's hash covers its own fields and the previous entry's hash, so editing or
deleting any entry breaks the chain from there on; the head, stored separately, catches a
deleted tail. Values are kept as canonical JSON text so a hash can be recomputed exactly.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
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


def verify_chain(entries: Iterable[AuditEntry], head: tuple[int, str] | None) -> list[ChainProblem]:
    """Every place where `entries` (in seq order) are not an unbroken chain ending at `head`.

    `entries` is read once, so it may be a stream: a long log is never held in memory.
    """
    problems: list[ChainProblem] = []
    prev_seq, prev_hash, expected_seq = 0, GENESIS_HASH, 1
    last: tuple[int, str] | None = None  # (seq, hash) of the highest entry seen
    for entry in entries:
        if entry.seq > expected_seq:  # a deleted entry: the next one cannot follow it either
            problems.append(_missing(expected_seq, entry.seq - 1, "was deleted"))
        else:
            if entry.seq < expected_seq:
                problems.append(ChainProblem(entry.seq, f"is out of order (entry {expected_seq} was expected here)"))
            if entry.prev_hash != prev_hash:
                problems.append(ChainProblem(entry.seq, _no_link(prev_seq)))
        if entry.expected_hash() != entry.hash:
            problems.append(ChainProblem(entry.seq, "was edited after it was written (its hash does not match)"))
        prev_seq, prev_hash, expected_seq = entry.seq, entry.hash, max(expected_seq, entry.seq + 1)
        if last is None or entry.seq > last[0]:
            last = (entry.seq, entry.hash)
    problems.extend(_end_problems(last, head))
    return problems


def _no_link(previous: int) -> str:
    if previous == 0:
        return "does not start the chain (its previous hash is not the genesis hash)"
    return f"does not follow entry {previous} (that one was replaced, or this one edited)"


def _missing(first: int, last: int, how: str) -> ChainProblem:
    more = "" if first == last else f" (and so were the entries after it, up to {last})"
    return ChainProblem(first, f"is missing: it {how}{more}")


def _end_problems(last: tuple[int, str] | None, head: tuple[int, str] | None) -> list[ChainProblem]:
    """Compare the highest entry with the separately recorded end of the log."""
    if head is None:
        return [ChainProblem(last[0], "the log's recorded end is missing")] if last else []
    head_seq, head_hash = head
    if last is None or last[0] < head_seq:
        return [_missing(last[0] + 1 if last else 1, head_seq, "was removed from the end of the log")]
    if last[0] > head_seq:
        return [ChainProblem(last[0], f"lies past the log's recorded end (entry {head_seq}): added outside the app")]
    if last[1] != head_hash:
        return [ChainProblem(head_seq, "does not match the log's recorded end (it was replaced)")]
    return []
