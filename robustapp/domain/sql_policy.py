"""What the read-only SQL editor lets run, decided on the parsed statement, never on its text.

    "SELECT … FROM read_csv('/etc/passwd')"
        ──parse (DuckDB)──▶ kind SELECT, AST {"from_table": {"type": "TABLE_FUNCTION", "function": …}}
        ──refusal()──▶ "read_csv reads files or other databases; query your datasets by name"

A statement may run when it is a query (SELECT, and the SELECT forms DESCRIBE, SHOW, SUMMARIZE),
every table it names exists in the database (DuckDB would otherwise read a file such as
`FROM 'data.csv'`, or a Python variable, of that name), every table function it calls is one of
a few that only generate values or describe the database, and it calls no function that reads
the environment or moves a sequence. Writes,
ATTACH, COPY, INSTALL/LOAD, PRAGMA and SET are other statement kinds and never run. The runner
also wraps every query in a read-only transaction, so a write that slipped past would still fail.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

QUERY_KINDS = frozenset({"SELECT"})

# Table functions that only generate values or describe this database.
SAFE_TABLE_FUNCTIONS = frozenset({
    "range", "generate_series", "unnest",
    "duckdb_tables", "duckdb_columns", "duckdb_views", "duckdb_schemas", "duckdb_types",
    "duckdb_functions", "duckdb_constraints", "duckdb_indexes",
})

# Scalar functions with effects beyond the query: the environment, sequences, the random seed.
REFUSED_FUNCTIONS = frozenset({"getenv", "nextval", "setseed", "current_setting"})

_KIND_NAMES = {
    "INSERT": "INSERT writes data", "UPDATE": "UPDATE writes data", "DELETE": "DELETE writes data",
    "CREATE": "CREATE changes the database", "DROP": "DROP changes the database",
    "ALTER": "ALTER changes the database", "COPY": "COPY reads or writes files",
    "ATTACH": "ATTACH opens another database", "DETACH": "DETACH closes a database",
    "LOAD": "LOAD/INSTALL loads extensions", "PRAGMA": "PRAGMA changes settings",
    "SET": "SET changes settings", "VARIABLE_SET": "SET changes settings",
    "EXPORT": "EXPORT writes files", "TRANSACTION": "transactions are managed by the app",
}


@dataclass(frozen=True)
class ParsedStatement:
    """One statement as DuckDB parsed it: its kind (e.g. "SELECT"), its text and its AST (None: not serialisable)."""

    kind: str
    text: str
    ast: dict[str, Any] | None


def refusal(statement: ParsedStatement, tables: Collection[str]) -> str | None:
    """Why the statement may not run in the read-only editor, or None when it may.

    `tables`: the lower-case names of the database's tables and views.
    """
    if statement.kind not in QUERY_KINDS:
        reason = _KIND_NAMES.get(statement.kind, f"{statement.kind} statements are not queries")
        return f"{reason}; the SQL editor only runs queries (SELECT)"
    if statement.ast is None:
        return "this query form cannot be checked (e.g. PIVOT); write it as a plain SELECT"
    known = {name.lower() for name in tables} | set(_cte_names(statement.ast))
    for kind, name in _calls(statement.ast):
        if kind == "base" and name not in known:
            return f"there is no table or view called {name!r}; the SQL editor reads only your database's tables"
        if kind == "table" and name not in SAFE_TABLE_FUNCTIONS:
            return f"{name}() reads files or other sources; query your datasets by their table names"
        if kind == "scalar" and name in REFUSED_FUNCTIONS:
            return f"{name}() is not allowed in the SQL editor"
    return None


def _calls(node: Any) -> Iterator[tuple[str, str]]:
    """What the AST reads and calls: ("base", table name), ("table", function) in a FROM clause, ("scalar", function)."""
    if isinstance(node, dict):
        if node.get("type") == "BASE_TABLE":
            yield "base", str(node.get("table_name", "")).lower()
        if node.get("type") == "TABLE_FUNCTION":
            function = node.get("function") or {}
            yield "table", str(function.get("function_name", "")).lower()
            yield from _calls(function.get("arguments"))
            return
        if node.get("class") == "FUNCTION" and "function_name" in node:
            yield "scalar", str(node["function_name"]).lower()
        for value in node.values():
            yield from _calls(value)
    elif isinstance(node, list):
        for item in node:
            yield from _calls(item)


def _cte_names(node: Any) -> Iterator[str]:
    """The names the query defines with WITH (they read like tables in its FROM clauses)."""
    if isinstance(node, dict):
        for entry in (node.get("cte_map") or {}).get("map", []):
            yield str(entry.get("key", "")).lower()
        for value in node.values():
            yield from _cte_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from _cte_names(item)
