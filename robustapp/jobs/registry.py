"""Job functions, registered by name so a worker process (or a frozen build) can find them.

    @job("pi")                          process job: fn(progress, **params) runs in a worker
    def monte_carlo_pi(progress, *, samples: int = 1_000_000) -> dict: …

    @job("db.range_sum", kind="db")     DB task: fn(cursor, progress, **params) runs on a
    def range_sum(cursor, progress, *, n: int) -> int: …      thread of the database's owner

A worker gets only the job's name and the module that registers it, imports that module and
looks the name up: nothing has to be pickled but names and parameters. Parameters and
results are JSON (so a job can be re-run after a restart, and results can be stored);
a big result belongs in a file (e.g. Parquet) whose path is the result.

Contract of a process job: params in, data (or a file) out. It never opens the DuckDB file,
and it may run again from the start when another worker's death forces the pool to rebuild.
This module imports nothing heavy: it is loaded in every worker.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any, Literal

from robustapp.errors import JobParamsError, UnknownJobError

Kind = Literal["process", "db"]  # robustapp.domain.jobs.JobKind; not imported: workers stay light
BUILTIN_MODULE = "robustapp.jobs.builtin"  # imported when an unknown name is asked for


@dataclass(frozen=True)
class JobSpec:
    """A registered job function and how it runs."""

    name: str
    fn: Callable[..., Any]
    kind: Kind = "process"
    timeout: float | None = None  # seconds; None: the app's default (ROBUSTAPP_JOB_TIMEOUT)

    @property
    def module(self) -> str:
        return self.fn.__module__

    @property
    def title(self) -> str:
        """The first line of the function's docstring, or its name."""
        doc = inspect.getdoc(self.fn)
        return doc.splitlines()[0] if doc else self.name

    def check_params(self, params: dict[str, Any]) -> None:
        """Raise JobParamsError naming the problem when `fn` cannot be called with `params`."""
        leading = ("cursor", "progress") if self.kind == "db" else ("progress",)
        try:
            inspect.signature(self.fn).bind(*leading, **params)
        except TypeError as exc:
            raise JobParamsError(f"job {self.name!r}: {exc}") from None


_registry: dict[str, JobSpec] = {}


def job(name: str, *, kind: Kind = "process", timeout: float | None = None) -> Callable[[Callable], Callable]:
    """Register the decorated function as the job `name`."""
    if kind not in ("process", "db"):
        raise ValueError(f"job {name!r}: kind must be 'process' or 'db', not {kind!r}")

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        known = _registry.get(name)
        if known is not None and _qualified(known.fn) != _qualified(fn):
            raise ValueError(f"job name {name!r} is taken by {_qualified(known.fn)}")
        _registry[name] = JobSpec(name, fn, kind, timeout)
        fn.job_name = name  # type: ignore[attr-defined]  # how enqueue(fn) finds the spec
        return fn

    return register


def _qualified(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def get(name: str, module: str | None = None) -> JobSpec:
    """The job registered as `name`, importing `module` (or the built-in jobs) to register it first."""
    if name not in _registry:
        try:
            import_module(module) if module else _load_builtin()
        except ImportError as exc:
            raise UnknownJobError(f"job {name!r}: cannot import {module or BUILTIN_MODULE} ({exc})") from None
    try:
        return _registry[name]
    except KeyError:
        known = ", ".join(sorted(_registry)) or "none"
        raise UnknownJobError(f"no job is registered as {name!r} (registered: {known})") from None


def _load_builtin() -> None:
    # Plain imports, so a frozen build bundles them.
    import robustapp.jobs.builtin  # noqa: F401
    import robustapp.jobs.data  # noqa: F401
    import robustapp.jobs.maintenance  # noqa: F401


def spec_for(fn_or_name: Callable[..., Any] | str) -> JobSpec:
    """The spec of a job given by name, or by its registered function."""
    if isinstance(fn_or_name, str):
        return get(fn_or_name)
    name = getattr(fn_or_name, "job_name", None)
    spec = _registry.get(name) if isinstance(name, str) else None
    if spec is None or spec.fn is not fn_or_name:
        raise UnknownJobError(
            f"{_qualified(fn_or_name)} is not a registered job; decorate it with @job(name) in an importable module"
        )
    return spec


def registered() -> list[JobSpec]:
    """Every registered job (the built-in ones included), by name."""
    _load_builtin()
    return sorted(_registry.values(), key=lambda spec: spec.name)
