"""Every file of the bad input corpus (`tests/corpus/bad/`), imported the way the Datasets page does it.

The corpus README's table is the test's table: for each file, what the user reads (the failed job's
message, or the imported dataset's notes). A refused file leaves no dataset and no table behind, and
after each one a good import succeeds: the app keeps working.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from robustapp import bootstrap
from robustapp.domain.jobs import JobInfo, JobState
from robustapp.services import datasets
from robustapp.storage import Database
from tests.corpus import BAD
from tests.integration.import_files import people_csv, write

README = BAD / "README.md"
HUGE_FIELD = 10 * 2**20  # characters in huge-field.csv's one big field
_ROOT = Path(__file__).parents[2]


@dataclass(frozen=True)
class Case:
    """One row of the corpus README's table."""

    file: str
    options: dict[str, str]
    rows: int | None  # None: the app refuses the file
    reads: list[str]  # each must be in what the user reads


def _table(heading_text: str) -> list[list[str]]:
    """The cells of the first Markdown table after the line `heading_text` in the README."""
    lines = README.read_text(encoding="utf-8").splitlines()
    rows = []
    for line in lines[lines.index(heading_text) + 1 :]:
        if rows and not line.startswith("|"):
            break
        if line.startswith("|") and not line.startswith("| ---"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[1:]  # the header row is not a case


def _quoted(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def _cases() -> list[Case]:
    cases = []
    for file, _, options, outcome, reads in _table("# Bad input files"):
        imported = re.fullmatch(r"imports (\d+) rows?", outcome)
        assert imported or outcome == "refuses", f"{file}: the app column reads {outcome!r}"
        assert imported or _quoted(reads), f"{file}: a refused file needs the words the user reads"
        pairs = (option.split("=", 1) for option in _quoted(options))
        cases.append(Case(_quoted(file)[0], dict(pairs), int(imported[1]) if imported else None, _quoted(reads)))
    return cases


CASES = _cases()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    services = bootstrap.services()
    services.jobs.start()
    yield services.db
    # whatever the file did, the app keeps working: the next import succeeds
    good = _import(people_csv(tmp_path), {}, name="afterwards")
    assert (good.state, good.result["rows"]) == (JobState.SUCCEEDED, 3), good.error


def _import(path: Path, options: dict[str, str], **params: object) -> JobInfo:
    jobs = bootstrap.services().jobs
    return jobs.wait(jobs.enqueue("data.import", path=str(path), options=options, **params), timeout=60)


def _corpus_file(name: str, scratch: Path) -> Path:
    if name != "huge-field.csv":
        return BAD / name
    return write(scratch / name, 'id,body\n1,"' + "x" * HUGE_FIELD + '"\n2,short\n')


def _user_tables(db: Database) -> list[str]:
    tables = db.query("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'ds_%' OR temporary")
    return [name for (name,) in tables]


@pytest.mark.parametrize("case", CASES, ids=[case.file for case in CASES])
def test_each_bad_file_gets_a_clear_message_and_leaves_nothing_half_written(
    db: Database, case: Case, tmp_path: Path
) -> None:
    job = _import(_corpus_file(case.file, tmp_path), case.options)

    if case.rows is None:
        assert job.state is JobState.FAILED
        assert job.error is not None and job.error.startswith("ImportFailed: ")
        said = job.error
        assert datasets.list_datasets(db) == [] and _user_tables(db) == []
    else:
        assert job.state is JobState.SUCCEEDED, job.error
        (info,) = datasets.list_datasets(db)
        said = "\n".join(info.import_notes)
        assert info.row_count == case.rows and _user_tables(db) == [info.table_name]  # all of it, once
    for text in case.reads:
        assert text in said


def test_the_10_mb_field_arrives_whole(db: Database, tmp_path: Path) -> None:
    job = _import(_corpus_file("huge-field.csv", tmp_path), {})

    table = datasets.get_dataset(db, "huge-field").table_name
    assert job.state is JobState.SUCCEEDED
    assert db.query(f'SELECT id, length(body) FROM "{table}" ORDER BY id') == [(1, HUGE_FIELD), (2, 5)]


def test_every_file_in_the_corpus_has_a_row_and_every_row_a_file() -> None:
    kept = {path.name for path in BAD.iterdir()} - {"README.md"}
    described = {case.file for case in CASES}

    assert described - {"huge-field.csv"} == kept


def test_every_case_tested_elsewhere_names_a_test_that_exists() -> None:
    for case, where in _table("## Bad input that is not a file, tested elsewhere"):
        module = ""
        for test in _quoted(where):
            path, _, name = test.rpartition("::")
            module = path or module  # `::name` continues the module named before it
            assert f"def {name}(" in (_ROOT / module).read_text(encoding="utf-8"), f"{case}: {test} is not there"
