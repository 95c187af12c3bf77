"""The layering rules of DESIGN.md §3, checked by walking robustapp/ with `ast`.

- Only robustapp/ui, robustapp/server and robustapp/desktop import streamlit.
- robustapp/cli.py imports streamlit, webview and duckdb only inside functions (`--help` stays fast).
- robustapp/domain imports none of streamlit, duckdb, diskcache, typer.
- The adapters stay apart: robustapp/storage never imports robustapp.cache (a cache hears of
  writes through the database's commit listeners) and robustapp/cache never imports robustapp.storage.
- The job modules that worker processes load (robustapp/jobs: registry, progress, outcome, worker,
  builtin) import nothing heavy and nothing that opens the database at module level: a worker
  starts fast and never touches the DuckDB file.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "robustapp"
STREAMLIT_ALLOWED = ("ui", "server", "desktop")
CLI_MODULE_LEVEL_FORBIDDEN = {"streamlit", "webview", "duckdb"}
DOMAIN_FORBIDDEN = {"streamlit", "duckdb", "diskcache", "typer"}
ADAPTERS_APART = {"storage": "robustapp.cache", "cache": "robustapp.storage"}  # package → what it must not import
WORKER_SIDE = {"__init__.py", "registry.py", "progress.py", "outcome.py", "worker.py", "builtin.py"}  # in jobs/
WORKER_FORBIDDEN = (
    "duckdb", "streamlit", "pydantic", "pydantic_settings", "numpy", "diskcache", "typer",
    "robustapp.storage", "robustapp.services", "robustapp.domain", "robustapp.config", "robustapp.bootstrap",
    "robustapp.cache", "robustapp.ui", "robustapp.server", "robustapp.jobs.pool", "robustapp.jobs.scheduler",
    "robustapp.jobs.dbtasks",
)  # fmt: skip


@dataclass(frozen=True)
class Import:
    module: str  # the top-level package name, e.g. "streamlit"
    full: str  # the whole dotted name, e.g. "streamlit.runtime"
    line: int
    in_function: bool
    type_checking_only: bool


def _module_names(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative: stays inside robustapp
        return ["robustapp"]
    module = node.module or ""
    if module == "robustapp" or module.startswith("robustapp."):  # `from robustapp import cache`: maybe a module
        return [f"{module}.{alias.name}" for alias in node.names]
    return [module]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(source: str) -> list[Import]:
    """Every import in `source`, with whether it runs only inside a function or under TYPE_CHECKING."""
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool, type_checking: bool) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            for name in _module_names(node):
                found.append(Import(name.split(".")[0], name, node.lineno, in_function, type_checking))
        for child in ast.iter_child_nodes(node):
            child_in_function = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            child_type_checking = type_checking or (
                isinstance(node, ast.If) and _is_type_checking(node.test) and child in node.body
            )
            visit(child, child_in_function, child_type_checking)

    visit(ast.parse(source), False, False)
    return found


def violations(package: Path) -> list[str]:
    """Every import in `package` that crosses a boundary, as `path:line: what`."""
    problems = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        parts = relative.parts
        for imp in imports_of(path.read_text(encoding="utf-8")):
            where = f"robustapp/{relative.as_posix()}:{imp.line}"
            if imp.type_checking_only:
                continue
            if imp.module == "streamlit" and parts[0] not in STREAMLIT_ALLOWED:
                problems.append(f"{where}: imports streamlit outside ui/, server/, desktop/")
            if parts == ("cli.py",) and imp.module in CLI_MODULE_LEVEL_FORBIDDEN and not imp.in_function:
                problems.append(f"{where}: imports {imp.module} at module level (import it inside the command)")
            if parts[0] == "domain" and imp.module in DOMAIN_FORBIDDEN:
                problems.append(f"{where}: the domain imports {imp.module}")
            apart = ADAPTERS_APART.get(parts[0])
            if apart and (imp.full == apart or imp.full.startswith(apart + ".")):
                problems.append(f"{where}: robustapp/{parts[0]} imports {apart}")
            if parts[0] == "jobs" and parts[-1] in WORKER_SIDE and not imp.in_function:
                for forbidden in (f for f in WORKER_FORBIDDEN if imp.full == f or imp.full.startswith(f + ".")):
                    problems.append(f"{where}: a module workers load imports {forbidden} (import it inside the job)")
    return problems


def test_robustapp_keeps_its_import_rules() -> None:
    assert violations(PACKAGE) == []


def _write(root: Path, relative: str, source: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")


def test_the_rules_catch_each_kind_of_violation(tmp_path: Path) -> None:
    _write(tmp_path, "services/pages.py", "def f():\n    import streamlit as st\n")
    _write(tmp_path, "storage/x.py", "from streamlit.runtime import exists\n")
    _write(tmp_path, "cli.py", "import duckdb\nfrom webview import start\n")
    _write(tmp_path, "domain/model.py", "import diskcache\nfrom typer import Typer\nfrom duckdb import connect\n")
    _write(tmp_path, "storage/writes.py", "from robustapp.cache import invalidate_cache_by_tag\nfrom robustapp import cache\n")
    _write(tmp_path, "cache/store.py", "import robustapp.storage.database\n")
    _write(tmp_path, "jobs/worker.py", "import duckdb\nfrom robustapp.jobs import pool\nimport robustapp.storage.jobs\n")

    found = violations(tmp_path)

    assert found == [
        "robustapp/cache/store.py:1: robustapp/cache imports robustapp.storage",
        "robustapp/cli.py:1: imports duckdb at module level (import it inside the command)",
        "robustapp/cli.py:2: imports webview at module level (import it inside the command)",
        "robustapp/domain/model.py:1: the domain imports diskcache",
        "robustapp/domain/model.py:2: the domain imports typer",
        "robustapp/domain/model.py:3: the domain imports duckdb",
        "robustapp/jobs/worker.py:1: a module workers load imports duckdb (import it inside the job)",
        "robustapp/jobs/worker.py:2: a module workers load imports robustapp.jobs.pool (import it inside the job)",
        "robustapp/jobs/worker.py:3: a module workers load imports robustapp.storage (import it inside the job)",
        "robustapp/services/pages.py:2: imports streamlit outside ui/, server/, desktop/",
        "robustapp/storage/writes.py:1: robustapp/storage imports robustapp.cache",
        "robustapp/storage/writes.py:2: robustapp/storage imports robustapp.cache",
        "robustapp/storage/x.py:1: imports streamlit outside ui/, server/, desktop/",
    ]


def test_the_rules_allow_what_the_design_allows(tmp_path: Path) -> None:
    _write(tmp_path, "ui/app.py", "import streamlit as st\n")
    _write(tmp_path, "server/app.py", "import streamlit as st\n")
    _write(tmp_path, "desktop/window.py", "import streamlit\nimport webview\n")
    _write(tmp_path, "jobs/builtin.py", "from robustapp.jobs.registry import job\ndef pi():\n    import numpy\n")
    _write(tmp_path, "jobs/pool.py", "import psutil\nfrom robustapp.jobs import worker\nfrom robustapp.logs import get_logger\n")
    _write(tmp_path, "bootstrap.py", "from robustapp.cache import Cache\nfrom robustapp.storage import Database\n")
    _write(tmp_path, "cache/store.py", "from robustapp.config import Settings\nimport diskcache\n")
    _write(
        tmp_path,
        "cli.py",
        """\
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            import duckdb

        def run():
            import webview
            from robustapp.storage import Database
            import duckdb
        """,
    )

    assert violations(tmp_path) == []


def test_the_cli_starts_without_streamlit_duckdb_or_webview() -> None:
    script = textwrap.dedent(
        """
        import json, sys
        HEAVY = ("streamlit", "duckdb", "webview")
        import robustapp.cli
        loaded = {"import": sorted(m for m in HEAVY if m in sys.modules)}
        for command in (["--help"], ["db", "--help"], ["version"]):
            try:
                robustapp.cli.app(command, standalone_mode=False)
            except SystemExit:
                pass
            loaded[" ".join(command)] = sorted(m for m in HEAVY if m in sys.modules)
        print("LOADED=" + json.dumps(loaded))
        """
    )

    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)

    line = next(line for line in result.stdout.splitlines() if line.startswith("LOADED="))
    assert json.loads(line.removeprefix("LOADED=")) == {"import": [], "--help": [], "db --help": [], "version": []}
