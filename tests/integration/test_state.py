"""StateService against a real DuckDB file: versions, unchanged values, conflicts, the audit chain, threads."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from robustapp.domain.audit import AuditEntry
from robustapp.services import audit
from robustapp.services.state import Actor, Change, SaveResult, StateService, forget_cached_state
from robustapp.storage import Database, audit_log, migrate, ui_state
from robustapp.storage.audit_log import AuditFilter

ADA = Actor(owner="ada", name="Ada", session_id="session-a")
ADA_OTHER_WINDOW = Actor(owner="ada", name="Ada", session_id="session-b")


class Refused(Exception):
    """Raised on purpose to roll a transaction back."""


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "state.duckdb")
    migrate(database)
    yield database
    database.close()


@pytest.fixture
def state(db: Database) -> StateService:
    return StateService(db)


def _entries(db: Database, key: str | None = None) -> list[AuditEntry]:
    return audit.read(db, AuditFilter(key=key))


def _save(state: StateService, actor: Actor, key: str, value, base: int | None = None, trace: str = "t") -> SaveResult:
    """Save one demo value as `actor`, who last saw version `base` of it."""
    return state.save(actor, [Change("demo", key, value, base_version=base)], trace_id=trace)


def _chain_is_whole(db: Database) -> None:
    report = audit.verify(db)
    assert report.ok, report.problems
    assert [entry.seq for entry in _entries(db)] == list(range(1, report.entries + 1))


def test_a_saved_value_loads_back_with_its_version(state: StateService) -> None:
    assert state.load("ada", "demo") == {}
    result = _save(state, ADA, "name", "Ada")
    assert result.versions == {("demo", "name"): 1}
    assert result.changed == [("demo", "name")] and result.written == 1
    stored = state.load("ada", "demo")["name"]
    assert (stored.value, stored.version, stored.updated_by) == ("Ada", 1, "session-a")


def test_values_keep_their_json_shape(state: StateService) -> None:
    values = {"count": 3, "ratio": 0.5, "tags": ["fast", "robust"], "agree": True, "range": [1, 9], "none": None}
    state.save(ADA, [Change("demo", key, value) for key, value in values.items()], trace_id="t")
    assert {key: stored.value for key, stored in state.load("ada", "demo").items()} == values


def test_each_owner_and_scope_keeps_its_own_values(state: StateService) -> None:
    grace = Actor(owner="grace", name="Grace", session_id="session-g")
    _save(state, ADA, "name", "Ada")
    _save(state, grace, "name", "Grace")
    state.save(ADA, [Change("settings", "name", "elsewhere")], trace_id="t")
    assert state.load("ada", "demo")["name"].value == "Ada"
    assert state.load("grace", "demo")["name"].value == "Grace"
    assert state.load("ada", "settings")["name"].value == "elsewhere"


def test_every_change_gets_one_audit_entry_from_old_to_new(db: Database, state: StateService) -> None:
    _save(state, ADA, "name", "Ada", trace="first")
    _save(state, ADA, "name", "Grace", base=1, trace="second")
    entries = _entries(db, "name")
    assert [(e.old_value, e.new_value, e.trace_id) for e in entries] == [
        (None, '"Ada"', "first"),
        ('"Ada"', '"Grace"', "second"),
    ]
    assert {(e.actor, e.session_id, e.scope) for e in entries} == {("Ada", "session-a", "demo")}
    _chain_is_whole(db)


def test_saving_an_unchanged_value_writes_nothing(db: Database, state: StateService) -> None:
    _save(state, ADA, "tags", ["fast", "robust"])
    result = _save(state, ADA, "tags", ["fast", "robust"], base=1)
    assert result.versions == {("demo", "tags"): 1}
    assert result.changed == [] and result.written == 0 and result.conflicts == []
    assert state.load("ada", "demo")["tags"].version == 1
    assert len(_entries(db)) == 1


def test_an_unchanged_value_from_a_stale_window_writes_nothing_and_flags_nothing(
    db: Database, state: StateService
) -> None:
    _save(state, ADA, "name", "Ada")
    result = _save(state, ADA_OTHER_WINDOW, "name", "Ada", base=None)
    assert result.written == 0 and result.conflicts == []
    assert len(_entries(db)) == 1


def test_a_batch_is_saved_in_one_transaction_with_one_trace_id(db: Database, state: StateService) -> None:
    changes = [Change("demo", "name", "Ada"), Change("demo", "level", 70), Change("demo", "agree", True)]
    result = state.save(ADA, changes, trace_id="one-run")
    assert result.written == 3
    entries = _entries(db)
    assert [e.key for e in entries] == ["name", "level", "agree"]
    assert {e.trace_id for e in entries} == {"one-run"}
    assert len({e.changed_at for e in entries}) == 1
    _chain_is_whole(db)


def test_a_batch_that_fails_leaves_no_trace(db: Database, state: StateService) -> None:
    _save(state, ADA, "name", "Ada")
    with pytest.raises(Refused), db.transaction():
        state.save(ADA, [Change("demo", "name", "Grace", 1), Change("demo", "level", 70)], trace_id="t")
        raise Refused
    assert {key: stored.value for key, stored in state.load("ada", "demo").items()} == {"name": "Ada"}
    assert len(_entries(db)) == 1
    _chain_is_whole(db)


def test_the_save_after_a_rolled_back_one_chains_from_what_was_committed(db: Database, state: StateService) -> None:
    """The service guesses the replaced row and the audit head from its last write: a rollback makes both wrong."""
    _save(state, ADA, "name", "Ada")
    with pytest.raises(Refused), db.transaction():
        _save(state, ADA, "name", "Grace", base=1)
        raise Refused
    result = _save(state, ADA, "name", "Linus", base=1, trace="after")
    assert result.versions == {("demo", "name"): 2} and result.conflicts == []
    last = _entries(db, "name")[-1]
    assert (last.seq, last.old_value, last.new_value) == (2, '"Ada"', '"Linus"')
    _chain_is_whole(db)


def test_a_stale_edit_is_applied_and_reported_as_a_conflict(db: Database, state: StateService) -> None:
    _save(state, ADA, "name", "Ada")  # both windows saw version 1
    _save(state, ADA, "name", "Grace", base=1)  # window A moves on to version 2
    result = _save(state, ADA_OTHER_WINDOW, "name", "Linus", base=1)  # window B never saw version 2
    assert result.versions == {("demo", "name"): 3}
    (conflict,) = result.conflicts
    assert (conflict.key, conflict.theirs, conflict.yours, conflict.their_session) == (
        "name",
        "Grace",
        "Linus",
        "session-a",
    )
    assert state.load("ada", "demo")["name"].value == "Linus"
    assert [e.new_value for e in _entries(db, "name")] == ['"Ada"', '"Grace"', '"Linus"']  # nothing lost


def test_a_session_overwriting_its_own_value_is_no_conflict(state: StateService) -> None:
    _save(state, ADA, "name", "Ada")
    assert _save(state, ADA, "name", "Grace", base=None).conflicts == []


def test_bookkeeping_changes_are_not_audited(db: Database, state: StateService) -> None:
    route = Change("router", "route", {"page": "demo", "params": {}}, audited=False)
    assert state.save(ADA, [route], trace_id="t").written == 1
    assert state.load("ada", "router")["route"].value == {"page": "demo", "params": {}}
    assert _entries(db) == []


def test_entries_appended_by_another_writer_keep_the_chain_whole(db: Database, state: StateService) -> None:
    """Forms append to the same log: the service's remembered head is then stale and must not fork the chain."""
    _save(state, ADA, "name", "Ada")
    with db.transaction() as cursor:
        audit_log.append(
            cursor, changed_at=_entries(db)[0].changed_at, actor="Ada", session_id="forms", scope="form:x",
            key="save", old_value=None, new_value='"v1"', trace_id="forms",
        )
    _save(state, ADA, "name", "Grace", base=1)
    assert [e.key for e in _entries(db)] == ["name", "save", "name"]
    _chain_is_whole(db)


def test_a_row_changed_behind_the_services_back_is_read_before_it_is_replaced(
    db: Database, state: StateService
) -> None:
    _save(state, ADA, "name", "Ada")
    with db.transaction() as cursor:
        cursor.execute("UPDATE ui_state SET value = '\"Edited\"', version = 7, updated_by = 'elsewhere'")
    result = _save(state, ADA, "name", "Grace", base=1)
    assert result.versions == {("demo", "name"): 8}
    assert [c.theirs for c in result.conflicts] == ["Edited"]
    assert _entries(db, "name")[-1].old_value == '"Edited"'


def test_a_cleared_scope_starts_again_at_version_one(db: Database, state: StateService) -> None:
    _save(state, ADA, "name", "Ada")
    _save(state, ADA, "name", "Grace", base=1)
    with db.transaction() as cursor:
        ui_state.delete_scope(cursor, "ada", "demo")
    result = _save(state, ADA, "name", "Grace", base=None)
    assert result.versions == {("demo", "name"): 1} and result.written == 1
    assert _entries(db, "name")[-1].old_value is None
    _chain_is_whole(db)


def test_values_and_the_chain_survive_reopening_the_file(db: Database) -> None:
    _save(StateService(db), ADA, "name", "Ada")
    db.close()
    with Database(db.path) as reopened:
        state = StateService(reopened)
        assert state.load("ada", "demo")["name"].value == "Ada"
        _save(state, ADA, "name", "Grace", base=1)
        _chain_is_whole(reopened)


def test_concurrent_saves_on_overlapping_keys_lose_nothing(db: Database, state: StateService) -> None:
    threads, saves_each, keys, values = 8, 40, ["a", "b", "c", "d", "e"], ["x", "y", "z"]
    changed: Counter[str] = Counter()
    conflicts: Counter[str] = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def session(number: int) -> None:
        actor = Actor(owner="ada", name=f"window {number}", session_id=f"session-{number}")
        rng = random.Random(number)
        seen: dict[str, int] = {}
        try:
            start.wait()
            for turn in range(saves_each):
                batch = rng.sample(keys, rng.randint(1, 2))
                changes = [Change("demo", key, rng.choice(values), base_version=seen.get(key)) for key in batch]
                result = state.save(actor, changes, trace_id=f"{number}-{turn}")
                seen.update({key: version for (_, key), version in result.versions.items()})
                with lock:
                    changed.update(key for _, key in result.changed)
                    conflicts.update(conflict.key for conflict in result.conflicts)
        except BaseException as exc:  # reported by the test's thread below
            errors.append(exc)

    workers = [threading.Thread(target=session, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    stored = state.load("ada", "demo")
    assert sum(changed.values()) > len(keys)  # the values really moved back and forth
    assert sum(conflicts.values()) > 0  # and the windows really got in each other's way
    for key in keys:
        entries = _entries(db, key)
        assert stored[key].version == changed[key] == len(entries)
        # every entry starts from the value the one before it left: no write was lost in between
        assert [e.old_value for e in entries] == [None] + [e.new_value for e in entries[:-1]]
        assert entries[-1].new_value == f'"{stored[key].value}"'
    _chain_is_whole(db)


def test_a_scope_is_read_once_and_every_save_is_seen_by_the_next_load(db: Database, state: StateService) -> None:
    _save(state, ADA, "name", "Ada")
    assert state.load("ada", "demo")["name"].value == "Ada"
    _save(StateService(db), ADA_OTHER_WINDOW, "name", "Grace", base=1)  # another service object, same file
    assert state.load("ada", "demo")["name"].value == "Grace"


def test_a_rewrite_outside_the_service_is_seen_once_the_cache_is_forgotten(db: Database, state: StateService) -> None:
    _save(state, ADA, "name", "Ada")
    assert state.load("ada", "demo")["name"].value == "Ada"
    with db.transaction() as cursor:  # e.g. a restore
        cursor.execute("UPDATE ui_state SET value = '\"Restored\"', version = 9")
    forget_cached_state(db)
    assert state.load("ada", "demo")["name"].value == "Restored"
