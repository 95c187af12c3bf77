"""The errors robustapp raises on purpose.

    AppError
    ├── ConfigError            a setting has a bad value, or a path is unusable
    ├── StorageError
    │   ├── DatabaseOpenError  the database file cannot be opened (not DuckDB, locked, unreadable)
    │   ├── DatabaseBusyError  another process owns the database file
    │   ├── TransactionAbortedError  a statement or nested block failed; nothing was committed
    │   ├── MigrationError     a migration failed; the database is left at the previous version
    │   └── SchemaTooNewError  the database was written by a newer robustapp
    ├── ServerError
    │   ├── ServerStartError   the server did not come up (the message names the log file)
    │   └── ControlAPIError    the running app's control API refused or failed a request
    ├── AlreadyRunningError    an instance of the app already owns this data home
    ├── QueryError
    │   ├── QueryRefusedError  the SQL editor does not run that statement (not a query, reads files, …)
    │   ├── QueryFailedError   DuckDB could not parse or run the query (its message says where)
    │   └── QueryCancelledError  the query was cancelled or ran past its time limit
    ├── JobError
    │   ├── UnknownJobError    no job function is registered under that name
    │   ├── JobNotFoundError   no job has that id
    │   └── JobParamsError     a job's parameters do not fit its function or are not JSON
    ├── DatasetError
    │   ├── ImportFailed       a file could not be imported (the message names the file, line, column); nothing was written
    │   ├── ImportCancelled    an import was cancelled; nothing was written
    │   ├── ImportOptionsError an import option is not valid (unknown encoding, type or column)
    │   ├── DatasetNotFound    no dataset (or no deleted one to restore) has that name
    │   ├── DatasetNameTaken   another dataset already has that name (case-insensitively)
    │   └── DatasetNameInvalid a dataset name is empty or too long
    ├── AnalysisError
    │   ├── AnalysisInvalid    an analysis does not fit its dataset (a column gone, y not numeric, …)
    │   ├── AnalysisNotFound   no saved analysis has that name
    │   ├── AnalysisNameTaken  another saved analysis already has that name (case-insensitively)
    │   └── AnalysisNameInvalid  an analysis name is empty or too long
    ├── ExportError            an export cannot be written (too many rows for Excel, an unwritable path)
    └── BackupError
        ├── BackupNotFoundError  no backup has that id, or there is no backup yet
        ├── BackupInvalidError   a backup file is damaged, truncated, edited or not a robustapp backup
        │   └── BackupTooNewError  a backup was made by a newer robustapp (schema or format)
        └── BackupBusyError      another backup or restore of this data home is in progress

Raise the specific error where you know what went wrong; translate at the edge only
(the CLI prints `ErrorName: message` and exits 1, the UI shows a panel with a trace id).
"""


class AppError(Exception):
    """Root of every error robustapp raises on purpose."""


class ConfigError(AppError):
    """A setting has a bad value, or a configured path cannot be used."""


class StorageError(AppError):
    """Something went wrong in the storage layer."""


class DatabaseOpenError(StorageError):
    """The database file exists but cannot be opened as a DuckDB database."""


class DatabaseBusyError(StorageError):
    """Another process holds the database file open."""


class TransactionAbortedError(StorageError):
    """A transaction could not commit because a statement or a nested block in it failed."""


class MigrationError(StorageError):
    """A migration failed and was rolled back."""


class SchemaTooNewError(StorageError):
    """The database's schema is newer than this version of robustapp knows."""


class ServerError(AppError):
    """The embedded server could not be started or reached."""


class ServerStartError(ServerError):
    """The server process did not become healthy in time."""


class ControlAPIError(ServerError):
    """The running app's control API refused or failed a request."""


class AlreadyRunningError(AppError):
    """Another instance of the app already owns this data home."""


class QueryError(AppError):
    """A query from the SQL editor did not give a result."""


class QueryRefusedError(QueryError):
    """The statement is not one the read-only SQL editor runs; the message says why."""


class QueryFailedError(QueryError):
    """DuckDB could not parse or run the query."""


class QueryCancelledError(QueryError):
    """The query was cancelled, or stopped at its time limit."""


class JobError(AppError):
    """A background job could not be enqueued, found or changed."""


class UnknownJobError(JobError):
    """No job function is registered under the given name (or the function is not registered)."""


class JobNotFoundError(JobError):
    """No job has the given id."""


class JobParamsError(JobError):
    """A job's parameters do not match its function's signature, or cannot be stored as JSON."""


class DatasetError(AppError):
    """A dataset could not be imported, found or changed."""


class ImportFailed(DatasetError):  # noqa: N818 - named for what the user sees: the import failed
    """A file could not be imported (empty, not its format, malformed rows, gone); nothing was written."""


class ImportCancelled(DatasetError):  # noqa: N818 - like ImportFailed
    """An import was cancelled while it ran; nothing was written."""


class ImportOptionsError(DatasetError):
    """An import option is not valid: an unknown encoding, type or column, a bad delimiter."""


class DatasetNotFound(DatasetError):  # noqa: N818 - reads as the condition, like FileNotFoundError
    """No dataset has the given name (or, for restore, no deleted one within the undo window)."""


class DatasetNameTaken(DatasetError):  # noqa: N818 - reads as the condition
    """Another dataset already has the name (names are compared case-insensitively)."""


class DatasetNameInvalid(DatasetError):  # noqa: N818 - reads as the condition
    """A dataset name is empty after trimming, or longer than 100 characters."""


class AnalysisError(AppError):
    """An analysis could not be run, found, saved or changed."""


class AnalysisInvalid(AnalysisError):  # noqa: N818 - reads as the condition
    """An analysis does not fit its dataset as it is now; the message names each field that is wrong."""


class AnalysisNotFound(AnalysisError):  # noqa: N818 - reads as the condition
    """No saved analysis of this owner has the given name."""


class AnalysisNameTaken(AnalysisError):  # noqa: N818 - reads as the condition
    """Another saved analysis of this owner already has the name (compared case-insensitively)."""


class AnalysisNameInvalid(AnalysisError):  # noqa: N818 - reads as the condition
    """An analysis name is empty after trimming, or too long."""


class ExportError(AppError):
    """An export cannot be written: too many rows for an Excel sheet, an unknown format, an unwritable path."""


class BackupError(AppError):
    """A backup could not be made, found, checked or restored."""


class BackupNotFoundError(BackupError):
    """No backup has the given id (or, for `latest`, no backup that verifies exists)."""


class BackupInvalidError(BackupError):
    """A backup file is damaged, truncated, edited after it was written, or not a robustapp backup."""


class BackupTooNewError(BackupInvalidError):
    """A backup was made by a newer robustapp (a newer schema or file format) and cannot be restored here."""


class BackupBusyError(BackupError):
    """Another backup or restore of this data home is in progress."""
