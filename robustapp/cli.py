"""The command line: `robustapp` alone opens the desktop app; subcommands serve power users.

Exit codes: 0 success · 1 the command failed (the message says why) · 2 usage error.
Heavy modules (streamlit, webview, duckdb) are imported inside the commands, so `--help`
and light commands start fast.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from robustapp import __version__
from robustapp.errors import AppError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from robustapp.bootstrap import Services
    from robustapp.config import Settings
    from robustapp.services.instance import RunningApp
    from robustapp.services.audit import AuditFilter
    from robustapp.storage import Database

app = typer.Typer(
    name="robustapp",
    help="A desktop data workbench for offline analysts. Run without a command to open the app.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="The database: migrations, status, demo data.", no_args_is_help=True)
app.add_typer(db_app, name="db")
audit_app = typer.Typer(help="The audit trail: check that it is intact, export it.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
data_app = typer.Typer(help="Datasets: import files, list, rename, delete, restore, export.", no_args_is_help=True)
app.add_typer(data_app, name="data")
backup_app = typer.Typer(help="Backups of the database: make, list, check, restore, prune.", no_args_is_help=True)
app.add_typer(backup_app, name="backup")

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _settings(**overrides: Any) -> Settings:
    from robustapp.config import load_settings

    return load_settings(**{k: v for k, v in overrides.items() if v is not None})


def _running(settings: Settings) -> RunningApp | None:
    from robustapp.services.instance import find_running

    return find_running(settings.paths)


@contextmanager
def _offline_services(settings: Settings, *, migrate_schema: bool = True) -> Iterator[Services]:
    """Open the database directly; only valid while no app is running."""
    from robustapp import bootstrap

    services = bootstrap.build(settings, migrate_schema=migrate_schema)
    try:
        yield services
    finally:
        services.close()


def _log_to_file(settings: Settings) -> None:
    """Create the dirs and send log lines to the log file (never into the command's output)."""
    from robustapp.logs import configure_logging

    settings.paths.ensure()
    configure_logging(settings.paths.log_file, level=settings.log_level.value)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"robustapp {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    import structlog

    from robustapp.logs import new_trace_id

    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(trace_id=new_trace_id(), command=ctx.invoked_subcommand or "run")
    if ctx.invoked_subcommand is None:
        ctx.invoke(run)


@app.command()
def run(
    headless: Annotated[bool, typer.Option("--headless", help="Serve only; print the URL to open.")] = False,
    browser: Annotated[bool, typer.Option("--browser", help="Open in the system browser, not a window.")] = False,
    host: Annotated[str | None, typer.Option(help="Address to bind (loopback only).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind (0 = a free one).")] = None,
    debug: Annotated[bool | None, typer.Option("--debug/--no-debug", help="Show error details.")] = None,
) -> None:
    """Start the app: a desktop window by default."""
    settings = _settings(host=host, port=port, debug=debug)
    if headless:
        from robustapp.server import run_server

        run_server(settings, mode="headless")
        return
    from robustapp.desktop.launcher import launch

    raise typer.Exit(launch(settings, browser=browser))


@app.command("serve", hidden=True)
def serve(
    parent_pid: Annotated[int | None, typer.Option(help="Exit when this process is gone.")] = None,
    mode: Annotated[str, typer.Option(help="desktop | browser | headless")] = "desktop",
) -> None:
    """Internal: the server child process the launcher starts."""
    from robustapp.server import run_server

    run_server(_settings(), mode=mode, parent_pid=parent_pid)


@app.command()
def worker(
    workers: Annotated[
        int | None, typer.Option("--workers", "-w", min=1, max=64, help="Worker processes (default: ROBUSTAPP_JOB_MAX_WORKERS).")
    ] = None,
    until_idle: Annotated[bool, typer.Option("--until-idle", help="Exit once no job is queued or running.")] = False,
) -> None:
    """Run queued background jobs without the app, until Ctrl-C or SIGTERM (not while the app runs)."""
    import signal
    import threading

    from robustapp.services.worker import run_worker

    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:  # SIGTERM stops the worker as Ctrl-C does
        previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        finished = run_worker(_settings(job_max_workers=workers), echo=typer.echo, until_idle=until_idle)
    except KeyboardInterrupt:  # run_worker interrupted the running jobs and released the database on its way out
        typer.echo("worker stopped")
        return
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
    typer.echo(f"worker done: {finished} job(s) finished")


@app.command()
def init() -> None:
    """Create the data directories and the database, and migrate it (safe to repeat)."""
    settings = _settings()
    running = _running(settings)
    if running:
        typer.echo(f"robustapp is running (PID {running.pid}); its data home is ready: {settings.paths.data_dir}")
        return
    with _offline_services(settings) as services:
        from robustapp.storage import schema_version

        typer.echo(f"Initialised {services.paths.data_dir} (database schema {schema_version(services.db)})")


@app.command()
def status(as_json: JsonOption = False) -> None:
    """Is the app running? Its PID, URL, data paths, schema version and sizes."""
    settings = _settings()
    running = _running(settings)
    if running:
        from robustapp.services.control_client import ControlClient

        info = ControlClient(running).get("/api/status")
    else:
        if not settings.paths.db_path.exists():
            info = {"running": False, "database": str(settings.paths.db_path), "initialised": False}
        else:
            with _offline_services(settings, migrate_schema=False) as services:
                from robustapp.services.health import status as describe

                info = {"running": False, **describe(services.db, services.paths)}
    if as_json:
        _echo_json(info)
        return
    if info.get("running"):
        typer.echo(f"running: yes (PID {info['pid']}, {info['mode']}) at {info['url']}")
    else:
        typer.echo("running: no")
    for key in ("version", "schema_version", "database", "database_bytes"):
        if key in info:
            typer.echo(f"{key}: {info[key]}")
    for name, path in info.get("paths", {}).items():
        typer.echo(f"{name} dir: {path}")
    for name, size in info.get("sizes", {}).items():
        typer.echo(f"{name}: {size}")
    if "last_backup" in info:
        last = info["last_backup"]
        typer.echo(f"last backup: {last['created_at']} ({last['kind']}, {last['id']})" if last else "last backup: none yet")
    if info.get("initialised") is False:
        typer.echo("not initialised yet: run `robustapp init`")


@app.command()
def health(as_json: JsonOption = False) -> None:
    """Check that the database opens (or the server answers) and disk space; exit 1 if not."""
    settings = _settings()
    running = _running(settings)
    if running:
        from robustapp.services.control_client import ControlClient

        report = ControlClient(running).get("/api/health")
        source = f"running app (PID {running.pid})"
    else:
        from robustapp.services.health import file_health

        _log_to_file(settings)
        report = file_health(settings.paths).to_dict()
        source = "database file"
    if as_json:
        _echo_json(report)
    else:
        typer.echo(f"checked: {source}")
        for check_ in report["checks"]:
            typer.echo(f"{'ok  ' if check_['ok'] else 'FAIL'} {check_['name']}: {check_['detail']}")
    raise typer.Exit(0 if report["ok"] else 1)


@app.command("config")
def show_config(as_json: JsonOption = False) -> None:
    """Print the effective settings (secrets masked)."""
    from robustapp.services.settings_view import effective_settings

    values = effective_settings(_settings())
    if as_json:
        _echo_json(values)
        return
    for key, value in values.items():
        typer.echo(f"{key}={value}")


@app.command()
def clean(
    all_data: Annotated[bool, typer.Option("--all", help="Also delete user data (database, backups).")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete caches, logs and temp files; user data only with --all and a confirmation."""
    from robustapp.services.housekeeping import clean as do_clean

    settings = _settings()
    if all_data:
        if _running(settings):
            raise AppError("the app is running; stop it before deleting user data")
        if not yes:
            typer.confirm(
                f"Delete ALL robustapp data in {settings.paths.data_dir}, including your database and backups?",
                abort=True,
            )
    running = _running(settings) is not None
    removed = do_clean(settings.paths, include_user_data=all_data, app_running=running)
    typer.echo(f"removed {removed.files} files ({removed.bytes / 2**20:.1f} MB)")
    if running:
        typer.echo("the app is running: its cache and logs were kept (stop it to clean those too)")


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply pending migrations to the database."""
    settings = _settings()
    running = _running(settings)
    if running:
        from robustapp.services.control_client import ControlClient

        info = ControlClient(running).get("/api/status")
        typer.echo(
            f"the running app (PID {running.pid}) migrated the database when it started: "
            f"schema {info['schema_version']}/{info['latest_schema_version']}"
        )
        return
    from robustapp.services.auto_backups import before_migration
    from robustapp.storage import Database, migrate, schema_version

    _log_to_file(settings)
    with Database(settings.paths.db_path) as db:
        applied = migrate(db, before=before_migration(db, settings.paths, settings.backup_keep))
        for migration in applied:
            typer.echo(f"applied {migration.name}")
        typer.echo(f"schema version {schema_version(db)} ({len(applied)} applied)")


@db_app.command("status")
def db_status(as_json: JsonOption = False) -> None:
    """Schema version, applied and pending migrations."""
    from robustapp.storage.migrations import MIGRATIONS

    settings = _settings()
    running = _running(settings)
    if running:
        from robustapp.services.control_client import ControlClient

        version = ControlClient(running).get("/api/status")["schema_version"]
    elif not settings.paths.db_path.exists():
        version = 0
    else:
        from robustapp.storage import Database, schema_version
        from robustapp.storage.migrations import check_not_too_new

        _log_to_file(settings)
        with Database(settings.paths.db_path) as db:
            check_not_too_new(db)
            version = schema_version(db)
    rows = [{"version": m.version, "name": m.name, "applied": m.version <= version} for m in MIGRATIONS]
    if as_json:
        _echo_json({"schema_version": version, "migrations": rows})
        return
    typer.echo(f"database: {settings.paths.db_path}")
    typer.echo(f"schema version: {version}")
    for row in rows:
        typer.echo(f"  {'applied' if row['applied'] else 'pending'}  {row['name']}")


@db_app.command("seed")
def db_seed(rows: Annotated[int, typer.Option(min=1, max=10_000_000, help="Rows to generate.")] = 1000) -> None:
    """Add generated demo data: demo items, and the demo dataset demo_sales unless it exists."""
    from robustapp.services.demo import DEMO_DATASET

    settings = _settings()
    running = _running(settings)
    if running:
        from robustapp.services.control_client import ControlClient

        added = ControlClient(running, timeout=600).post(f"/api/db/seed?rows={rows}")["added"]
    else:
        from robustapp.services import demo

        with _offline_services(settings) as services:
            added = demo.seed(services.db, rows)
    typer.echo(f"added {added} demo rows")
    typer.echo(f"demo dataset {DEMO_DATASET!r} is ready: open it on the app's Browse page")


@contextmanager
def _stopped_app_db(settings: Settings) -> Iterator[Database]:
    """The database file of a stopped app, opened as it is: never created, never migrated."""
    if not settings.paths.db_path.exists():
        raise AppError(f"there is no database at {settings.paths.db_path} yet: run `robustapp init`")
    from robustapp.storage import Database

    _log_to_file(settings)
    with Database(settings.paths.db_path) as db:
        yield db


@audit_app.command("verify")
def audit_verify(as_json: JsonOption = False) -> None:
    """Check that no audit entry was edited or deleted; exit 1 listing each problem if one was."""
    settings = _settings()
    running = _running(settings)
    if running:
        from robustapp.services.control_client import ControlClient

        report = ControlClient(running, timeout=600).get("/api/audit/verify")
    else:
        from robustapp.services import audit

        with _stopped_app_db(settings) as db:
            report = audit.verify(db).to_dict()
    if as_json:
        _echo_json(report)
    elif report["ok"]:
        typer.echo(f"audit trail intact: {report['entries']} entries")
    else:
        typer.echo(f"audit trail BROKEN: {len(report['problems'])} problem(s) in {report['entries']} entries")
        for problem in report["problems"]:
            typer.echo(f"  entry {problem['seq']}: {problem['reason']}")
    raise typer.Exit(0 if report["ok"] else 1)


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


_DAY = {"formats": ["%Y-%m-%d"], "metavar": "YYYY-MM-DD", "show_default": False}


@audit_app.command("export")
def audit_export(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="csv or json.")] = ExportFormat.CSV,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", dir_okay=False, help="Write to this file (atomically).")
    ] = None,
    scope: Annotated[str | None, typer.Option(help="Only this page or form.")] = None,
    key: Annotated[str | None, typer.Option(help="Only this key.")] = None,
    actor: Annotated[str | None, typer.Option(help="Only changes by this actor.")] = None,
    since: Annotated[datetime | None, typer.Option(help="From this local day on (included).", **_DAY)] = None,
    until: Annotated[datetime | None, typer.Option(help="Up to this local day (included).", **_DAY)] = None,
) -> None:
    """Export audit entries, oldest first, as CSV or JSON: to stdout, or to a file with --output."""
    if since and until and until < since:
        raise typer.BadParameter(f"{until:%Y-%m-%d} is before --since {since:%Y-%m-%d}", param_hint="--until")
    if output is not None and not output.parent.is_dir():
        raise typer.BadParameter(f"the folder {output.parent} does not exist", param_hint="--output")
    from robustapp.services import audit

    start, end = audit.utc_range(since.date() if since else None, until.date() if until else None)
    where = audit.AuditFilter(scope=scope, key=key, actor=actor, since=start, until=end)
    exported = _audit_export(_settings(), fmt.value, where)
    if output is None:
        typer.echo(exported["text"], nl=False)
        return
    audit.write_atomically(output, exported["text"])
    typer.echo(f"exported {exported['entries']} entries to {output}")


def _audit_export(settings: Settings, fmt: str, where: AuditFilter) -> dict[str, Any]:
    """{"entries": n, "text": …} from the running app's control API, or from the file of a stopped one."""
    running = _running(settings)
    if running:
        from urllib.parse import urlencode

        from robustapp.services.control_client import ControlClient

        query = {"format": fmt, "scope": where.scope, "key": where.key, "actor": where.actor}
        query.update({name: bound.isoformat() for name in ("since", "until") if (bound := getattr(where, name))})
        params = urlencode({name: value for name, value in query.items() if value})
        return ControlClient(running, timeout=600).get(f"/api/audit/export?{params}")
    from robustapp.services import audit

    with _stopped_app_db(settings) as db:
        return audit.render_export(db, fmt, where).to_dict()


# -- datasets -------------------------------------------------------------------------------


def _type_overrides(values: list[str] | None) -> dict[str, str]:
    types = {}
    for value in values or []:
        column, sep, type_ = value.partition("=")
        if not sep or not column.strip() or not type_.strip():
            raise typer.BadParameter(f"{value!r}: expected COLUMN=TYPE, e.g. zip=VARCHAR", param_hint="--type")
        types[column.strip()] = type_.strip()
    return types


def _data_call(running: RunningApp, method: str, path: str, *, timeout: float = 60) -> Any:
    """A /api/data request to the running app; a refusal is raised as the error the app raised."""
    from robustapp import errors
    from robustapp.services.control_client import ControlClient

    status, body = ControlClient(running, timeout=timeout).request(method, path)
    if status < 400:
        return body
    kind = getattr(errors, str(body.get("kind")), None) if isinstance(body, dict) else None
    message = body.get("error", body) if isinstance(body, dict) else body
    if isinstance(kind, type) and issubclass(kind, AppError):
        raise kind(message)
    raise errors.ControlAPIError(f"{method} {path.split('?')[0]} answered {status}: {message}")


def _data_query(**params: Any) -> str:
    from urllib.parse import urlencode

    return urlencode({key: value for key, value in params.items() if value is not None})


@contextmanager
def _import_progress(label: str) -> Iterator[Any]:
    """A progress bar on stderr, fed `(fraction, message)` from any thread."""
    import threading

    lock = threading.Lock()
    with typer.progressbar(length=1000, label=label, file=sys.stderr) as bar:
        done = [0]

        def progress(fraction: float, message: str) -> None:
            with lock:
                step = int(fraction * 1000) - done[0]
                if step > 0:
                    bar.update(step)
                    done[0] += step

        yield progress


def _print_dataset(info: dict[str, Any], verb: str) -> None:
    typer.echo(
        f"{verb} {info['name']!r}: {info['row_count']} rows, {len(info['columns'])} columns "
        f"(table {info['table_name']}, from {info['source_path']})"
    )
    for note in info.get("import_notes", []):
        typer.echo(f"  note: {note}")


@data_app.command("import")
def data_import(
    path: Annotated[Path, typer.Argument(help="A CSV/TSV, Parquet, JSON/NDJSON or .xlsx file.", show_default=False)],
    name: Annotated[str | None, typer.Option(help="The dataset's name (default: the file's name).")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace the dataset of that name.")] = False,
    sheet: Annotated[str | None, typer.Option(help="xlsx: the sheet, by name or 0-based number.")] = None,
    delimiter: Annotated[str | None, typer.Option(help="CSV: one character, or tab/comma/semicolon/pipe.")] = None,
    no_header: Annotated[bool, typer.Option("--no-header", help="CSV/xlsx: the first row is data.")] = False,
    encoding: Annotated[str | None, typer.Option(help="CSV: the text encoding (default utf-8).")] = None,
    skip_bad_rows: Annotated[
        bool, typer.Option("--skip-bad-rows", help="CSV: leave malformed rows out (listed) instead of failing.")
    ] = False,
    types: Annotated[
        list[str] | None,
        typer.Option("--type", metavar="COL=TYPE", help="A column's type, e.g. zip=VARCHAR; repeatable."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Import a file as a dataset, in one transaction: a failed import leaves nothing behind."""
    from robustapp.domain.datasets import ImportOptions
    from robustapp.errors import ImportOptionsError

    given = {"sheet": sheet, "delimiter": delimiter, "encoding": encoding, "types": _type_overrides(types) or None}
    given.update(header=False if no_header else None, skip_bad_rows=skip_bad_rows or None)
    try:
        options = ImportOptions(**{key: value for key, value in given.items() if value is not None})
    except ImportOptionsError as exc:
        raise typer.BadParameter(str(exc)) from None
    path = Path(os.path.abspath(os.path.expanduser(path)))  # the running app has another working folder
    settings = _settings()
    running = _running(settings)
    if running:
        typer.echo(f"importing through the running app (PID {running.pid})…", err=True)
        query = _data_query(path=str(path), name=name, replace=1 if replace else None,
                            options=options.model_dump_json(exclude_defaults=True))  # fmt: skip
        info = _data_call(running, "POST", f"/api/data/import?{query}", timeout=24 * 3600)
    else:
        from robustapp.services import datasets

        with _offline_services(settings) as services, _import_progress(f"importing {path.name}") as progress:
            imported = datasets.import_file(
                services.db, path, options, name=name, replace=replace, progress=progress,
                temp_dir=services.paths.temp_dir,
            )  # fmt: skip
            info = imported.model_dump(mode="json")
    if as_json:
        _echo_json(info)
        return
    _print_dataset(info, "imported")


@data_app.command("list")
def data_list(as_json: JsonOption = False) -> None:
    """The datasets: name, rows, columns, size, when and from where they were imported."""
    settings = _settings()
    running = _running(settings)
    if running:
        rows = _data_call(running, "GET", "/api/data")
    elif not settings.paths.db_path.exists():
        rows = []
    else:
        from robustapp.services import datasets

        with _offline_services(settings) as services:
            rows = [info.model_dump(mode="json") for info in datasets.list_datasets(services.db)]
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        typer.echo("no datasets yet: import one with `robustapp data import PATH`")
        return
    for info in rows:
        size = f"{info['size_bytes'] / 2**20:.1f} MB"
        typer.echo(
            f"{info['name']}\t{info['row_count']} rows\t{len(info['columns'])} columns\t{size}\t"
            f"{info['imported_at'][:19].replace('T', ' ')} UTC\t{info['source_path']}"
        )


def _data_change(action: str, **params: str) -> dict[str, Any]:
    """rename / delete / restore, through the running app or on the file."""
    settings = _settings()
    running = _running(settings)
    if running:
        return _data_call(running, "POST", f"/api/data/{action}?{_data_query(**params)}")
    from robustapp.services import datasets

    with _offline_services(settings) as services:
        change = {"rename": datasets.rename_dataset, "delete": datasets.delete_dataset,
                  "restore": datasets.restore_dataset}[action]  # fmt: skip
        return change(services.db, *params.values()).model_dump(mode="json")


@data_app.command("rename")
def data_rename(old: str, new: str) -> None:
    """Give a dataset a new name."""
    info = _data_change("rename", old=old, new=new)
    typer.echo(f"renamed {old!r} to {info['name']!r}")


@data_app.command("delete")
def data_delete(name: str) -> None:
    """Delete a dataset; `robustapp data restore NAME` brings it back for a few minutes."""
    from robustapp.domain.datasets import UNDO_WINDOW

    info = _data_change("delete", name=name)
    minutes = int(UNDO_WINDOW.total_seconds() // 60)
    undo = f"robustapp data restore {info['name']!r}"
    typer.echo(f"deleted {info['name']!r}; undo with `{undo}` within {minutes} minutes")


@data_app.command("restore")
def data_restore(name: str) -> None:
    """Bring back a dataset deleted within the last few minutes."""
    info = _data_change("restore", name=name)
    typer.echo(f"restored {info['name']!r} ({info['row_count']} rows)")


@data_app.command("export")
def data_export(
    name: Annotated[str, typer.Argument(help="The dataset to export.", show_default=False)],
    path: Annotated[Path, typer.Argument(help="The file to write; an existing one is replaced.", show_default=False)],
    file_format: Annotated[
        str | None,
        typer.Option("--format", "-f", help="csv, parquet or xlsx (default: from PATH's extension, else csv)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Export a dataset to a CSV, Parquet or .xlsx file (written whole, or not at all)."""
    from robustapp.domain.export import FORMATS, ExportSource, format_of

    fmt = (file_format or format_of(path) or "csv").strip().lower()
    if fmt not in FORMATS:
        raise typer.BadParameter(f"{file_format!r}: expected one of {', '.join(FORMATS)}", param_hint="--format")
    path = Path(os.path.abspath(os.path.expanduser(path)))  # the running app has another working folder
    source = ExportSource.dataset(name)
    settings = _settings()
    running = _running(settings)
    if running:
        typer.echo(f"exporting through the running app (PID {running.pid})…", err=True)
        written = _export_through_app(running, source.model_dump(mode="json"), path, fmt)
    else:
        from robustapp.services import export

        with _offline_services(settings) as services, _import_progress(f"exporting {name}") as progress:
            written = export.export(services.db.cursor(), source, path, fmt, progress=progress).model_dump(mode="json")
    if as_json:
        _echo_json(written)
        return
    typer.echo(f"exported {written['rows']:,} rows of {name!r} to {written['path']} ({written['bytes']:,} bytes)")


def _export_through_app(running: RunningApp, source: dict[str, Any], path: Path, fmt: str) -> dict[str, Any]:
    """Queue the export as a job of the running app (it owns the database), follow it to its end."""
    import time

    from robustapp import errors

    params = json.dumps({"source": source, "path": str(path), "file_format": fmt})
    job_id = _data_call(running, "POST", f"/api/jobs?{_data_query(name='data.export', params=params)}")["id"]
    try:
        with _import_progress(f"exporting {source['name']}") as progress:
            while (job := _data_call(running, "GET", f"/api/jobs/{job_id}"))["state"] in ("queued", "running"):
                progress(job["progress"], job["message"])
                time.sleep(0.2)
    except KeyboardInterrupt:
        _data_call(running, "POST", f"/api/jobs/{job_id}/cancel")
        raise
    if job["state"] == "succeeded":
        return job["result"]
    kind, _, message = (job.get("error") or f"the export job was {job['state']}").partition(": ")
    error = getattr(errors, kind, None)
    if isinstance(error, type) and issubclass(error, AppError):
        raise error(message)
    raise errors.ExportError(job.get("error") or f"the export job (#{job_id}) was {job['state']}")


# -- backups --------------------------------------------------------------------------------


class BackupKindChoice(StrEnum):  # robustapp.domain.backups.BackupKind, without importing pydantic for --help
    MANUAL = "manual"
    AUTO = "auto"
    PRE_MIGRATION = "pre-migration"
    SAFETY = "safety"


BackupRef = Annotated[
    str, typer.Argument(metavar="ID|PATH", help="A backup id (or its start), a backup file, or `latest`.")
]


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


def _local_time(iso: str | None) -> str:
    return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S") if iso else "?"


def _follow_job(running: RunningApp, job_id: int, label: str) -> Any:
    """Show a running app's job as a progress bar until it finishes; its result, or its error raised."""
    import time

    from robustapp import errors
    from robustapp.services.control_client import ControlClient

    client = ControlClient(running)
    with _import_progress(label) as progress:
        while True:
            info = client.get(f"/api/jobs/{job_id}")
            progress(info["progress"], info["message"])
            if info["state"] in ("succeeded", "failed", "cancelled", "interrupted"):
                break
            time.sleep(0.2)
    if info["state"] == "succeeded":
        return info["result"]
    error = info.get("error") or info["state"]
    kind, _, message = error.partition(": ")
    raised = getattr(errors, kind, None)
    if isinstance(raised, type) and issubclass(raised, AppError):
        raise raised(message)
    raise errors.BackupError(f"the app's backup job {job_id} {info['state']}: {error}")


@backup_app.command("create")
def backup_create(
    name: Annotated[str | None, typer.Option(help="A label, kept in the backup and its file name.")] = None,
    to: Annotated[
        Path | None, typer.Option("--to", file_okay=False, help="Write it to this folder (default: the backup folder).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Back up the database: through the running app (which keeps working), or from the file when it is stopped."""
    settings = _settings()
    folder = Path(os.path.abspath(os.path.expanduser(to))) if to else None
    running = _running(settings)
    if running:
        typer.echo(f"backing up through the running app (PID {running.pid})…", err=True)
        job = _data_call(running, "POST", f"/api/backups?{_data_query(name=name, to=folder)}")["job"]
        info = _follow_job(running, job, "backing up")
    else:
        from robustapp.services import backups

        _log_to_file(settings)
        with _import_progress("backing up") as progress:
            made = backups.create_offline(settings.paths, name=name, folder=folder, progress=progress)
        info = made.model_dump(mode="json")
    if as_json:
        _echo_json(info)
        return
    typer.echo(f"backup {info['id']}: {info['tables']} tables, {info['rows']} rows, {_mb(info['size_bytes'])}")
    typer.echo(f"  {info['path']}")


@backup_app.command("list")
def backup_list(as_json: JsonOption = False) -> None:
    """The finished backups, newest first: id, kind, when, size, rows (a damaged one says what is wrong)."""
    from robustapp.services.backup_files import list_folder

    settings = _settings()
    rows = [info.model_dump(mode="json") for info in list_folder(settings.paths.backup_dir)]
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        typer.echo(f"no backups in {settings.paths.backup_dir} yet: make one with `robustapp backup create`")
        return
    for info in rows:
        if info["problem"]:
            typer.echo(f"{info['id']}\tDAMAGED\t{_mb(info['size_bytes'])}\t{info['problem']}")
            continue
        label = f"\t{info['name']}" if info["name"] else ""
        typer.echo(
            f"{info['id']}\t{info['kind']}\t{_local_time(info['created_at'])}\t{_mb(info['size_bytes'])}\t"
            f"{info['rows']} rows\tschema {info['schema_version']}{label}"
        )


@backup_app.command("verify")
def backup_verify(backup: BackupRef, as_json: JsonOption = False) -> None:
    """Check a backup completely (checksums, manifest, it opens and holds what it lists); exit 1 if not."""
    from robustapp.errors import BackupInvalidError
    from robustapp.services import backups

    settings = _settings()
    _log_to_file(settings)
    path = backups.resolve(backup, settings.paths)
    try:
        with _import_progress(f"verifying {path.name}") as progress:
            manifest = backups.verify_file(path, progress)
    except BackupInvalidError as exc:
        report = {"ok": False, "path": str(path), "problem": str(exc), "error": type(exc).__name__}
        if as_json:
            _echo_json(report)
        else:
            typer.echo(f"{type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(1) from None
    report = {"ok": True, "path": str(path), **manifest.model_dump(mode="json", include={"id", "kind", "created_at",
              "app_version", "schema_version", "tables"})}  # fmt: skip
    if as_json:
        _echo_json(report)
        return
    typer.echo(
        f"backup {manifest.id} is intact: {len(manifest.tables)} tables, {manifest.rows} rows, "
        f"schema {manifest.schema_version}, made {_local_time(report['created_at'])} ({path})"
    )


@backup_app.command("restore")
def backup_restore(
    backup: BackupRef,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Replace the database with a backup, checked first, after backing up the current one (app closed)."""
    from robustapp.services import backups, restore

    settings = _settings()
    restore.refuse_while_running(settings.paths, backup)
    _log_to_file(settings)
    if not yes:
        path, manifest = backups.find(backup, settings.paths)
        typer.confirm(
            f"Replace the database {settings.paths.db_path} with backup {manifest.id} "
            f"(made {_local_time(manifest.created_at.isoformat())}, {manifest.rows} rows)? "
            "The current database is backed up first.",
            abort=True,
        )
        backup = str(path)
    with _import_progress("restoring") as progress:
        restored = restore.restore(backup, settings.paths, progress=progress)
    typer.echo(f"restored backup {restored.backup.id} (schema {restored.schema_from} → {restored.schema_version})")
    if restored.safety:
        typer.echo(f"the database as it was is kept as backup {restored.safety.id}")
    for kept in restored.kept_aside:
        typer.echo(f"the damaged database file is kept as {kept}")


@backup_app.command("prune")
def backup_prune(
    keep: Annotated[int, typer.Option("--keep", min=1, help="How many of the newest backups to keep.", show_default=False)],
    kinds: Annotated[
        list[BackupKindChoice] | None, typer.Option("--kind", help="Only backups of this kind; repeatable.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Delete all but the newest N backups (of the given kinds), and files left by interrupted backups."""
    from robustapp.domain.backups import BackupKind
    from robustapp.services import backups

    settings = _settings()
    _log_to_file(settings)
    chosen = [BackupKind(kind.value) for kind in kinds] if kinds else None
    removed = backups.prune(settings.paths, keep, chosen)
    if as_json:
        _echo_json([info.model_dump(mode="json") for info in removed])
        return
    for info in removed:
        typer.echo(f"deleted {info.id}")
    typer.echo(f"{len(removed)} backup(s) deleted")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(f"robustapp {__version__}")


class Suite(StrEnum):
    UNIT = "unit"
    INTEGRATION = "integration"
    PROPERTY = "property"
    UI = "ui"
    E2E = "e2e"
    DESKTOP = "desktop"
    ALL = "all"


@app.command("test")
def run_tests(suite: Annotated[Suite, typer.Argument()] = Suite.ALL) -> None:
    """Run a part of the test suite (only in a source checkout)."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    tests = root / "tests"
    if getattr(sys, "frozen", False) or not tests.is_dir():
        raise AppError("tests are not available in this build; run them from a source checkout")
    target = tests if suite is Suite.ALL else tests / suite.value
    raise typer.Exit(subprocess.call([sys.executable, "-m", "pytest", str(target)], cwd=root))


def main() -> None:
    """Console entry point: run the CLI, turning AppErrors into `Name: message` and exit 1."""
    import multiprocessing

    multiprocessing.freeze_support()
    try:
        app()
    except AppError as exc:
        typer.echo(f"{type(exc).__name__}: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
