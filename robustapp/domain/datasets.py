"""Datasets: what an imported file becomes, and the rules for names, formats and import options.

    file ──import──▶ table ds_<hex> (the name is generated, never the user's text)
                     + a catalog row: name, columns, rows, source and options (to re-import)
    delete ──▶ hidden for UNDO_WINDOW (restore brings it back) ──▶ purge drops the table

Pure: no DuckDB here. The storage layer reads files; the service layer applies these rules.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from robustapp.errors import DatasetNameInvalid, ImportOptionsError

NAME_MAX = 100
UNDO_WINDOW = timedelta(minutes=10)  # how long a deleted dataset can be restored
REJECTS_SHOWN = 20  # malformed rows listed in a message; the count covers them all

Format = Literal["csv", "parquet", "json", "ndjson", "xlsx"]
FORMATS: tuple[Format, ...] = ("csv", "parquet", "json", "ndjson", "xlsx")
_EXTENSIONS: dict[str, Format] = {
    ".csv": "csv", ".tsv": "csv", ".tab": "csv", ".txt": "csv",
    ".parquet": "parquet", ".pq": "parquet",
    ".json": "json",
    ".ndjson": "ndjson", ".jsonl": "ndjson",
    ".xlsx": "xlsx", ".xlsm": "xlsx",
}  # fmt: skip
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PAR1", "a Parquet file"),
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook is one)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook (save it as .xlsx or CSV)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"SQLite format 3", "an SQLite database"),
)
# Encodings DuckDB's CSV reader decodes itself; any other Python codec is transcoded to UTF-8 first.
NATIVE_ENCODINGS = ("utf-8", "latin-1", "utf-16")
_ENCODING_ALIASES = {
    "utf8": "utf-8", "utf-8": "utf-8", "utf-8-sig": "utf-8", "utf8-sig": "utf-8",  # DuckDB skips a BOM itself
    "latin-1": "latin-1", "latin1": "latin-1", "iso-8859-1": "latin-1", "iso8859-1": "latin-1",
    "l1": "latin-1", "utf-16": "utf-16", "utf16": "utf-16",
}  # fmt: skip
_DELIMITER_WORDS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|", "space": " "}
# A column type: a name, optional (precision[, scale]), optional []; nothing that could end a CAST.
_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9_ ]{0,40}(\(\s*\d{1,3}\s*(,\s*\d{1,3}\s*)?\))?(\[\])?")


class ImportOptions(BaseModel):
    """How to read a file. Unset options are detected (format from the extension, CSV dialect by sniffing)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Format | None = None
    delimiter: str | None = None  # CSV: one character; "tab", "\\t", "comma", "semicolon", "pipe" are understood
    header: bool | None = None  # CSV: None = detect
    encoding: str = "utf-8"  # CSV: any Python codec; utf-8 (with or without BOM), latin-1, utf-16 need no transcoding
    quote: str | None = None  # CSV: None = the standard double quote; "" = no quoting
    skip_bad_rows: bool = False  # CSV: import the good rows and report the bad ones, instead of failing
    types: dict[str, str] = Field(default_factory=dict)  # column → DuckDB type, overriding detection
    sheet: str | int | None = None  # xlsx: a sheet name or 0-based index; None = the first sheet

    @field_validator("delimiter")
    @classmethod
    def _one_delimiter(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = _DELIMITER_WORDS.get(value.lower(), value)
        if len(value) != 1 or value in "\r\n":
            raise ImportOptionsError(f"delimiter {value!r}: expected one character (or tab, comma, semicolon, pipe)")
        return value

    @field_validator("quote")
    @classmethod
    def _one_quote(cls, value: str | None) -> str | None:
        if value is not None and (len(value) > 1 or value in ("\r", "\n")):
            raise ImportOptionsError(f"quote {value!r}: expected one character, or empty for no quoting")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        import codecs

        key = value.strip().lower().replace("_", "-")
        if key in _ENCODING_ALIASES:
            return _ENCODING_ALIASES[key]
        try:
            return codecs.lookup(key).name
        except LookupError:
            raise ImportOptionsError(f"encoding {value!r} is not known; try utf-8, latin-1, cp1252 or utf-16") from None

    @field_validator("types")
    @classmethod
    def _plain_types(cls, value: dict[str, str]) -> dict[str, str]:
        for column, type_ in value.items():
            if not _TYPE.fullmatch(type_.strip()):
                raise ImportOptionsError(
                    f"type {type_!r} for column {column!r} is not a column type (e.g. BIGINT, DOUBLE, "
                    "VARCHAR, DATE, TIMESTAMP, DECIMAL(10,2))"
                )
        return {column: type_.strip().upper() for column, type_ in value.items()}

    @property
    def quote_char(self) -> str:
        """The quote character to read with: standard CSV quoting unless told otherwise."""
        return '"' if self.quote is None else self.quote

    def with_defaults_for(self, fmt: Format, path: PurePath) -> ImportOptions:
        """These options with the format filled in, and a TSV's delimiter."""
        delimiter = self.delimiter
        if fmt == "csv" and delimiter is None and path.suffix.lower() in (".tsv", ".tab"):
            delimiter = "\t"
        return self.model_copy(update={"format": fmt, "delimiter": delimiter})


class Column(BaseModel):
    """One column of a dataset."""

    model_config = ConfigDict(frozen=True)

    name: str
    type: str


class RejectedRow(BaseModel):
    """A row the CSV reader could not read: where and why."""

    model_config = ConfigDict(frozen=True)

    line: int | None  # 1-based line in the file, counting the header
    column: str | None
    reason: str
    text: str = ""  # the line as read (cut short)

    def describe(self) -> str:
        where = f"line {self.line}" if self.line is not None else "a line"
        column = f", column {self.column!r}" if self.column else ""
        text = f": {self.text!r}" if self.text else ""
        return f"{where}{column}: {self.reason}{text}"


class DatasetInfo(BaseModel):
    """A dataset as the app shows it, with what its import found."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    table_name: str
    row_count: int
    columns: list[Column]
    size_bytes: int  # estimate of the data's size (uncompressed)
    source_path: str
    source_format: Format
    source_options: ImportOptions
    imported_at: datetime  # UTC
    notes: str = ""
    import_notes: list[str] = Field(default_factory=list)  # what the import changed: renamed columns, skipped rows
    skipped_rows: int = 0  # malformed rows left out (skip_bad_rows)
    deleted_at: datetime | None = None  # UTC; set while the dataset waits in the undo window
    rejected: list[RejectedRow] = Field(default_factory=list)  # the first skipped rows (only right after an import)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


def valid_name(raw: str) -> str:
    """`raw` trimmed, if it is a usable dataset name: 1–100 characters, no control characters."""
    name = raw.strip()
    if not name:
        raise DatasetNameInvalid("a dataset needs a name (it was empty)")
    if len(name) > NAME_MAX:
        raise DatasetNameInvalid(f"dataset name {name[:40]!r}… is {len(name)} characters long; at most {NAME_MAX}")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise DatasetNameInvalid(f"dataset name {name!r} contains control characters")
    return name


def name_key(name: str) -> str:
    """What two names are compared by: case-insensitively."""
    return name.casefold()


def default_name(path: PurePath) -> str:
    """A dataset's name when the user gives none: the file's name without its extension."""
    return (path.stem.strip() or path.name.strip() or "dataset")[:NAME_MAX].strip()


def new_table_name() -> str:
    """A fresh table name: safe as an identifier whatever the dataset is called."""
    return f"ds_{uuid.uuid4().hex[:16]}"


def format_of(path: PurePath, head: bytes) -> Format | None:
    """The format named by the file's extension, or recognised from its first bytes; None if unknown."""
    by_extension = _EXTENSIONS.get(path.suffix.lower())
    if by_extension:
        return by_extension
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    return None


def binary_kind(head: bytes) -> str | None:
    """What a file that should be text really is ("a Parquet file"), or "binary data"; None if it looks like text."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # a UTF-16 byte order mark: text
    if b"\x00" in head:
        return "binary data"
    return None


def renamed_columns(raw: list[str], final: list[str]) -> list[str]:
    """Notes on the columns whose name in the file was empty or a duplicate, and what they are called now.

    None when `raw` cannot be the header the names came from (another length, or no name in common)."""
    if len(raw) != len(final) or not any(before == after for before, after in zip(raw, final, strict=True)):
        return []
    notes = []
    seen: set[str] = set()
    for position, (before, after) in enumerate(zip(raw, final, strict=False), start=1):
        if not before.strip():
            notes.append(f"column {position} has no name in the file: named {after!r}")
        elif before.casefold() in seen and before != after:
            notes.append(f"column {position} repeats the name {before!r}: renamed {after!r}")
        elif before != after:
            notes.append(f"column {position} {before!r} is named {after!r}")
        seen.add(before.casefold())
    return notes


def rejects_note(rejected: list[RejectedRow], total: int) -> str:
    """One message for `total` malformed rows, listing the first few."""
    listed = "; ".join(row.describe() for row in rejected[:REJECTS_SHOWN])
    more = f"; and {total - REJECTS_SHOWN} more" if total > REJECTS_SHOWN else ""
    return f"{total} malformed row{'s' if total != 1 else ''}: {listed}{more}"


def is_expired(deleted_at: datetime, now: datetime, window: timedelta = UNDO_WINDOW) -> bool:
    """Whether a dataset deleted at `deleted_at` is past its undo window at `now`."""
    return now - deleted_at >= window


DELIMITER_CANDIDATES = (",", ";", "\t", "|")


def guess_delimiter(header_line: str, quote: str = '"') -> str | None:
    """The delimiter a CSV header line uses most (outside quotes), or None if it has none of the usual ones.

    DuckDB's sniffer, given a file with malformed rows, may settle on a dialect that reads each line as
    one column; a header line is rarely malformed, so the delimiter is taken from it."""
    counts = dict.fromkeys(DELIMITER_CANDIDATES, 0)
    inside = False
    for char in header_line:
        if quote and char == quote:
            inside = not inside
        elif not inside and char in counts:
            counts[char] += 1
    best = max(DELIMITER_CANDIDATES, key=lambda c: counts[c])
    return best if counts[best] else None


def unique_names(names: list[str]) -> list[str]:
    """Column names made usable the way DuckDB's CSV reader does it: an empty one becomes `column<i>`
    (0-based position), a repeated one gets `_1`, `_2`… (compared case-insensitively)."""
    result: list[str] = []
    taken: set[str] = set()
    for position, name in enumerate(names):
        base = name.strip() or f"column{position}"
        candidate, suffix = base, 0
        while candidate.casefold() in taken:
            suffix += 1
            candidate = f"{base}_{suffix}"
        taken.add(candidate.casefold())
        result.append(candidate)
    return result
