"""The file behind an import, before any SQL: is it there, what is it, how is it read.

path ──check()──▶ Source (resolved path, size, first bytes)      ImportFailed: missing, a folder, empty, binary
     ──has_long_line()──▶ may a line be this long? (a few short reads, not a pass over the file)
     ──readable_path()──▶ a path DuckDB reads literally (it treats * ? [ as a glob)
     ──transcode()──▶ a UTF-8 copy, for encodings DuckDB's CSV reader does not decode itself
     ──read_sheet()──▶ an xlsx sheet as an Arrow record batch (fastexcel)
"""

from __future__ import annotations

import codecs
import csv
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from robustapp.domain.datasets import Format, ImportOptions, binary_kind, format_of
from robustapp.errors import ImportFailed, ImportOptionsError

if TYPE_CHECKING:
    import pyarrow as pa

HEAD_BYTES = 64 * 1024
_GLOB_CHARACTERS = frozenset("*?[]{}")
_CHUNK = 4 * 2**20
_PROBE = 4096


@dataclass(frozen=True)
class Source:
    """A file that exists and holds something: its resolved path, size and first bytes."""

    path: Path
    size: int
    head: bytes

    @property
    def label(self) -> str:
        return self.path.name


def check(path: Path) -> Source:
    """The file at `path`, or ImportFailed saying why it cannot be imported."""
    path = Path(os.path.expanduser(path)).resolve()
    if not path.exists():
        raise ImportFailed(f"{path} does not exist")
    if path.is_dir():
        raise ImportFailed(f"{path} is a folder, not a file: choose a file inside it")
    if not path.is_file():
        raise ImportFailed(f"{path} is not a regular file")
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
        size = path.stat().st_size
    except FileNotFoundError:
        raise ImportFailed(f"{path} disappeared before it could be read") from None
    except OSError as exc:
        raise ImportFailed(f"{path} cannot be read: {exc.strerror or exc}") from None
    if size == 0:
        raise ImportFailed(f"{path} is empty (0 bytes)")
    return Source(path, size, head)


def check_text(source: Source, options: ImportOptions) -> None:
    """ImportFailed unless a CSV source looks like text: not binary, not only blank lines."""
    if options.encoding == "utf-16":
        return
    kind = binary_kind(source.head)
    if kind:
        raise ImportFailed(f"{source.label} is {kind}, not a CSV/TSV text file")
    if source.size <= len(source.head) and not source.head.strip():
        raise ImportFailed(f"{source.label} is empty (only blank lines)")


def first_line(source: Source, encoding: str) -> str:
    """The file's first line, decoded (a UTF-8 byte order mark dropped), for guessing the dialect."""
    text = source.head.decode(encoding if encoding != "utf-8" else "utf-8-sig", errors="replace")
    return text.splitlines()[0] if text.strip() else ""


def header_names(line: str, delimiter: str, quote: str) -> list[str]:
    """The fields of a header line, as Python's csv module splits it."""
    if not line:
        return []
    quoting = csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE
    reader = csv.reader([line], delimiter=delimiter, quotechar=quote or None, quoting=quoting)
    return next(reader, [])


def has_long_line(source: Source, length: int, read_path: Path | None = None) -> bool:
    """Whether the file (or the copy of it at `read_path`) may hold a line of `length` bytes or more: some
    aligned stretch of `length // 2` bytes holds no line break (a line that long always covers one).
    One short read per stretch, not a pass over the file."""
    stretch = max(1, length // 2)
    try:
        with (read_path or source.path).open("rb") as handle:
            for start in range(0, os.fstat(handle.fileno()).st_size - stretch + 1, stretch):
                handle.seek(start)
                if not _breaks_within(handle, stretch):
                    return True
    except FileNotFoundError:
        raise ImportFailed(f"{source.path} disappeared before it could be read") from None
    except OSError as exc:
        raise ImportFailed(f"{source.path} cannot be read: {exc.strerror or exc}") from None
    return False


def _breaks_within(handle: BinaryIO, limit: int) -> bool:
    """Whether the next `limit` bytes hold a line break (or the file ends first)."""
    left = limit
    while left > 0:
        chunk = handle.read(min(_PROBE, left))
        if not chunk or b"\n" in chunk or b"\r" in chunk:
            return True
        left -= len(chunk)
    return False


def readable_path(source: Source, temp_dir: Path) -> Path:
    """A path DuckDB reads as this one file: DuckDB expands * ? [ ] as a glob, so such a name is linked."""
    if not _GLOB_CHARACTERS.intersection(str(source.path)):
        return source.path
    link = temp_dir / f"source{source.path.suffix.lower()}"
    if _GLOB_CHARACTERS.intersection(str(link)):
        raise ImportFailed(f"the temporary folder {temp_dir} has * ? [ ] in its name; DuckDB cannot read from it")
    try:
        link.symlink_to(source.path)
    except OSError:  # no symlinks here (e.g. Windows without developer mode): copy instead
        shutil.copyfile(source.path, link)
    return link


def transcode(source: Source, encoding: str, temp_dir: Path) -> Path:
    """A UTF-8 copy of a text file in `encoding`; ImportFailed names the line of a byte that does not decode."""
    target = temp_dir / "source-utf8.csv"
    decoder = codecs.getincrementaldecoder(encoding)()
    lines_before = 0
    try:
        with source.path.open("rb") as reader, target.open("w", encoding="utf-8", newline="") as writer:
            while True:
                chunk = reader.read(_CHUNK)
                try:
                    writer.write(decoder.decode(chunk, final=not chunk))
                except UnicodeDecodeError as exc:
                    line = lines_before + chunk[: exc.start].count(b"\n") + 1
                    raise ImportFailed(
                        f"{source.label} line {line}: byte {chunk[exc.start : exc.start + 1]!r} "
                        f"is not valid {encoding} "
                        f"({exc.reason}); choose the file's encoding"
                    ) from None
                if not chunk:
                    return target
                lines_before += chunk.count(b"\n")
    except FileNotFoundError:
        raise ImportFailed(f"{source.path} disappeared while it was read") from None


def read_sheet(source: Source, options: ImportOptions) -> tuple[pa.RecordBatch, list[str] | None]:
    """The chosen sheet as Arrow, and the raw header cells (None without a header row)."""
    import fastexcel  # a Rust reader (calamine): no pandas, no extension, nothing downloaded

    try:
        workbook = fastexcel.read_excel(source.path)
    except (fastexcel.FastExcelError, OSError) as exc:
        if not source.path.exists():
            raise ImportFailed(f"{source.path} disappeared while it was read") from None
        raise ImportFailed(f"{source.label} is not a readable .xlsx workbook: {_first_line(exc)}") from None
    sheet = options.sheet if options.sheet is not None else 0
    if isinstance(sheet, str) and sheet not in workbook.sheet_names and sheet.isdigit():
        sheet = int(sheet)
    if isinstance(sheet, int) and not 0 <= sheet < len(workbook.sheet_names):
        raise ImportOptionsError(
            f"{source.label} has {len(workbook.sheet_names)} sheet(s) ({_names(workbook.sheet_names)}); "
            f"there is no sheet number {sheet} (counting from 0)"
        )
    if isinstance(sheet, str) and sheet not in workbook.sheet_names:
        raise ImportOptionsError(f"{source.label} has no sheet {sheet!r}; its sheets: {_names(workbook.sheet_names)}")
    header_row = None if options.header is False else 0
    try:
        batch = workbook.load_sheet(sheet, header_row=header_row).to_arrow()
        raw = None
        if header_row is not None and batch.num_columns:
            first = workbook.load_sheet(sheet, header_row=None, n_rows=1, dtypes="string").to_arrow()
            raw = (
                ["" if value is None else str(value) for value in first.to_pylist()[0].values()]
                if first.num_rows
                else None
            )
    except fastexcel.FastExcelError as exc:
        raise ImportFailed(f"{source.label}, sheet {sheet!r}: {_first_line(exc)}") from None
    return batch, raw


def _names(names: list[str]) -> str:
    return ", ".join(repr(name) for name in names)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def guessed_format(source: Source, options: ImportOptions) -> Format:
    """The format to read `source` as: the option, else the extension, else the first bytes, else CSV."""
    return options.format or format_of(source.path, source.head) or "csv"
