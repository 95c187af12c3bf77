"""`@cache_data`, `invalidate_cache_by_tag` and `cache_stats`: the cache as page and service authors see it.

    @cache_data(ttl=600, tags={"table:demo_items", "dataset:{name}"})
    def summary(name: str, limit: int = 10, _db: Database | None = None) -> dict: ...

- The key is the function (module.qualname), its `version` and every argument bound to its
  parameters, defaults included: `summary("a")` and `summary(name="a", limit=10)` share one
  entry. Parameters named with a leading underscore are left out of the key (pass the database
  or other collaborators that way).
- Each tag is a `str.format` template filled from the same bound arguments; a tag without
  `{…}` is static. A template naming something that is not a parameter fails at decoration.
- `ttl` in seconds (or a timedelta); None takes ROBUSTAPP_CACHE_TTL; 0 means do not cache.
- Bump `version` when the function's result changes meaning: entries on disk outlive a restart.
- Decorate module-level functions (a method's `self` would have to be part of the key).
- A call that raises stores nothing. Results are pickled: each call gets its own copy.

The decorated functions use this process's cache: the one the app installed at start
(`install`), or one opened from the settings on first use (CLI commands, job workers).
"""

from __future__ import annotations

import functools
import inspect
import re
import string
import threading
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, Generic, ParamSpec, TypeVar, overload

from robustapp.cache.keys import call_key
from robustapp.cache.store import Cache, FunctionStats
from robustapp.config import load_settings

P = ParamSpec("P")
R = TypeVar("R")
_FIELD_ROOT = re.compile(r"[.\[]")

_installed: Cache | None = None
_opened_here = False  # whether `_installed` was opened by `current()`, and so is ours to close
_install_lock = threading.Lock()


def install(cache: Cache | None) -> None:
    """Make `cache` the one every `@cache_data` function uses in this process (None: the default again)."""
    global _installed, _opened_here
    with _install_lock:
        previous, was_ours = _installed, _opened_here
        _installed, _opened_here = cache, False
    if was_ours and previous is not None and previous is not cache:
        previous.close()


def current() -> Cache:
    """This process's cache: the installed one, else one opened from the settings (once)."""
    global _installed, _opened_here
    cache = _installed
    if cache is not None:
        return cache
    with _install_lock:
        if _installed is None:
            _installed, _opened_here = Cache.from_settings(load_settings()), True
        return _installed


def invalidate_cache_by_tag(tag: str) -> None:
    """Make every cached value tagged `tag` stale, in every process that shares the cache directory."""
    current().invalidate(tag)


def cache_stats() -> dict[str, FunctionStats]:
    """Hits, misses and bytes in memory per cached function, for this process."""
    return current().stats()


class CachedFunction(Generic[P, R]):
    """A function whose results are cached; call it like the function it wraps."""

    def __init__(self, fn: Callable[P, R], *, ttl: float | None, tags: Iterable[str], version: str) -> None:
        functools.update_wrapper(self, fn)
        self._fn = fn
        self.function_id = f"{fn.__module__}.{fn.__qualname__}"
        self.ttl = ttl
        self.version = version
        self._signature = inspect.signature(fn)
        self._tag_templates = _checked_templates(self.function_id, tags, self._signature)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        arguments = self._bind(args, kwargs)
        return current().get_or_compute(
            self.function_id,
            self._key(arguments),
            self._tags(arguments),
            lambda: self._fn(*args, **kwargs),
            ttl=self.ttl,
        )

    def key(self, *args: P.args, **kwargs: P.kwargs) -> str:
        """The cache key of this call: the same in every process and on every run."""
        return self._key(self._bind(args, kwargs))

    def tags(self, *args: P.args, **kwargs: P.kwargs) -> frozenset[str]:
        """The tags this call's value is stored under."""
        return self._tags(self._bind(args, kwargs))

    def _bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        bound = self._signature.bind(*args, **kwargs)  # a wrong call fails as the function itself would
        bound.apply_defaults()
        return bound.arguments

    def _key(self, arguments: dict[str, Any]) -> str:
        hashed = {name: value for name, value in arguments.items() if not name.startswith("_")}
        return call_key(self.function_id, self.version, hashed)

    def _tags(self, arguments: dict[str, Any]) -> frozenset[str]:
        return frozenset(template.format_map(arguments) for template in self._tag_templates)


def _checked_templates(function_id: str, tags: Iterable[str], signature: inspect.Signature) -> tuple[str, ...]:
    templates = (tags,) if isinstance(tags, str) else tuple(tags)
    for template in templates:
        for _, field, _, _ in string.Formatter().parse(template):
            if field is not None and _FIELD_ROOT.split(field, maxsplit=1)[0] not in signature.parameters:
                raise TypeError(
                    f"tag {template!r} of {function_id} uses {{{field}}}, but {function_id} has no such parameter"
                )
    return templates


def _seconds(ttl: float | timedelta | None) -> float | None:
    seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else ttl
    if seconds is not None and seconds < 0:
        raise ValueError(f"ttl must be 0 or more seconds, not {ttl!r}")
    return seconds


@overload
def cache_data(fn: Callable[P, R], /) -> CachedFunction[P, R]: ...


@overload
def cache_data(
    *, ttl: float | timedelta | None = None, tags: Iterable[str] = (), version: str = ""
) -> Callable[[Callable[P, R]], CachedFunction[P, R]]: ...


def cache_data(
    fn: Callable[P, R] | None = None,
    /,
    *,
    ttl: float | timedelta | None = None,
    tags: Iterable[str] = (),
    version: str = "",
) -> CachedFunction[P, R] | Callable[[Callable[P, R]], CachedFunction[P, R]]:
    """Cache a function's results in memory and on disk, keyed by its arguments (see the module docstring)."""
    seconds = _seconds(ttl)

    def decorate(function: Callable[P, R]) -> CachedFunction[P, R]:
        return CachedFunction(function, ttl=seconds, tags=tags, version=version)

    return decorate(fn) if fn is not None else decorate
