"""The pure rules of backups: ids, which backups retention lets go, the manifest's own checksum."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from robustapp.domain.backups import (
    BackupInfo,
    BackupKind,
    FileEntry,
    Manifest,
    made_on,
    new_backup_id,
    slug,
    to_prune,
)

NOON = datetime(2026, 3, 31, 12, 0, 5, tzinfo=UTC)


def _info(id_: str, kind: BackupKind, hours_ago: int, problem: str | None = None) -> BackupInfo:
    return BackupInfo(
        id=id_, path=f"/b/{id_}", size_bytes=1, kind=None if problem else kind,
        created_at=None if problem else NOON - timedelta(hours=hours_ago), problem=problem,
    )  # fmt: skip


def test_a_backup_id_sorts_by_time_names_its_kind_and_label_and_is_never_taken_twice() -> None:
    first = new_backup_id(NOON, BackupKind.MANUAL, "Before the Q1 import!", taken=[])

    assert first == "20260331-120005-manual-before-the-q1-import"
    assert new_backup_id(NOON, BackupKind.MANUAL, "Before the Q1 import!", taken=[first]) == first + "-2"
    assert new_backup_id(NOON, BackupKind.PRE_MIGRATION, "!!!", taken=[]) == "20260331-120005-pre-migration"
    assert len(slug("x" * 100)) == 40


def test_retention_keeps_the_newest_of_the_chosen_kinds_and_never_touches_unreadable_files() -> None:
    backups = [
        _info("manual-old", BackupKind.MANUAL, 50),
        _info("auto-3", BackupKind.AUTO, 3),
        _info("auto-2", BackupKind.AUTO, 2),
        _info("pre-1", BackupKind.PRE_MIGRATION, 1),
        _info("broken", BackupKind.AUTO, 0, problem="damaged"),
    ]

    automatic = [kind for kind in BackupKind if kind.is_automatic]
    assert [b.id for b in to_prune(backups, keep=2, kinds=automatic)] == ["auto-3"]
    assert [b.id for b in to_prune(backups, keep=1)] == ["auto-2", "auto-3", "manual-old"]
    with pytest.raises(ValueError, match="at least one"):
        to_prune(backups, keep=0)


def test_made_on_counts_only_readable_backups_of_that_local_day() -> None:
    backups = [_info("a", BackupKind.MANUAL, 0), _info("b", BackupKind.AUTO, 0, problem="cut")]
    day = (NOON).astimezone().date()

    assert made_on(backups, day)
    assert not made_on(backups, day + timedelta(days=1))
    assert not made_on(backups[1:], day)
    assert not made_on([], date(2026, 3, 31))


def test_a_manifest_notices_an_edit_of_any_field() -> None:
    manifest = Manifest(
        id="x", kind=BackupKind.MANUAL, created_at=NOON, app_version="1.0", schema_version=8, duckdb_version="2.0.1",
        source="/d.duckdb", tables={"main.t": 3}, files={"database.duckdb": FileEntry(offset=0, size=10, sha256="0" * 64)},
    ).sealed()  # fmt: skip

    assert manifest.is_intact
    assert not manifest.model_copy(update={"tables": {"main.t": 4}}).is_intact
    assert not manifest.model_copy(update={"schema_version": 7}).is_intact
