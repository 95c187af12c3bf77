"""Profile: what each column of a dataset holds, computed in the background and cached.

    profile_chooser   which dataset (?dataset=… in the URL)
    profile_status    computing… [Cancel] (refreshes itself) | why it failed [Profile again]
    profile_overview  one row per column: type, empty, distinct, min, max, mean, median, a small histogram
    profile_column_detail  one column in detail: figures, quantiles, histogram and most common values (Altair)
    profile_export    the dataset to CSV, Parquet or Excel

The profile is the job `data.profile`, cached under the dataset's tag: opening the page again is
instant, and importing the dataset again (or replacing it) makes the next look compute it afresh.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import streamlit as st
from pydantic import BaseModel

from robustapp.domain.datasets import DatasetInfo
from robustapp.domain.export import ExportSource
from robustapp.domain.jobs import JobInfo, JobState
from robustapp.domain.profile import EXACT_ROWS, ColumnProfile, Profile
from robustapp.errors import DatasetNotFound
from robustapp.services.datasets import get_dataset, list_datasets
from robustapp.services.profile import cached_profile
from robustapp.ui.errors import guarded
from robustapp.ui.job_progress import live_job
from robustapp.ui.export import export_controls
from robustapp.ui.router import navigate
from robustapp.ui.widgets import s_select

if TYPE_CHECKING:
    import altair as alt

    from robustapp.bootstrap import Services
    from robustapp.ui.views import PageContext

QUICK_SECONDS = 0.5  # a small dataset is profiled before the page draws: no waiting for a refresh
_CHOOSER = "profile_dataset"


class ProfileParams(BaseModel):
    """?dataset=NAME: the dataset to profile (none: choose one)."""

    dataset: str | None = None


def render(ctx: PageContext) -> None:
    st.title("Profile")
    st.caption("What each column of a dataset holds: empty values, distinct values, range, spread and the most "
               "common values. Computed in the background and kept until the dataset changes.")  # fmt: skip
    infos = list_datasets(ctx.services.db)
    if not infos:
        st.info("No datasets yet: import a file on the Datasets page, then profile it here.", icon=":material/info:")
        return
    wanted = ctx.params.dataset if isinstance(ctx.params, ProfileParams) else None
    _chooser(infos, wanted)
    if wanted is None:
        st.caption("Choose a dataset to see its profile.")
        return
    try:
        info = get_dataset(ctx.services.db, wanted)
    except DatasetNotFound as exc:
        st.warning(f"{exc}.", icon=":material/warning:")
        return
    profile = _profile(ctx.services, info)
    if profile is not None:
        _overview(profile)
        _column(profile)
    st.subheader("Export")
    export_controls(ExportSource.dataset(info.name), key="profile_export", rows=info.row_count)


def _chooser(infos: list[DatasetInfo], wanted: str | None) -> None:
    names = [info.name for info in infos]
    current = next((name for name in names if wanted is not None and name.casefold() == wanted.casefold()), None)
    if st.session_state.get(_CHOOSER) != current:
        st.session_state[_CHOOSER] = current  # the URL decides; the box follows it
    st.selectbox("Dataset", names, index=None, key=_CHOOSER, placeholder="Choose a dataset", on_change=guarded(_chosen))


def _chosen() -> None:
    if st.session_state.get(_CHOOSER):
        navigate("profile", {"dataset": st.session_state[_CHOOSER]})


# -- the job -------------------------------------------------------------------------------------


def _profile(services: Services, info: DatasetInfo) -> Profile | None:
    """The profile to show, or None while it is computed or after it failed (the status says which)."""
    profile = cached_profile(info.name)
    if profile is not None:
        return profile
    latest = _latest_job(services, info)
    if latest is None:  # never profiled since it was imported: start now
        job_id = services.jobs.enqueue("data.profile", name=info.name)
        latest = services.jobs.wait(job_id, timeout=QUICK_SECONDS)
        profile = cached_profile(info.name)
        if profile is not None:
            return profile
    with st.container(key="profile_status"):
        if not latest.is_finished:
            live_job(latest.id, cancel_key="profile_cancel")
        elif latest.state is JobState.SUCCEEDED:
            return Profile.model_validate(latest.result)  # computed, but no longer in the cache
        else:
            why = latest.error or f"the job was {latest.state}"
            st.error(f"The profile could not be computed: {why}", icon=":material/error:")
            st.button("Profile again", key="profile_again", icon=":material/replay:",
                      on_click=guarded(services.jobs.enqueue), args=("data.profile",),
                      kwargs={"name": info.name})  # fmt: skip
    return None


def _latest_job(services: Services, info: DatasetInfo) -> JobInfo | None:
    """The newest data.profile job for this dataset started after its data last changed."""
    for job in services.jobs.list_jobs(name="data.profile", limit=50):
        if job.params.get("name") == info.name:
            return job if job.created_at >= info.imported_at else None
    return None


# -- showing it ----------------------------------------------------------------------------------


def _overview(profile: Profile) -> None:
    exactness = (
        "exact figures" if profile.exact
        else f"distinct counts are HyperLogLog estimates and quantiles t-digest estimates (over {EXACT_ROWS:,} rows)"
    )  # fmt: skip
    st.caption(f"**{profile.dataset}** · {profile.rows:,} rows · {len(profile.columns)} columns · {exactness} · "
               f"profiled {profile.profiled_at.astimezone():%Y-%m-%d %H:%M} in {profile.seconds:.2f} s")  # fmt: skip
    rows = [
        {
            "column": column.name,
            "type": column.type,
            "empty": column.nulls,
            "empty %": round(100 * column.null_share, 1),
            "distinct": column.distinct,
            "min": _text(column.min),
            "max": _text(column.max),
            "mean": _text(column.mean),
            "median": _text(column.quantiles.get("50%")),
            "histogram": [b.count for b in column.histogram] or [c.count for c in column.top_values],
        }
        for column in profile.columns
    ]
    st.dataframe(
        rows, hide_index=True, width="stretch", key="profile_overview",
        column_config={
            "empty": st.column_config.NumberColumn(format="localized"),
            "distinct": st.column_config.NumberColumn(format="localized"),
            "empty %": st.column_config.NumberColumn(format="%.1f %%"),
            "histogram": st.column_config.BarChartColumn("histogram / top values", y_min=0),
        },
    )  # fmt: skip


def _column(profile: Profile) -> None:
    st.subheader("Column")
    names = [column.name for column in profile.columns]
    column = profile.column(s_select("Column", "column", names, audited=False, label_visibility="collapsed"))
    with st.container(key="profile_column_detail", border=True):
        st.markdown(f"**{column.name}** · `{column.type}`")
        figures = st.columns(5)
        figures[0].metric("Empty", f"{column.nulls:,}", help=f"{100 * column.null_share:.1f} % of the rows")
        figures[1].metric("Distinct", "—" if column.distinct is None else f"{column.distinct:,}")
        figures[2].metric("Min", _text(column.min) or "—")
        figures[3].metric("Max", _text(column.max) or "—")
        spread = f"standard deviation {_text(column.std)}" if column.std is not None else None
        figures[4].metric("Mean", _text(column.mean) or "—", help=spread)
        if column.quantiles:
            st.caption("Quantiles: " + " · ".join(f"{q} {_text(v)}" for q, v in column.quantiles.items()))
        chart, common = st.columns(2)
        with chart:
            if column.histogram:
                st.altair_chart(_histogram(column), width="stretch", key="profile_histogram")
            else:
                st.caption("No histogram for this type of column.")
        with common:
            if column.top_values:
                st.altair_chart(_top_values(column), width="stretch", key="profile_top_values")
            else:
                st.caption(f"Most common values: {column.top_values_note}.")


def _histogram(column: ColumnProfile) -> alt.Chart:
    import altair as alt  # here: it costs ~0.2 s to import, which the app's start need not pay

    values = [{"from": b.start, "to": b.end, "rows": b.count} for b in column.histogram]
    kind = "T" if column.kind == "temporal" else "Q"
    return (
        alt.Chart(alt.Data(values=values), title="Histogram")
        .mark_bar()
        .encode(
            x=alt.X(f"from:{kind}", title=column.name, bin="binned"),
            x2=alt.X2("to"),
            y=alt.Y("rows:Q", title="rows"),
            tooltip=[alt.Tooltip(f"from:{kind}"), alt.Tooltip(f"to:{kind}"), alt.Tooltip("rows:Q", format=",")],
        )
    )


def _top_values(column: ColumnProfile) -> alt.Chart:
    import altair as alt

    values = [{"value": top.value, "rows": top.count} for top in column.top_values]
    return (
        alt.Chart(alt.Data(values=values), title="Most common values")
        .mark_bar()
        .encode(
            y=alt.Y("value:N", sort="-x", title=None),
            x=alt.X("rows:Q", title="rows"),
            tooltip=[alt.Tooltip("value:N"), alt.Tooltip("rows:Q", format=",")],
        )
    )


def _text(value: Any) -> str:
    """A figure as the page shows it: numbers with thousands separators and at most a few decimals."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        return f"{int(value):,}"
    if not math.isfinite(value) or abs(value) >= 1e12 or abs(value) < 1e-4:
        return f"{value:.4g}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")
