"""The registered pages, in sidebar order.

Not named `pages/`: a `pages/` folder beside `ui/app.py` switches Streamlit into its own
multipage mode, where a URL path such as `/settings` runs `pages/settings.py` as a script
(a blank page, outside the router and its error boundary).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from robustapp.bootstrap import Services
from robustapp.ui.router import Page


@dataclass(frozen=True)
class PageContext:
    """What a page gets: the services and the route's params (its params model, when it declares one)."""

    services: Services
    params: Any = field(default_factory=dict)


def _pages() -> list[Page]:
    from robustapp.ui.views import audit, demo, home, jobs, settings  # they import PageContext from here
    from robustapp.ui.views import browse, datasets
    from robustapp.ui.views import analyse, profile, sql

    return [
        Page("home", "Home", ":material/home:", home.render),
        Page("datasets", "Datasets", ":material/dataset:", datasets.render),
        Page("browse", "Browse", ":material/table_view:", browse.render, params=browse.BrowseParams),
        Page("profile", "Profile", ":material/analytics:", profile.render, params=profile.ProfileParams),
        Page("analyse", "Analyse", ":material/query_stats:", analyse.render, params=analyse.AnalyseParams),
        Page("sql", "SQL", ":material/terminal:", sql.render),
        Page("demo", "Demo", ":material/science:", demo.render),
        Page("jobs", "Jobs", ":material/pending_actions:", jobs.render),
        Page("settings", "Settings", ":material/settings:", settings.render),
        Page("audit", "Audit", ":material/history:", audit.render),
    ]


PAGES = _pages()
