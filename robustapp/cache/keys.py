"""Stable cache keys: the same call gives the same key in any process, on any run.

Python's `hash()` is salted per process and `id()` is an address, so neither can name a value
on disk. Instead each argument is written out in a canonical, type-tagged byte form and the
whole call is hashed with SHA-256:

    key = "<module.qualname>:" + sha256(version · robustapp version · name=value · …)

Dict and set order never matters (their items are sorted by their encoding); `1`, `1.0`,
`True` and `"1"` are different keys. A value with no stable form (an open connection, a
lambda, an arbitrary object) raises TypeError naming the argument.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import hashlib
import uuid
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel

from robustapp import __version__

_SCALARS: tuple[type, ...] = (
    dt.datetime,  # before dt.date: a datetime is a date
    dt.date,
    dt.time,
    dt.timedelta,
    decimal.Decimal,
    uuid.UUID,
)


class _Unhashable(Exception):
    """Internal: the value at `path` has no stable encoding."""

    def __init__(self, path: str, value: object) -> None:
        super().__init__(path)
        self.path = path
        self.value = value


def call_key(function_id: str, version: str, arguments: Mapping[str, Any]) -> str:
    """The key of one call; `arguments` maps parameter names to the values bound to them."""
    digest = hashlib.sha256()
    digest.update(_encode(("robustapp", __version__, function_id, version), "", ()))
    for name, value in arguments.items():
        try:
            digest.update(_encode(name, name, ()) + _encode(value, name, ()))
        except _Unhashable as problem:
            raise TypeError(
                f"cannot cache {function_id}: argument `{problem.path}` holds a value of type "
                f"{type(problem.value).__qualname__}, which has no stable hash; pass plain values (str, number, date, path, tuple, list, dict, "
                "dataclass, pydantic model) or name the parameter with a leading underscore to leave it out "
                "of the key"
            ) from None
    return f"{function_id}:{digest.hexdigest()}"


def _type_name(value: object) -> bytes:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}".encode()


def _frame(tag: bytes, body: bytes) -> bytes:
    """Tag and length prefix: no two different values can encode to the same bytes."""
    return tag + len(body).to_bytes(8, "big") + body


def _encode(value: Any, path: str, parents: tuple[int, ...]) -> bytes:
    if value is None or isinstance(value, bool):
        return _frame(b"c", repr(value).encode())
    if isinstance(value, enum.Enum):
        return _frame(b"e", _type_name(value) + b"." + value.name.encode())
    if isinstance(value, int):
        return _frame(b"i", str(value).encode())
    if isinstance(value, float):
        return _frame(b"f", value.hex().encode())
    if isinstance(value, str):
        return _frame(b"s", value.encode("utf-8", "surrogatepass"))
    if isinstance(value, bytes | bytearray | memoryview):
        return _frame(b"b", bytes(value))
    if isinstance(value, _SCALARS):
        return _frame(b"v", _type_name(value) + b":" + str(value).encode())
    if isinstance(value, PurePath):
        return _frame(b"p", _type_name(value) + b":" + str(value).encode())
    if id(value) in parents:
        raise _Unhashable(path, value)  # a container that contains itself
    inside = (*parents, id(value))
    if isinstance(value, BaseModel):
        fields = {name: getattr(value, name) for name in type(value).model_fields}
        return _frame(b"m", _type_name(value) + _encode(fields, path, inside))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
        return _frame(b"d", _type_name(value) + _encode(fields, path, inside))
    if isinstance(value, Mapping):
        items = sorted(
            _encode(k, f"{path}[{k!r}]", inside) + _encode(v, f"{path}[{k!r}]", inside) for k, v in value.items()
        )
        return _frame(b"M", b"".join(items))
    if isinstance(value, tuple | list):
        items_in_order = [_encode(item, f"{path}[{i}]", inside) for i, item in enumerate(value)]
        return _frame(b"t" if isinstance(value, tuple) else b"l", b"".join(items_in_order))
    if isinstance(value, set | frozenset):
        return _frame(b"S", b"".join(sorted(_encode(item, f"{path}{{…}}", inside) for item in value)))
    raise _Unhashable(path, value)
