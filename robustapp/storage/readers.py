"""Read a file into a new table with DuckDB's own readers, inside the caller's transaction.

    csv      read_csv(…, store_rejects) ──▶ CREATE TABLE AS     malformed rows come back with line numbers
    parquet  read_parquet                ──▶ CREATE TABLE AS
    json     read_json(auto | newline_delimited) ──▶ CREATE TABLE AS
    xlsx     an Arrow batch (sources.read_sheet) ──▶ CREATE TABLE AS

Every statement runs on the cursor it is given, so `cursor.interrupt()` stops it; while it runs, a
watcher thread (query_progress.watching) turns DuckDB's query progress into `on_progress(fraction)`
calls, and a call that raises (a cancelled job) interrupts the statement. The json and parquet
readers are statically linked into DuckDB's Python wheel: nothing is loaded or downloaded
(tests/integration/test_datasets.py checks it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from robustapp.domain.datasets import (
    Column,
    ImportOptions,
    RejectedRow,
    guess_delimiter,
    renamed_columns,
    unique_names,
)
from robustapp.errors import DatasetError, ImportCancelled, ImportFailed, ImportOptionsError
from robustapp.logs import get_logger
from robustapp.storage.identifiers import quote_identifier as q
from robustapp.storage.query_progress import watching
from robustapp.storage.sources import header_names

if TYPE_CHECKING:
    import pyarrow as pa

Cursor = duckdb.DuckDBPyConnection
OnProgress = Callable[[float], None]
log = get_logger(__name__)

MAX_LINE_BYTES = 64 * 2**20  # the longest CSV line read: DuckDB's default (2 MB) refuses a line holding a 10 MB field
USUAL_LINE_BYTES = 16 * 2**20  # the limit a file is read with when none of its lines is longer
# Why two ways to read (DuckDB 2.0, bench/import_throughput.py): buffer_size defaults to 16 × max_line_size
# and the sniffer reads a whole buffer, so with 64 MB a 1 GB file sat in memory before its first row was
# read (1.4 GB peak; DuckDB's own read_csv: 0.5 GB), and the larger limit alone made the read ~10 % slower.
# But a record longer than the buffer is misread: with ignore_errors a line can vanish without a reject
# (a DuckDB bug), a quoted field with line breaks comes out as malformed rows. So a file with a line of
# USUAL_LINE_BYTES or more (sources.has_long_line) is read the long way at once, and a file whose lean
# read rejected anything is read again the long way: what is said about malformed rows comes from it.
_USUAL_READ = {"max_line_size": USUAL_LINE_BYTES, "buffer_size": 2 * USUAL_LINE_BYTES}
# The long way's buffer: DuckDB's own (16 × 64 MB = 1 GiB) or, for a smaller file, the whole file (no record can
# then span two buffers either). Its read needs a few buffers at once: while it runs, the database's memory cap
# (ROBUSTAPP_DB_MEMORY_MB) is lifted if it is lower (`_room_for`).
_LONG_BUFFER_MAX = 2**30
_BUFFERS_AT_ONCE = 3
_LINE_TOO_LONG = "LINE SIZE OVER MAXIMUM"  # the CSV reader's error type
MAX_JSON_OBJECT_BYTES = 64 * 2**20
REJECTS_KEPT = 10_000  # malformed rows recorded per import; past that the count says "or more"
SAMPLED_ABOVE = 1_000_000  # rows: a bigger table's text is measured on a sample for its size estimate
_TEXT_CUT = 200
_FIXED_WIDTH = {
    "BOOLEAN": 1, "TINYINT": 1, "UTINYINT": 1, "SMALLINT": 2, "USMALLINT": 2, "INTEGER": 4, "UINTEGER": 4,
    "FLOAT": 4, "DATE": 4, "BIGINT": 8, "UBIGINT": 8, "DOUBLE": 8, "TIME": 8, "HUGEINT": 16, "UHUGEINT": 16,
    "UUID": 16, "INTERVAL": 16,
}  # fmt: skip
_READER_ARGS = frozenset(
    {"delim", "quote", "header", "encoding", "types", "max_line_size", "buffer_size", "ignore_errors", "store_rejects",
     "rejects_table", "rejects_scan", "rejects_limit", "auto_detect", "columns", "format", "maximum_object_size"}
)  # fmt: skip
_UNNAMED = re.compile(r"__UNNAMED__(\d+)")  # fastexcel's name for a header cell that is empty


@dataclass
class Loaded:
    """What landed in the new table."""

    columns: list[Column]
    row_count: int
    size_bytes: int
    rejected: list[RejectedRow] = field(default_factory=list)
    rejected_total: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    """Which file is read (as the user named it, and the path DuckDB reads) and the new table."""

    source: Path
    read_path: Path
    table: str

    @property
    def label(self) -> str:
        return self.source.name


# -- plan (before the transaction), then create (inside it) ------------------------------------


@dataclass
class Plan:
    """How to fill the new table: worked out before the write transaction, where a failed probe
    (the CSV sniffer giving up) would abort the transaction."""

    target: Target
    fmt: str
    select_sql: str
    params: list[Any]
    options: ImportOptions
    notes: list[str] = field(default_factory=list)
    rejects: tuple[str, str] | None = None  # the CSV reader's temp tables: errors, scans
    view: str | None = None  # a registered Arrow batch
    long_read: tuple[str, list[Any]] | None = None  # CSV: select_sql and params for lines up to MAX_LINE_BYTES
    buffer: int = 0  # CSV: the read buffer select_sql asks for when it is a long read (else 0)
    header: list[str] | None = None  # the file's header cells as written, to tell which columns were renamed


def plan_csv(
    cursor: Cursor, target: Target, options: ImportOptions, header_line: str, *, long_lines: bool = False
) -> Plan:
    """read_csv with malformed rows rejected (with line and reason), not fatal. `long_lines`: the file
    may have a line of USUAL_LINE_BYTES or more."""
    args = _limits(_csv_args(options, header_line), target, long=long_lines)
    notes: list[str] = []
    try:
        try:
            with _room_for(cursor, _long_buffer_of(args)):
                columns = _describe(cursor, *_call("read_csv", target.read_path, {**args, "ignore_errors": True}))
        except duckdb.InvalidInputException as exc:
            if not _is_line_too_long(exc):
                raise
            args = _limits(args, target, long=True)  # a long line among the first the sniffer reads
            with _room_for(cursor, _long_buffer_of(args)):
                columns = _describe(cursor, *_call("read_csv", target.read_path, {**args, "ignore_errors": True}))
        _check_type_columns(options, [c.name for c in columns], target)  # ignore_errors lets DuckDB skip this check
    except duckdb.InvalidInputException as exc:
        if "sniffing" not in str(exc).lower():
            raise _failure(exc, target, "csv") from None
        # No dialect fits every sampled row (typically an unclosed quote): read every column as text with
        # the dialect fixed, so each bad line is rejected with its number instead of the file failing whole.
        args = _text_only_args(args, options, header_line, target)
        notes.append("the column types could not be detected because of malformed rows: every column was read as text")
    except duckdb.Error as exc:
        raise _failure(exc, target, "csv") from None
    rejects = (f"rejects_{target.table}", f"reject_scans_{target.table}")
    read = {**args, "store_rejects": True, "rejects_table": rejects[0], "rejects_scan": rejects[1],
            "rejects_limit": REJECTS_KEPT}  # fmt: skip
    source_sql, params = _call("read_csv", target.read_path, read)
    plan = Plan(target, "csv", f"SELECT * FROM {source_sql}", params, options, notes, rejects=rejects,
                buffer=_long_buffer_of(args))  # fmt: skip
    if args["max_line_size"] < MAX_LINE_BYTES:
        long_sql, long_params = _call("read_csv", target.read_path, _limits(read, target, long=True))
        plan.long_read = (f"SELECT * FROM {long_sql}", long_params)
    return plan


def plan_parquet(cursor: Cursor, target: Target, options: ImportOptions) -> Plan:
    """read_parquet, with the chosen columns cast to their types."""
    return _plan_with(cursor, target, options, "read_parquet", {})


def plan_json(cursor: Cursor, target: Target, options: ImportOptions) -> Plan:
    """read_json: a JSON array or object, or NDJSON (one object per line)."""
    json_format = "newline_delimited" if options.format == "ndjson" else "auto"
    return _plan_with(
        cursor, target, options, "read_json", {"format": json_format, "maximum_object_size": MAX_JSON_OBJECT_BYTES}
    )


def plan_arrow(cursor: Cursor, target: Target, options: ImportOptions, batch: pa.RecordBatch) -> Plan:
    """An Arrow batch (an xlsx sheet): whole-number columns become BIGINT (Excel keeps every number as a
    double), timestamps plain TIMESTAMP, fastexcel's `__UNNAMED__<i>` becomes `column<i>`.
    The batch is registered on `cursor` until `release(cursor, plan)`."""
    view = f"arrow_{target.table}"
    cursor.register(view, batch)
    try:
        columns = _describe(cursor, q(view), [])
        renames = {c.name: f"column{m[1]}" for c in columns if (m := _UNNAMED.fullmatch(c.name))}
        casts = {c.name: "TIMESTAMP" for c in columns if c.type.startswith("TIMESTAMP_")}
        casts.update(dict.fromkeys(_whole_number_columns(cursor, view, columns, options), "BIGINT"))
        select = _select_list(columns, options, target, renames=renames, casts=casts)
        plan = Plan(target, "xlsx", f"SELECT {select} FROM {q(view)}", [], options, view=view)
        _probe(cursor, plan)
    except BaseException:
        cursor.unregister(view)
        raise
    return plan


def _plan_with(cursor: Cursor, target: Target, options: ImportOptions, reader: str, args: dict[str, Any]) -> Plan:
    source_sql, params = _call(reader, target.read_path, args)
    fmt = options.format or reader
    try:
        columns = _describe(cursor, source_sql, params)
    except duckdb.Error as exc:
        raise _failure(exc, target, fmt) from None
    plan = Plan(target, fmt, f"SELECT {_select_list(columns, options, target)} FROM {source_sql}", params, options)
    _probe(cursor, plan)
    return plan


def _probe(cursor: Cursor, plan: Plan) -> None:
    """Bind the plan's SELECT (types that do not exist show up here) without reading the data."""
    if plan.options.types:
        try:
            cursor.execute(f"DESCRIBE {plan.select_sql}", plan.params).fetchall()
        except duckdb.Error as exc:
            raise _failure(exc, plan.target, plan.fmt) from None


def create(cursor: Cursor, plan: Plan, on_progress: OnProgress) -> Loaded:
    """CREATE TABLE AS the plan says, on `cursor` (inside the caller's transaction); what landed.

    The file is read once: the malformed rows are collected by the same read, the row count is
    what CREATE TABLE AS answers, and the size estimate reads at most a sample of the new table."""
    with _room_for(cursor, plan.buffer):
        rows = _create(cursor, plan.target, plan.select_sql, plan.params, plan.fmt, on_progress)
    if plan.rejects is not None and plan.long_read is not None and _has_rejects(cursor, plan.rejects[0]):
        cursor.execute(f"DROP TABLE {q(plan.target.table)}")  # read again the long way (see _USUAL_READ)
        _drop_rejects(cursor, plan.rejects)
        with _room_for(cursor, _long_buffer(plan.target)):
            rows = _create(cursor, plan.target, *plan.long_read, plan.fmt, on_progress)
    rejected: list[RejectedRow] = []
    total = 0
    if plan.rejects is not None:
        rejected, total = _rejected_rows(cursor, plan.rejects[0], plan.options)
        _drop_rejects(cursor, plan.rejects)
    columns = table_columns(cursor, plan.target.table)
    notes = list(plan.notes)
    if plan.header is not None:
        notes.extend(renamed_columns(plan.header, [c.name for c in columns]))
    return Loaded(columns, rows, _estimated_size(cursor, plan.target.table, columns, rows), rejected, total, notes)


def release(cursor: Cursor, plan: Plan) -> None:
    """Unregister the plan's Arrow view, if it has one."""
    if plan.view is not None:
        try:
            cursor.unregister(plan.view)
        except duckdb.Error:
            log.warning("could not unregister an import view", view=plan.view)


# -- helpers -------------------------------------------------------------------------------


def table_columns(cursor: Cursor, table: str) -> list[Column]:
    """The columns of `table`, in order."""
    return [Column(name=row[0], type=row[1]) for row in cursor.execute(f"DESCRIBE {q(table)}").fetchall()]


def _csv_args(options: ImportOptions, header_line: str) -> dict[str, Any]:
    quote = options.quote_char
    args: dict[str, Any] = {"quote": quote, "encoding": options.encoding}
    delimiter = options.delimiter or guess_delimiter(header_line, quote)
    if delimiter:
        args["delim"] = delimiter
    if options.header is not None:
        args["header"] = options.header
    if options.types:
        args["types"] = dict(options.types)
    return args


def _limits(args: dict[str, Any], target: Target, *, long: bool) -> dict[str, Any]:
    """`args` with the line limit and buffer for files with (`long`) or without lines of USUAL_LINE_BYTES."""
    plain = {name: value for name, value in args.items() if name not in ("max_line_size", "buffer_size")}
    if long:
        return {**plain, "max_line_size": MAX_LINE_BYTES, "buffer_size": _long_buffer(target)}
    return {**plain, **_USUAL_READ}


def _long_buffer(target: Target) -> int:
    """The long read's buffer for this file (see _LONG_BUFFER_MAX); DuckDB wants it above the line limit."""
    try:
        size = target.read_path.stat().st_size
    except OSError:
        size = _LONG_BUFFER_MAX
    return min(_LONG_BUFFER_MAX, max(size, MAX_LINE_BYTES) + 2**20)


def _long_buffer_of(args: dict[str, Any]) -> int:
    return int(args["buffer_size"]) if args.get("max_line_size") == MAX_LINE_BYTES else 0


@contextmanager
def _room_for(cursor: Cursor, buffer: int) -> Iterator[None]:
    """Lift the database's memory cap, if it is lower, while a read with `buffer`-sized buffers runs."""
    needed = _BUFFERS_AT_ONCE * buffer + 256 * 2**20
    limit = str(cursor.execute("SELECT current_setting('memory_limit')").fetchone()[0]) if buffer else ""  # type: ignore[index]
    if not buffer or _bytes(limit) >= needed:
        yield
        return
    log.info("memory cap lifted for a long CSV read", cap=limit, needed_mb=needed >> 20)
    cursor.execute(f"SET memory_limit = '{needed >> 20}MiB'")
    try:
        yield
    finally:
        cursor.execute(f"SET memory_limit = '{round(_bytes(limit))} bytes'")


_UNITS = {"bytes": 1, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
          "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}  # fmt: skip


def _bytes(text: str) -> float:
    """DuckDB's "488.2 MiB" as bytes: the middle of what it rounds down to that text, so it reads back the same."""
    number, _, unit = text.strip().partition(" ")
    decimals = len(number.partition(".")[2])
    return (float(number) + 0.5 * 10**-decimals) * _UNITS.get(unit.strip().casefold() or "bytes", 1)


def _text_only_args(args: dict[str, Any], options: ImportOptions, header_line: str, target: Target) -> dict[str, Any]:
    delimiter = args.get("delim", ",")
    raw = header_names(header_line, delimiter, options.quote_char)
    if not raw:
        raise ImportFailed(f"{target.label}: no CSV dialect fits its rows, and its first line is empty")
    has_header = options.header is not False
    names = unique_names(raw) if has_header else [f"column{i}" for i in range(len(raw))]
    _check_type_columns(options, names, target)
    types = {name.casefold(): type_ for name, type_ in options.types.items()}
    columns = {name: types.get(name.casefold(), "VARCHAR") for name in names}
    plain = {k: v for k, v in args.items() if k not in ("types", "header")}
    return {**plain, "delim": delimiter, "header": has_header, "auto_detect": False, "columns": columns}


def _call(reader: str, path: Path, args: dict[str, Any]) -> tuple[str, list[Any]]:
    """`reader(?, name = ?, …)` and its parameters: values never enter the SQL text."""
    unknown = set(args) - _READER_ARGS
    assert not unknown, f"not a reader argument: {unknown}"
    named = "".join(f", {name} = ?" for name in args)
    return f"{reader}(?{named})", [str(path), *args.values()]


def _describe(cursor: Cursor, source_sql: str, params: list[Any]) -> list[Column]:
    rows = cursor.execute(f"DESCRIBE SELECT * FROM {source_sql}", params).fetchall()
    return [Column(name=row[0], type=row[1]) for row in rows]


def _check_type_columns(options: ImportOptions, names: list[str], target: Target) -> None:
    known = {name.casefold() for name in names}
    missing = [column for column in options.types if column.casefold() not in known]
    if missing:
        raise ImportOptionsError(
            f"{target.label} has no column {', '.join(map(repr, missing))} to set a type for; "
            f"its columns: {', '.join(map(repr, names))}"
        )


def _select_list(
    columns: list[Column],
    options: ImportOptions,
    target: Target,
    *,
    renames: dict[str, str] | None = None,
    casts: dict[str, str] | None = None,
) -> str:
    _check_type_columns(options, [c.name for c in columns], target)
    types = {name.casefold(): type_ for name, type_ in options.types.items()}
    renames, casts = renames or {}, casts or {}
    items = []
    for column in columns:
        expression = q(column.name)
        type_ = types.get(column.name.casefold()) or casts.get(column.name)
        if type_:  # validated in ImportOptions: letters, digits, (precision, scale), [] only
            expression = f"CAST({expression} AS {type_})"
        items.append(f"{expression} AS {q(renames.get(column.name, column.name))}")
    return ", ".join(items) if items else "*"


def _whole_number_columns(cursor: Cursor, view: str, columns: list[Column], options: ImportOptions) -> list[str]:
    typed = {name.casefold() for name in options.types}
    doubles = [c.name for c in columns if c.type == "DOUBLE" and c.name.casefold() not in typed]
    if not doubles:
        return []
    checks = ", ".join(
        f"bool_and({q(name)} IS NULL OR ({q(name)} = trunc({q(name)}) AND abs({q(name)}) < 1e15)) "
        f"AND count({q(name)}) > 0"
        for name in doubles
    )
    flags = cursor.execute(f"SELECT {checks} FROM {q(view)}").fetchone() or ()
    return [name for name, whole in zip(doubles, flags, strict=True) if whole]


def _create(
    cursor: Cursor, target: Target, select_sql: str, params: list[Any], fmt: str, on_progress: OnProgress
) -> int:
    """CREATE TABLE AS; the number of rows it wrote."""
    with watching(cursor, on_progress) as watcher:
        try:
            written = cursor.execute(f"CREATE TABLE {q(target.table)} AS {select_sql}", params).fetchone()
        except duckdb.Error as exc:
            watcher.raise_request()  # a cancel asked for through on_progress wins over the interrupt it caused
            raise _failure(exc, target, fmt) from None
    watcher.raise_request()
    assert written is not None
    return int(written[0])


def _has_rejects(cursor: Cursor, rejects: str) -> bool:
    row = cursor.execute(f"SELECT count(*) > 0 FROM temp.{q(rejects)}").fetchone()
    return bool(row and row[0])


def _drop_rejects(cursor: Cursor, rejects: tuple[str, str]) -> None:
    for table in rejects:
        cursor.execute(f"DROP TABLE IF EXISTS temp.{q(table)}")


def _is_line_too_long(exc: duckdb.Error) -> bool:
    return "maximum line size" in str(exc).lower()


def _rejected_rows(cursor: Cursor, rejects: str, options: ImportOptions) -> tuple[list[RejectedRow], int]:
    """The first malformed line of each, in file order, and how many lines were rejected."""
    total_row = cursor.execute(f"SELECT count(DISTINCT line) FROM temp.{q(rejects)}").fetchone()
    total = int(total_row[0]) if total_row else 0
    rows = cursor.execute(
        f"""
        SELECT line, any_value(column_name ORDER BY column_idx), any_value(error_type ORDER BY column_idx),
               any_value(error_message ORDER BY column_idx), any_value(csv_line ORDER BY column_idx)
        FROM temp.{q(rejects)} GROUP BY line ORDER BY line LIMIT 100
        """
    ).fetchall()
    rejected = [
        RejectedRow(line=line, column=column, reason=_reason(kind, message, options), text=(text or "")[:_TEXT_CUT])
        for line, column, kind, message, text in rows
    ]
    return rejected, total


def _reason(kind: str, message: str, options: ImportOptions) -> str:
    if kind == "INVALID ENCODING":
        hint = (
            "choose the file's encoding, e.g. latin-1 or cp1252"
            if options.encoding == "utf-8"
            else "choose the file's encoding"
        )
        return f"not valid {options.encoding} text ({hint})"
    if kind == _LINE_TOO_LONG:
        return f"the line is longer than {MAX_LINE_BYTES // 2**20} MB, the most it reads"
    if kind == "UNQUOTED VALUE" or "unterminated quote" in message:
        return "a quote is opened and never closed (the rest of the line, or more, is inside it)"
    return message.strip().rstrip(".")


def _estimated_size(cursor: Cursor, table: str, columns: list[Column], rows: int) -> int:
    """Estimated bytes of `rows` rows: fixed-width types by their width, text and nested values by their
    length, measured on every row up to SAMPLED_ABOVE rows and on a 1 % sample of the vectors above
    (reading every value of a big table again cost ~3 % of its import)."""
    parts = ["count(*)"]
    fixed = 0
    for column in columns:
        base = column.type.split("(")[0].strip()
        if base in _FIXED_WIDTH or base.startswith(("TIMESTAMP", "DECIMAL")):
            fixed += _FIXED_WIDTH.get(base, 16 if base.startswith("DECIMAL") else 8)
        elif base in ("VARCHAR", "BLOB"):
            measure = "octet_length" if base == "BLOB" else "strlen"  # both count bytes
            parts.append(f"coalesce(sum({measure}({q(column.name)})), 0)")
        else:
            parts.append(f"coalesce(sum(strlen(CAST({q(column.name)} AS VARCHAR))), 0)")
    if len(parts) == 1 or not rows:
        return rows * fixed
    sql = f"SELECT {', '.join(parts)} FROM {q(table)}"
    row = cursor.execute(sql + (" USING SAMPLE 1 PERCENT (system)" if rows > SAMPLED_ABOVE else "")).fetchone()
    if row is None or not row[0]:  # the sample missed every vector
        row = cursor.execute(sql).fetchone()
    assert row is not None
    measured, lengths = int(row[0]), sum(int(value) for value in row[1:])
    return rows * fixed + round(lengths * rows / measured)


_ERROR_PREFIX = re.compile(r"^[A-Za-z ]*Error:\s*")


def _failure(exc: duckdb.Error, target: Target, fmt: str) -> DatasetError:
    """DuckDB's error as the error robustapp raises, naming the file and what is wrong."""
    message = _message(exc, target)
    if isinstance(exc, duckdb.InterruptException):
        return ImportCancelled(f"the import of {target.label} was cancelled; nothing was written")
    if isinstance(exc, duckdb.CatalogException) and "Type with name" in message:
        return ImportOptionsError(f"{target.label}: {message}")
    if isinstance(exc, duckdb.BinderException) and "COLUMN_TYPES" in message:
        return ImportOptionsError(f"{target.label}: {message.removeprefix('COLUMN_TYPES error: ')}")
    if not target.source.exists():
        return ImportFailed(f"{target.source} disappeared while it was read ({message})")
    if fmt == "parquet":
        return ImportFailed(f"{target.label} is not a valid Parquet file: {message}")
    if isinstance(exc, duckdb.ConversionException):
        return ImportFailed(f"{target.label}: {message} (set the column's type to read it differently)")
    if _is_line_too_long(exc):  # DuckDB's message quotes the whole line
        return ImportFailed(f"{target.label}: a line is longer than {MAX_LINE_BYTES // 2**20} MB, the most it reads")
    return ImportFailed(f"{target.label}: {message}")


def _message(exc: duckdb.Error, target: Target) -> str:
    """DuckDB's message without its prefix, its SQL excerpt and its hints, naming the user's file."""
    lines = []
    for line in str(exc).replace(str(target.read_path), target.label).splitlines():
        if not line.strip() or line.startswith(("LINE ", "Possible ", "*")) or set(line.strip()) == {"^"}:
            if lines:
                break
            continue
        lines.append(line.strip())
    text = "; ".join(lines) if lines else type(exc).__name__
    return _ERROR_PREFIX.sub("", text, count=1)[:1000]
