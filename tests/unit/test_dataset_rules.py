"""The pure rules behind datasets: names, import options, dialect guesses, column renames."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import PurePath

import pytest

from robustapp.domain.datasets import (
    NAME_MAX,
    ImportOptions,
    RejectedRow,
    binary_kind,
    default_name,
    format_of,
    guess_delimiter,
    is_expired,
    name_key,
    new_table_name,
    rejects_note,
    renamed_columns,
    unique_names,
    valid_name,
)
from robustapp.errors import DatasetNameInvalid, ImportOptionsError


def test_a_name_is_trimmed_and_kept_as_written() -> None:
    assert valid_name("  Sales 2024 ") == "Sales 2024"
    assert valid_name('x"; DROP TABLE datasets; --') == 'x"; DROP TABLE datasets; --'


@pytest.mark.parametrize(
    ("raw", "problem"),
    [("", "empty"), ("   ", "empty"), ("x" * (NAME_MAX + 1), "at most 100"), ("a\nb", "control characters")],
)
def test_an_unusable_name_is_refused_saying_why(raw: str, problem: str) -> None:
    with pytest.raises(DatasetNameInvalid, match=problem):
        valid_name(raw)


def test_a_name_of_exactly_100_characters_is_fine() -> None:
    assert valid_name("é" * NAME_MAX) == "é" * NAME_MAX


def test_names_compare_case_insensitively() -> None:
    assert name_key("Straße") == name_key("STRASSE")
    assert name_key("Sales") == name_key("sALES")


def test_a_default_name_comes_from_the_file_name() -> None:
    assert default_name(PurePath("/data/Q1 sales.csv")) == "Q1 sales"
    assert len(default_name(PurePath("/data/" + "n" * 300 + ".csv"))) == NAME_MAX


def test_table_names_are_generated_identifiers() -> None:
    names = {new_table_name() for _ in range(100)}

    assert len(names) == 100
    assert all(name.startswith("ds_") and name[3:].isalnum() and name.isascii() for name in names)


@pytest.mark.parametrize(
    ("path", "head", "expected"),
    [
        ("a.csv", b"", "csv"), ("a.TSV", b"", "csv"), ("a.parquet", b"", "parquet"), ("a.json", b"", "json"),
        ("a.jsonl", b"", "ndjson"), ("a.ndjson", b"", "ndjson"), ("a.xlsx", b"", "xlsx"),
        ("export", b"PAR1....", "parquet"), ("export", b"PK\x03\x04..", "xlsx"), ("export", b"a,b\n", None),
    ],
)  # fmt: skip
def test_the_format_comes_from_the_extension_or_the_first_bytes(path: str, head: bytes, expected: str | None) -> None:
    assert format_of(PurePath(path), head) == expected


@pytest.mark.parametrize(
    ("head", "kind"),
    [(b"PAR1\x00\x01", "a Parquet file"), (b"PK\x03\x04\x14", "a ZIP archive"), (b"a,b\x00c", "binary data"),
     (b"a,b\n1,2\n", None), (b"\xef\xbb\xbfa,b\n", None), (b"\xff\xfea\x00,\x00", None)],
)  # fmt: skip
def test_binary_content_is_recognised(head: bytes, kind: str | None) -> None:
    found = binary_kind(head)

    assert (found is None) if kind is None else (found is not None and found.startswith(kind))


def test_options_understand_delimiter_words_and_encoding_aliases() -> None:
    options = ImportOptions(delimiter="tab", encoding="LATIN1")

    assert options.delimiter == "\t"
    assert options.encoding == "latin-1"
    assert ImportOptions(encoding="utf-8-sig").encoding == "utf-8"
    assert ImportOptions(encoding="windows-1252").encoding == "cp1252"


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"delimiter": ";;"}, "one character"),
        ({"delimiter": "\n"}, "one character"),
        ({"quote": "''"}, "one character"),
        ({"encoding": "klingon"}, "not known"),
        ({"types": {"id": "INTEGER); DROP TABLE datasets; --"}}, "not a column type"),
    ],
)
def test_bad_options_are_refused_naming_the_value(options: dict, problem: str) -> None:
    with pytest.raises(ImportOptionsError, match=problem):
        ImportOptions(**options)


def test_column_types_are_kept_upper_case_with_precision() -> None:
    assert ImportOptions(types={"amount": "decimal(10, 2)", "tags": "varchar[]"}).types == {
        "amount": "DECIMAL(10, 2)",
        "tags": "VARCHAR[]",
    }


def test_a_tsv_file_defaults_to_tab() -> None:
    assert ImportOptions().with_defaults_for("csv", PurePath("x.tsv")).delimiter == "\t"
    assert ImportOptions().with_defaults_for("csv", PurePath("x.csv")).delimiter is None


@pytest.mark.parametrize(
    ("line", "delimiter"),
    [("a,b,c", ","), ("a;b;c", ";"), ("a\tb", "\t"), ("a|b|c", "|"), ('"x;y",b,c', ","), ("single", None)],
)
def test_the_delimiter_is_guessed_from_the_header_line(line: str, delimiter: str | None) -> None:
    assert guess_delimiter(line) == delimiter


def test_unique_names_follow_duckdbs_convention() -> None:
    assert unique_names(["a", "A", "", "a", " "]) == ["a", "A_1", "column2", "a_2", "column4"]


def test_renamed_columns_are_explained() -> None:
    notes = renamed_columns(["id", "id", ""], ["id", "id_1", "column2"])

    assert notes == [
        "column 2 repeats the name 'id': renamed 'id_1'",
        "column 3 has no name in the file: named 'column2'",
    ]
    assert renamed_columns(["1", "2"], ["column0", "column1"]) == []  # not a header: nothing was renamed


def test_a_rejects_note_counts_all_and_lists_the_first() -> None:
    rows = [RejectedRow(line=n, column="b", reason="bad", text="x") for n in range(2, 40)]

    note = rejects_note(rows, 38)

    assert note.startswith("38 malformed rows: line 2, column 'b': bad: 'x'; line 3")
    assert note.endswith("and 18 more")


def test_a_deleted_dataset_expires_after_the_undo_window() -> None:
    deleted = datetime(2026, 1, 1, tzinfo=UTC)

    assert not is_expired(deleted, deleted + timedelta(minutes=9))
    assert is_expired(deleted, deleted + timedelta(minutes=10))
