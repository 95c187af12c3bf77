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
    └── QueryError
        ├── QueryRefusedError  the SQL editor does not run that statement (not a query, reads files, …)
        ├── QueryFailedError   DuckDB could not parse or run the query (its message says where)
        └── QueryCancelledError  the query was cancelled or ran past its time limit

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
