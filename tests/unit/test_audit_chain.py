"""The audit chain's rules: an untouched log verifies; every kind of tampering is named by its seq."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from robustapp.domain.audit import GENESIS_HASH, AuditEntry, ChainProblem, canonical_json, entry_hash, verify_chain

START = datetime(2026, 3, 1, 9, 30, 0, 123456)


def chain(length: int) -> list[AuditEntry]:
    """`length` entries chained the way storage.audit_log.append chains them."""
    entries: list[AuditEntry] = []
    prev_hash = GENESIS_HASH
    for seq in range(1, length + 1):
        fields = {
            "changed_at": START + timedelta(seconds=seq),
            "actor": "ada",
            "session_id": "s1",
            "scope": "demo",
            "key": f"field{seq % 3}",
            "old_value": None if seq == 1 else canonical_json(seq - 1),
            "new_value": canonical_json({"value": seq, "note": "naïve"}),
            "trace_id": f"trace{seq}",
        }
        digest = entry_hash(prev_hash, seq=seq, **fields)
        entries.append(AuditEntry(seq=seq, prev_hash=prev_hash, hash=digest, **fields))
        prev_hash = digest
    return entries


def head_of(entries: list[AuditEntry]) -> tuple[int, str]:
    return entries[-1].seq, entries[-1].hash


def seqs(problems: list[ChainProblem]) -> list[int]:
    return [problem.seq for problem in problems]


def test_an_untouched_log_verifies() -> None:
    entries = chain(6)

    assert verify_chain(entries, head_of(entries)) == []


def test_an_empty_log_verifies() -> None:
    assert verify_chain([], None) == []


def test_the_chain_can_be_checked_from_a_stream() -> None:
    entries = chain(5)

    assert verify_chain(iter(entries), head_of(entries)) == []


def test_each_edited_field_is_reported_as_edited_at_its_seq() -> None:
    entries = chain(5)
    head = head_of(entries)
    edits = {
        "new_value": canonical_json("forged"),
        "old_value": canonical_json("forged"),
        "actor": "mallory",
        "session_id": "s2",
        "scope": "settings",
        "key": "other",
        "trace_id": "trace-forged",
        "changed_at": START + timedelta(days=1),
    }
    for field, value in edits.items():
        tampered = list(entries)
        tampered[2] = dataclasses.replace(entries[2], **{field: value})

        problems = verify_chain(tampered, head)

        assert seqs(problems) == [3], field
        assert "edited" in problems[0].reason


def test_an_edited_entry_whose_hash_was_recomputed_breaks_the_link_to_the_next() -> None:
    entries = chain(5)
    forged = dataclasses.replace(entries[1], new_value=canonical_json("forged"))
    entries[1] = dataclasses.replace(forged, hash=forged.expected_hash())

    problems = verify_chain(entries, head_of(entries))

    assert seqs(problems) == [3]
    assert "does not follow entry 2" in problems[0].reason


def test_a_deleted_middle_entry_is_reported_missing_at_its_seq() -> None:
    entries = chain(6)
    head = head_of(entries)
    del entries[2]

    assert verify_chain(entries, head) == [ChainProblem(3, "is missing: it was deleted")]


def test_several_deleted_entries_in_a_row_are_one_problem_naming_the_range() -> None:
    entries = chain(8)
    head = head_of(entries)
    del entries[2:5]

    (problem,) = verify_chain(entries, head)

    assert problem.seq == 3
    assert "up to 5" in problem.reason


def test_a_deleted_first_entry_is_reported() -> None:
    entries = chain(4)

    assert seqs(verify_chain(entries[1:], head_of(entries))) == [1]


def test_a_deleted_last_entry_is_reported_as_removed_from_the_end() -> None:
    entries = chain(5)

    (problem,) = verify_chain(entries[:-1], head_of(entries))

    assert problem.seq == 5
    assert "removed from the end" in problem.reason


def test_an_emptied_log_is_reported_as_removed_from_the_end() -> None:
    entries = chain(3)

    (problem,) = verify_chain([], head_of(entries))

    assert problem.seq == 1
    assert "removed from the end" in problem.reason
    assert "up to 3" in problem.reason


def test_reordered_entries_are_reported() -> None:
    entries = chain(5)
    reordered = [entries[0], entries[2], entries[1], entries[3], entries[4]]

    problems = verify_chain(reordered, head_of(entries))

    assert problems
    assert any(problem.seq == 2 and "out of order" in problem.reason for problem in problems)
    assert not any("removed from the end" in problem.reason for problem in problems)


def test_swapped_contents_under_the_same_seqs_are_reported_as_edited() -> None:
    entries = chain(4)
    second, third = entries[1], entries[2]
    entries[1] = dataclasses.replace(third, seq=2)
    entries[2] = dataclasses.replace(second, seq=3)

    problems = verify_chain(entries, head_of(chain(4)))

    assert {2, 3} <= set(seqs(problems))
    assert all("edited" in problem.reason or "does not" in problem.reason for problem in problems)


def test_a_missing_head_is_reported_when_there_are_entries() -> None:
    entries = chain(2)

    assert seqs(verify_chain(entries, None)) == [2]


def test_an_entry_added_past_the_recorded_end_is_reported() -> None:
    entries = chain(4)

    (problem,) = verify_chain(entries, head_of(entries[:3]))

    assert problem.seq == 4
    assert "past the log's recorded end" in problem.reason


def test_a_replaced_last_entry_does_not_match_the_recorded_end() -> None:
    entries = chain(3)
    head = head_of(entries)
    forged = dataclasses.replace(entries[2], new_value=canonical_json("forged"))
    entries[2] = dataclasses.replace(forged, hash=forged.expected_hash())

    (problem,) = verify_chain(entries, head)

    assert problem.seq == 3
    assert "recorded end" in problem.reason
