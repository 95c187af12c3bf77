"""The owner of the DuckDB file.

    thread A ─┐                      ┌─ read():  its own thread-local cursor, no lock
    thread B ─┼─ Database ───────────┤
    thread C ─┘   (one per process)  └─ transaction(): the writer lock → BEGIN … COMMIT / ROLLBACK
                                        │   then, if committed, on_commit listeners(touched tags)
                                        idle checkpointer: CHECKPOINT once writes pause

DuckDB lets one process open a file read-write and reports concurrent writes to the same
rows as `TransactionException: … Conflict`, instead of waiting. So every write goes through
one lock (conflicts cannot arise between our own writers), and `write()` retries the rare
conflict with something outside that path. Automatic checkpoints are pushed far out and a
background thread checkpoints when the database has been idle, so a CHECKPOINT never lands
inside a user's commit.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import duckdb
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_random_exponential

from robustapp.errors import DatabaseBusyError, DatabaseOpenError, TransactionAbortedError
from robustapp.logs import get_logger

T = TypeVar("T")
CommitListener = Callable[[frozenset[str]], None]
log = get_logger(__name__)

_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<exe>.+?) \(PID (?P<pid>\d+)\)")


def _is_conflict(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.TransactionException) and "Conflict" in str(exc)


def open_connection(path: Path, *, read_only: bool = False, memory_mb: int | None = None) -> duckdb.DuckDBPyConnection:
    """Open `path`, translating DuckDB's errors into ones that say what to do.

    `memory_mb` caps DuckDB's memory (its default is 80 % of the machine's): big sorts, joins and
    aggregates spill to a folder beside the database instead.
    """
    config: dict[str, str | bool] = {
        # Offline by design: never fetch extensions at run time.
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        # Checkpoints are ours to schedule (see IdleCheckpointer).
        "checkpoint_threshold": "1GB",
    }
    if memory_mb is not None:
        config["memory_limit"] = f"{memory_mb}MB"
    try:
        return duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        message = str(exc)
        holder = _LOCK_HOLDER.search(message)
        if holder:
            raise DatabaseBusyError(
                f"database {path} is in use by another process (PID {holder['pid']}); "
                "stop the running app or use the command through it"
            ) from None
        if "not a valid DuckDB database" in message:
            raise DatabaseOpenError(
                f"{path} is not a DuckDB database (it was left untouched); "
                "move it away or restore a backup"
            ) from None
        raise DatabaseOpenError(f"cannot open database {path}: {message}") from None
    except duckdb.Error as exc:
        raise DatabaseOpenError(f"cannot open database {path}: {exc}") from None


class Database:
    """One process's handle on the DuckDB file: reads, the single write path, checkpoints."""

    def __init__(self, path: Path, *, checkpoint_idle_seconds: float = 5.0, memory_mb: int | None = None) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = open_connection(path, memory_mb=memory_mb)
        self._writer = threading.RLock()
        self._local = threading.local()
        self._cursors: dict[threading.Thread, duckdb.DuckDBPyConnection] = {}
        self._cursors_lock = threading.Lock()
        self._last_write = time.monotonic()
        self._dirty = False
        self._closed = False
        self._companions: dict[type, Any] = {}
        self._companions_lock = threading.Lock()
        self._commit_listeners: tuple[CommitListener, ...] = ()
        self._open_shared = 0  # non-exclusive transactions in progress
        self._checkpointer = IdleCheckpointer(self, checkpoint_idle_seconds)
        self._checkpointer.start()

    def companion(self, kind: type[T]) -> T:
        """This database's one `kind()` in this process: per-file memory such as caches and guesses."""
        with self._companions_lock:
            if kind not in self._companions:
                self._companions[kind] = kind()
            return self._companions[kind]

    # -- reads -------------------------------------------------------------------------

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's own cursor (DuckDB connections are not shared between threads)."""
        if self._closed:
            raise DatabaseOpenError(f"database {self.path} is closed")
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._conn.cursor()
            self._local.cursor = cursor
            with self._cursors_lock:
                self._close_cursors_of_finished_threads()
                self._cursors[threading.current_thread()] = cursor
        return cursor

    def _close_cursors_of_finished_threads(self) -> None:
        """Streamlit runs every rerun on a new thread: without this, one cursor per rerun would leak."""
        for thread in [t for t in self._cursors if not t.is_alive()]:
            self._cursors.pop(thread).close()

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple]:
        """Run a read and return every row."""
        return self.cursor().execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> tuple | None:
        """The first row, or None. The result is read to its end: a half-read result keeps its
        transaction open, and an open transaction blocks every CHECKPOINT."""
        rows = self.cursor().execute(sql, params).fetchall()
        return rows[0] if rows else None

    # -- the write path ----------------------------------------------------------------

    @contextmanager
    def transaction(
        self, *, touches: Iterable[str] = (), exclusive: bool = True
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction on this thread's cursor: commit on success, roll back on error.

        Nested use in the same thread joins the outer transaction; if a nested block raises,
        the whole transaction is rolled back even when the outer block catches the error.
        A failed statement whose error was caught also rolls everything back (DuckDB would
        otherwise answer COMMIT with success and keep nothing): TransactionAbortedError.

        `exclusive` (the default) holds the writer lock for the whole transaction, so writes
        never meet. `exclusive=False` is for long work that writes rows nobody else writes (an
        import into a new table): it takes the lock only to commit, so other writes go on
        meanwhile. Checks that must see what others committed in between go in `before_commit`;
        a write that met another one's fails at COMMIT (duckdb.TransactionException).

        `touches` names what the block changes, as tags ("table:<name>", "dataset:<name>"); after
        the outermost transaction commits, the `on_commit` listeners get the tags of all its blocks.
        """
        depth = getattr(self._local, "depth", 0)
        cursor = self.cursor()
        if depth:
            self._local.touched.update(_as_tags(touches))
            self._local.depth = depth + 1
            try:
                yield cursor
            except BaseException:
                self._local.failed_inside = True
                raise
            finally:
                self._local.depth = depth
            return
        with self._writer if exclusive else self._shared_transaction():
            cursor.execute("BEGIN TRANSACTION")
            self._local.depth = 1
            self._local.failed_inside = False
            self._local.touched = _as_tags(touches)
            self._local.before_commit = []
            try:
                yield cursor
                with self._writer:  # already held when exclusive (it is re-entrant)
                    for check in self._local.before_commit:
                        check()
                    self._check_can_commit(cursor)
                    cursor.execute("COMMIT")
                    self._dirty = True
            except BaseException:
                _rollback_quietly(cursor)
                raise
            finally:
                self._local.depth = 0
                self._local.before_commit = []
                self._last_write = time.monotonic()
        self._tell_commit_listeners(frozenset(self._local.touched))  # reached only after COMMIT

    def before_commit(self, check: Callable[[], None]) -> None:
        """Run `check()` just before this thread's transaction commits, under the writer lock; what
        it raises rolls the transaction back. With `fresh_cursor()` it sees what others committed."""
        if not getattr(self._local, "depth", 0):
            raise RuntimeError("before_commit() is for a block inside db.transaction()")
        self._local.before_commit.append(check)

    @contextmanager
    def fresh_cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived cursor outside this thread's transaction: it reads the latest committed state."""
        cursor = self._conn.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    @contextmanager
    def _shared_transaction(self) -> Iterator[None]:
        """Count the non-exclusive transactions that are open: no idle checkpoint runs meanwhile."""
        with self._companions_lock:
            self._open_shared += 1
        try:
            yield
        finally:
            with self._companions_lock:
                self._open_shared -= 1

    def _check_can_commit(self, cursor: duckdb.DuckDBPyConnection) -> None:
        if self._local.failed_inside:
            raise TransactionAbortedError(
                f"a nested transaction on {self.path} failed; the whole transaction was rolled back"
            )
        try:
            cursor.execute("SELECT 1")  # DuckDB: raises only when the transaction is aborted
        except duckdb.TransactionException as exc:
            raise TransactionAbortedError(
                f"a statement failed inside a transaction on {self.path} and its error was caught; "
                f"nothing was committed ({exc})"
            ) from None

    def write(self, fn: Callable[[duckdb.DuckDBPyConnection], T], *, touches: Iterable[str] = ()) -> T:
        """Run `fn(cursor)` in one transaction (see `transaction` for `touches`), retrying a write-write conflict."""
        touches = _as_tags(touches)  # read once: every attempt touches the same

        @retry(
            retry=retry_if_exception(_is_conflict),
            stop=stop_after_attempt(8),
            wait=wait_random_exponential(multiplier=0.002, max=0.1),
            reraise=True,
        )
        def attempt() -> T:
            with self.transaction(touches=touches) as cursor:
                return fn(cursor)

        return attempt()

    # -- commit listeners --------------------------------------------------------------

    def on_commit(self, listener: CommitListener) -> Callable[[], None]:
        """Call `listener(tags)` after every committed transaction that touched something; returns
        a function that unsubscribes it. Listeners run in the committing thread, after the writer
        lock is released: a cache subscribes here, so no caller has to remember to invalidate."""
        with self._companions_lock:
            self._commit_listeners = (*self._commit_listeners, listener)

        def unsubscribe() -> None:
            with self._companions_lock:
                self._commit_listeners = tuple(x for x in self._commit_listeners if x is not listener)

        return unsubscribe

    def _tell_commit_listeners(self, touched: frozenset[str]) -> None:
        if not touched:
            return
        for listener in self._commit_listeners:
            try:
                listener(touched)
            except Exception:  # the data is committed: a listener's failure must not report the write as failed
                log.exception("commit listener failed", tags=sorted(touched))

    # -- maintenance -------------------------------------------------------------------

    def checkpoint(self) -> None:
        """Write the WAL into the database file now."""
        with self._writer:
            self.cursor().execute("CHECKPOINT")
            self._dirty = False

    def checkpoint_if_idle(self, idle_seconds: float) -> bool:
        """Checkpoint when there are unflushed writes and none for `idle_seconds`."""
        if not self._dirty or self._open_shared or time.monotonic() - self._last_write < idle_seconds:
            return False
        if not self._writer.acquire(blocking=False):
            return False
        try:
            self.cursor().execute("CHECKPOINT")
            self._dirty = False
            return True
        except duckdb.TransactionException:
            return False  # a reader's transaction is open; try again on the next tick
        finally:
            self._writer.release()

    def size_bytes(self) -> int:
        wal = self.path.with_name(self.path.name + ".wal")
        return sum(p.stat().st_size for p in (self.path, wal) if p.exists())

    def close(self) -> None:
        """Final checkpoint, then release the file."""
        if self._closed:
            return
        self._checkpointer.stop()
        with self._writer:
            self._closed = True
            with self._cursors_lock:  # first: a cursor's open read would block the checkpoint
                for cursor in self._cursors.values():
                    cursor.close()
                self._cursors.clear()
            try:
                self._conn.execute("CHECKPOINT")
            except duckdb.Error as exc:
                log.warning("final checkpoint failed", error=str(exc))
            self._conn.close()
        log.info("database closed", path=str(self.path))

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ReadOnly:
    """A read-only transaction in progress; `timed_out` tells, while in it, whether its time limit stopped it."""

    def __init__(self, timer: threading.Timer | None) -> None:
        self._timer = timer

    @property
    def timed_out(self) -> bool:
        return self._timer is not None and not self._timer.is_alive()


@contextmanager
def read_only(cursor: duckdb.DuckDBPyConnection, *, timeout: float | None = None) -> Iterator[ReadOnly]:
    """One read-only transaction on `cursor`: one consistent state of the data, nothing can be written,
    always rolled back; after `timeout` seconds its statement is interrupted (duckdb.InterruptException)."""
    timer = threading.Timer(timeout, cursor.interrupt) if timeout else None
    cursor.execute("BEGIN TRANSACTION READ ONLY")
    try:
        if timer:
            timer.start()
        yield ReadOnly(timer)
    finally:
        if timer:
            timer.cancel()
        cursor.execute("ROLLBACK")


OUT_OF_MEMORY_HINT = (
    "The database may use only the memory ROBUSTAPP_DB_MEMORY_MB allows (Settings shows it): ask for less "
    "at once (filter first, fewer groups or columns), or raise that setting and restart robustapp"
)


def first_lines(exc: BaseException, limit: int = 6) -> str:
    """DuckDB's message (with its LINE/caret lines), without the long tail some errors carry.

    Out of memory: DuckDB's own advice (SET threads, SET memory_limit) is not the user's to follow here,
    so the app's is given instead.
    """
    lines = str(exc).strip().splitlines()
    if isinstance(exc, duckdb.OutOfMemoryException):
        return f"{lines[0].rstrip('.')}. {OUT_OF_MEMORY_HINT}."
    return "\n".join(lines[:limit])


def _as_tags(touches: Iterable[str]) -> set[str]:
    return {touches} if isinstance(touches, str) else set(touches)


def _rollback_quietly(cursor: duckdb.DuckDBPyConnection) -> None:
    """Roll back without hiding the error that caused it; DuckDB may already have ended the transaction."""
    try:
        cursor.execute("ROLLBACK")
    except duckdb.Error as exc:
        log.warning("rollback failed", error=str(exc))


class IdleCheckpointer(threading.Thread):
    """Checkpoints the database once writes have paused for a while."""

    def __init__(self, database: Database, idle_seconds: float) -> None:
        super().__init__(name="robustapp-checkpointer", daemon=True)
        self._database = database
        self._idle_seconds = idle_seconds
        self._stopped = threading.Event()

    def run(self) -> None:
        tick = min(1.0, self._idle_seconds / 2)
        while not self._stopped.wait(tick):
            try:
                if self._database.checkpoint_if_idle(self._idle_seconds):
                    log.debug("idle checkpoint done")
            except duckdb.Error as exc:
                log.warning("idle checkpoint failed", error=str(exc))

    def stop(self) -> None:
        self._stopped.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=5)
