"""The one way to put an identifier into SQL text: quoted, so no name can end the statement."""

from __future__ import annotations


def quote_identifier(name: str) -> str:
    """`name` as a DuckDB identifier: in double quotes, with inner double quotes doubled."""
    if "\x00" in name:
        raise ValueError(f"identifier {name!r} contains a NUL character")
    return '"' + name.replace('"', '""') + '"'
