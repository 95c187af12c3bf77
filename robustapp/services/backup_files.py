"""Backup files on disk: seal, read back, hash, extract, list, and clear away unfinished ones.

    snapshot ──▶ .<id>.robustapp-backup.<pid>.part ── seal(): + manifest, fsync ──▶ <id>.robustapp-backup
                 (never listed; removed once its process is gone)     os.replace: complete or absent

The format itself is drawn in robustapp.domain.backups. This module imports no DuckDB, so
`robustapp backup list` starts fast.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
from pydantic import ValidationError

from robustapp.domain.backups import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST_MEMBER,
    SUFFIX,
    BackupInfo,
    Manifest,
    newest_first,
)
from robustapp.errors import BackupInvalidError, BackupTooNewError

PART = ".part"
HOLD_ENV = "ROBUSTAPP_HOLD_AT"  # tests: a process stops at this named point, so it can be killed there
CHUNK = 4 << 20
_NOT_A_BACKUP = "is not a robustapp backup, or it is truncated (no manifest at its end)"


def hold_point(point: str) -> None:
    """A named point in a backup or restore where a test may hold the process (to kill it there)."""
    if os.environ.get(HOLD_ENV) == point:
        print(f"holding at {point}", file=sys.stderr, flush=True)
        time.sleep(3600)


def final_path(folder: Path, backup_id: str) -> Path:
    return folder / f"{backup_id}{SUFFIX}"


def part_path(folder: Path, backup_id: str) -> Path:
    """Where a backup is written until it is complete: hidden, and named after this process."""
    return folder / f".{backup_id}{SUFFIX}.{os.getpid()}{PART}"


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (a no-op where directories cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def sha256_of(path: Path, size: int | None = None, progress: Callable[[float], None] | None = None) -> str:
    """The sha256 of the first `size` bytes of `path` (all of it by default)."""
    digest = hashlib.sha256()
    total = path.stat().st_size if size is None else size
    done = 0
    with open(path, "rb") as handle:
        while done < total:
            chunk = handle.read(min(CHUNK, total - done))
            if not chunk:
                break
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(done / total if total else 1.0)
    return digest.hexdigest()


def copy_bytes(source: Path, target: Path, size: int, progress: Callable[[float], None] | None = None) -> str:
    """Write the first `size` bytes of `source` to a new file `target`, fsync it; return their sha256."""
    digest = hashlib.sha256()
    done = 0
    with open(source, "rb") as src, open(target, "xb") as dst:
        while done < size:
            chunk = src.read(min(CHUNK, size - done))
            if not chunk:
                raise BackupInvalidError(f"{source} ended after {done} of {size} bytes")
            dst.write(chunk)
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(done / size)
        dst.flush()
        os.fsync(dst.fileno())
    return digest.hexdigest()


def seal(part: Path, final: Path, manifest: Manifest) -> Path:
    """Append the manifest to the finished snapshot `part`, fsync, and rename it to `final`."""
    if final.exists():
        raise FileExistsError(f"{final} already exists")
    body = json.dumps(manifest.sealed().model_dump(mode="json"), indent=2).encode()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.comment = f"{FORMAT} {FORMAT_VERSION}".encode()
        zipped.writestr(MANIFEST_MEMBER, body)
    with open(part, "ab") as handle:
        handle.write(archive.getvalue())
        handle.flush()
        os.fsync(handle.fileno())
    read_manifest(part)  # what was written reads back
    hold_point("backup:sealed")
    os.replace(part, final)
    fsync_dir(final.parent)
    return final


def read_manifest(path: Path) -> Manifest:
    """The manifest of the backup file `path`; BackupInvalidError saying what is wrong if it has none that holds."""
    try:
        with zipfile.ZipFile(path) as zipped:
            entry = zipped.getinfo(MANIFEST_MEMBER)
            raw = zipped.read(entry)
            comment = zipped.comment  # "robustapp-backup <format version>": cut short if the file's end is missing
    except KeyError:
        raise BackupInvalidError(f"{path} {_NOT_A_BACKUP}") from None
    except zipfile.BadZipFile as exc:
        if "CRC" in str(exc) or "Bad magic" in str(exc):
            raise BackupInvalidError(f"{path}: its manifest is damaged ({exc})") from None
        raise BackupInvalidError(f"{path} {_NOT_A_BACKUP}") from None
    except (OSError, EOFError, ValueError) as exc:  # zlib errors are ValueErrors
        raise BackupInvalidError(f"{path}: cannot read its manifest ({exc})") from None
    try:
        data = json.loads(raw)
    except ValueError:
        raise BackupInvalidError(f"{path}: its manifest is not JSON") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupInvalidError(f"{path} is not a robustapp backup (its manifest names another format)")
    if comment != f"{FORMAT} {data.get('format_version')}".encode():
        raise BackupInvalidError(f"{path} {_NOT_A_BACKUP}")
    if isinstance(data.get("format_version"), int) and data["format_version"] > FORMAT_VERSION:
        raise BackupTooNewError(
            f"{path} was made by a newer robustapp (backup format {data['format_version']}; "
            f"this one reads format {FORMAT_VERSION}): install a newer robustapp to use it"
        )
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
        raise BackupInvalidError(f"{path}: its manifest is not valid ({problems})") from None
    if not manifest.is_intact:
        raise BackupInvalidError(f"{path}: its manifest was edited after the backup was made (checksum mismatch)")
    if entry.header_offset != manifest.database.offset + manifest.database.size:
        raise BackupInvalidError(
            f"{path}: the database inside is {entry.header_offset} bytes, its manifest says "
            f"{manifest.database.size}: the file was cut or added to"
        )
    return manifest


def describe(path: Path) -> BackupInfo:
    """What `backup list` shows for one file: its manifest, or the problem that hides it."""
    size = path.stat().st_size
    try:
        return BackupInfo.of(str(path), size, read_manifest(path))
    except BackupInvalidError as exc:
        return BackupInfo(id=path.name.removesuffix(SUFFIX), path=str(path), size_bytes=size, problem=str(exc))


def list_folder(folder: Path) -> list[BackupInfo]:
    """The finished backups in `folder`, newest first (unfinished `.part` files are never listed)."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob(f"*{SUFFIX}"):
        if path.name.startswith(".") or not path.is_file():
            continue
        with contextlib.suppress(FileNotFoundError):  # pruned meanwhile
            found.append(describe(path))
    return newest_first(found)


def _part_owner(path: Path) -> int | None:
    """The pid in `.<…>.<pid>.part` (or `….part.wal`), or None for a name that is not ours."""
    name = path.name.removesuffix(".wal")
    if not name.startswith(".") or not name.endswith(PART):
        return None
    pid = name.removesuffix(PART).rpartition(".")[2]
    return int(pid) if pid.isdigit() else None


def unfinished(folder: Path) -> Iterator[Path]:
    """Files left by backups or restores whose process is gone (a crash, a kill) — or by this one."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        pid = _part_owner(path)
        if pid is not None and (pid == os.getpid() or not psutil.pid_exists(pid)):
            yield path


def remove_unfinished(*folders: Path) -> list[Path]:
    """Delete what `unfinished` finds; call it only while holding the backup lock."""
    removed = []
    for folder in folders:
        for path in list(unfinished(folder)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed
