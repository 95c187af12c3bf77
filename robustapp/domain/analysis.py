"""Analyses: which rows of a dataset (filters), grouped how, summarised how, sorted, charted.

    AnalysisSpec ──problems(spec, dataset columns)──▶ [] or what no longer fits, each naming its field
                 ──output_columns(spec, columns)──▶ the result's columns (name, type)
    AnalysisForm (flat fields for the undo/redo form) ──to_spec()──▶ AnalysisSpec ──form_values()──▶ back

Pure: the storage layer turns a spec into SQL (quoted identifiers, bound values). Filters are
Browse's own (`domain.browse.Filter`), checked by the same rules.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from robustapp.domain.browse import Filter, Operator, filter_problem
from robustapp.domain.datasets import Column
from robustapp.domain.profile import column_kind
from robustapp.errors import AnalysisNameInvalid

AggregateFunction = Literal["count", "sum", "avg", "min", "max", "count_distinct"]
AGGREGATE_FUNCTIONS: tuple[AggregateFunction, ...] = ("count", "sum", "avg", "min", "max", "count_distinct")
ChartType = Literal["none", "bar", "line", "area", "scatter"]
MAX_LIMIT = 100_000
FILTER_ROWS = 3  # filter rows the form offers
NAME_MAX = 100  # characters of an analysis's name
_NUMERIC_ONLY = frozenset({"sum", "avg"})


class Aggregate(BaseModel):
    """One summary column: `sum(units)`, `count(*)` (column None: the number of rows)."""

    model_config = ConfigDict(frozen=True)

    func: AggregateFunction
    column: str | None = None

    @model_validator(mode="after")
    def _column_unless_counting_rows(self) -> Self:
        if self.column is None and self.func != "count":
            raise ValueError(f"{self.func}(*) is not an aggregate: name a column, like {self.func}(price)")
        return self

    @property
    def output_name(self) -> str:
        return f"{self.func}({'*' if self.column is None else self.column})"

    @classmethod
    def parse(cls, text: str) -> Aggregate:
        """`sum(units)`, `count(*)`, `count_distinct(city)`; the column is everything between the first
        "(" and the last ")", so a column name may itself hold parentheses. ValueError when it does not read."""
        text = text.strip()
        head, opening, rest = text.partition("(")
        func = head.strip().lower()
        if not opening or not rest.endswith(")") or func not in AGGREGATE_FUNCTIONS:
            raise ValueError(
                f"{text!r} is not an aggregate: write one of {', '.join(AGGREGATE_FUNCTIONS)} and a column "
                "in parentheses, like sum(units) or count(*)"
            )
        column = rest[:-1]
        return cls(func=func, column=None if column.strip() in ("", "*") else column)  # type: ignore[arg-type]


class AnalysisSort(BaseModel):
    """The order of the result: one of its columns, ascending or descending (nulls last)."""

    model_config = ConfigDict(frozen=True)

    column: str
    descending: bool = False


class AnalysisSpec(BaseModel):
    """What an analysis asks for. No group-by and no aggregates: the matching rows themselves."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dataset: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    filters: list[Filter] = Field(default_factory=list)
    group_by: list[str] = Field(default_factory=list)
    aggregates: list[Aggregate] = Field(default_factory=list)
    sort: AnalysisSort | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 1000
    chart: ChartType = "none"
    x: str | None = None
    y: str | None = None
    color: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.group_by)) != len(self.group_by):
            raise ValueError("group_by: a column is named twice")
        names = [aggregate.output_name for aggregate in self.aggregates]
        if len(set(names)) != len(names):
            raise ValueError("aggregates: an aggregate is named twice")
        if self.chart != "none" and (not self.x or not self.y):
            raise ValueError(f"chart: a {self.chart} chart needs x and y")
        return self

    @property
    def is_aggregating(self) -> bool:
        return bool(self.group_by or self.aggregates)


def output_columns(spec: AnalysisSpec, columns: list[Column]) -> list[Column]:
    """The result's columns: the group-by columns then the aggregates (or every column when not aggregating).

    Types are the kind of value, good enough to choose a chart encoding: counts BIGINT, sums and means DOUBLE."""
    if not spec.is_aggregating:
        return list(columns)
    types = {column.name: column.type for column in columns}
    out = [Column(name=name, type=types.get(name, "VARCHAR")) for name in spec.group_by]
    for aggregate in spec.aggregates:
        if aggregate.func in ("count", "count_distinct"):
            kind = "BIGINT"
        elif aggregate.func in _NUMERIC_ONLY:
            kind = "DOUBLE"
        else:
            kind = types.get(aggregate.column or "", "VARCHAR")
        out.append(Column(name=aggregate.output_name, type=kind))
    return out


def is_numeric(column_type: str) -> bool:
    return column_kind(column_type) == "number"


def problems(spec: AnalysisSpec, columns: list[Column]) -> list[str]:
    """Why `spec` cannot run on a dataset with these columns, one message per problem, each naming its field."""
    names = {column.name for column in columns}
    types = {column.name: column.type for column in columns}
    found: list[str] = []
    for index, flt in enumerate(spec.filters, start=1):
        if flt.column not in names:  # said here: Browse's words ("was removed") would not be true of an analysis
            found.append(f"filter {index}: the dataset has no column {flt.column!r} any more")
            continue
        problem = filter_problem(flt, columns)
        if problem:
            found.append(f"filter {index}: {problem}")
    for name in spec.group_by:
        if name not in names:
            found.append(f"group_by: the dataset has no column {name!r}")
    for aggregate in spec.aggregates:
        if aggregate.column is None:
            continue
        if aggregate.column not in names:
            found.append(f"aggregates: {aggregate.output_name} names no column of the dataset")
        elif aggregate.func in _NUMERIC_ONLY and not is_numeric(types[aggregate.column]):
            found.append(
                f"aggregates: {aggregate.output_name} needs a numeric column; "
                f"{aggregate.column!r} holds {types[aggregate.column]} values"
            )
    out = {column.name: column.type for column in output_columns(spec, columns)}
    if spec.sort is not None and spec.sort.column not in out:
        found.append(f"sort: {spec.sort.column!r} is not a column of the result ({_listed(out)})")
    if spec.chart != "none":
        for field in ("x", "y", "color"):
            name = getattr(spec, field)
            if name and name not in out:
                found.append(f"{field}: {name!r} is not a column of the result ({_listed(out)})")
        if spec.y in out and spec.chart in ("bar", "line", "area", "scatter") and not is_numeric(out[spec.y]):
            found.append(f"y: a {spec.chart} chart needs a numeric y; {spec.y!r} holds {out[spec.y]} values")
    return found


def _listed(out: dict[str, str]) -> str:
    return ", ".join(repr(name) for name in out) or "none"


# -- the form: flat fields a widget each, turned into a spec ------------------------------------


class AnalysisForm(BaseModel):
    """The Analyse page's form: each field one widget; `to_spec` checks the whole (Save reports it)."""

    dataset: str = ""
    f1_column: str = ""
    f1_op: Operator = "="
    f1_value: str = ""
    f2_column: str = ""
    f2_op: Operator = "="
    f2_value: str = ""
    f3_column: str = ""
    f3_op: Operator = "="
    f3_value: str = ""
    group_by: list[str] = Field(default_factory=list, title="Group by")
    aggregates: str = Field(
        "", title="Aggregates", description="One per line: count(*), sum(units), avg(price), min, max, count_distinct"
    )
    sort_by: str = Field("", title="Sort by")
    descending: bool = False
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 1000
    chart: ChartType = "none"
    x: str = ""
    y: str = ""
    color: str = ""

    @model_validator(mode="after")
    def _reads_as_a_spec(self) -> Self:
        self.to_spec()
        return self

    def parsed_aggregates(self) -> list[Aggregate]:
        """The aggregate lines as aggregates; ValueError naming the line that does not read."""
        return [Aggregate.parse(line) for line in self.aggregates.splitlines() if line.strip()]

    def to_spec(self) -> AnalysisSpec:
        """The spec this form describes; ValueError naming the field that is wrong."""
        if not self.dataset.strip():
            raise ValueError("dataset: choose a dataset")
        filters = []
        for index in range(1, FILTER_ROWS + 1):
            column = getattr(self, f"f{index}_column")
            if column:
                op, value = getattr(self, f"f{index}_op"), getattr(self, f"f{index}_value")
                filters.append(Filter(column=column, op=op, value=value))
        try:
            aggregates = self.parsed_aggregates()
        except ValidationError as exc:
            raise ValueError(f"aggregates: {_first_message(exc)}") from None
        except ValueError as exc:
            raise ValueError(f"aggregates: {exc}") from None
        try:
            return AnalysisSpec(
                dataset=self.dataset, filters=filters, group_by=self.group_by, aggregates=aggregates,
                sort=AnalysisSort(column=self.sort_by, descending=self.descending) if self.sort_by else None,
                limit=self.limit, chart=self.chart, x=self.x or None, y=self.y or None, color=self.color or None,
            )  # fmt: skip
        except ValidationError as exc:
            raise ValueError(_first_message(exc)) from None


def form_values(spec: AnalysisSpec) -> dict[str, Any]:
    """The form's fields for `spec` (filters past the form's rows are left out)."""
    values: dict[str, Any] = AnalysisForm.model_construct().model_dump()
    for index, flt in enumerate(spec.filters[:FILTER_ROWS], start=1):
        values.update({f"f{index}_column": flt.column, f"f{index}_op": flt.op, f"f{index}_value": flt.value})
    values.update(
        dataset=spec.dataset, group_by=list(spec.group_by),
        aggregates="\n".join(aggregate.output_name for aggregate in spec.aggregates),
        sort_by=spec.sort.column if spec.sort else "", descending=spec.sort.descending if spec.sort else False,
        limit=spec.limit, chart=spec.chart, x=spec.x or "", y=spec.y or "", color=spec.color or "",
    )  # fmt: skip
    return values


def _first_message(exc: ValidationError) -> str:
    error = exc.errors()[0]
    message = str(error["ctx"]["error"]) if error["type"] == "value_error" else error["msg"]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {message}" if where else message


class SavedAnalysis(BaseModel):
    """An analysis kept under a name."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    spec: AnalysisSpec
    created_at: datetime  # UTC
    updated_at: datetime  # UTC


def check_name(name: str) -> str:
    """The name trimmed; AnalysisNameInvalid when it is empty or too long."""
    trimmed = name.strip()
    if not trimmed:
        raise AnalysisNameInvalid("an analysis needs a name")
    if len(trimmed) > NAME_MAX:
        raise AnalysisNameInvalid(f"an analysis name has at most {NAME_MAX} characters; {trimmed[:20]!r}… has {len(trimmed)}")
    return trimmed


def copy_name(name: str, taken: set[str]) -> str:
    """`name (copy)`, `name (copy 2)` … the first one not in `taken` (casefolded names)."""
    candidate, number = f"{name} (copy)", 2
    while candidate.casefold() in taken:
        candidate, number = f"{name} (copy {number})", number + 1
    return candidate
