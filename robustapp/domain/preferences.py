"""What each user chooses on the Settings page: appearance, import defaults, display, history length."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from robustapp.domain.history import DEFAULT_LIMIT

PREFERENCES_FORM = "preferences"  # the form id under which each owner's preferences are kept


class UserPreferences(BaseModel):
    """One user's preferences; the defaults apply until the user saves the Settings form."""

    model_config = ConfigDict(extra="ignore")

    theme: Literal["system", "light", "dark"] = Field("system", title="Appearance")
    csv_delimiter: Literal[",", ";", "\t", "|"] = Field(",", title="CSV delimiter")
    encoding: Literal["utf-8", "utf-8-sig", "latin-1", "cp1252"] = Field("utf-8", title="Text encoding")
    rows_per_page: Annotated[int, Field(ge=10, le=1000, title="Rows per page")] = 50
    decimal_places: Annotated[int, Field(ge=0, le=10, title="Decimal places")] = 2
    date_format: Literal["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y"] = Field("%Y-%m-%d", title="Date format")
    history_length: Annotated[
        int, Field(ge=2, le=10_000, title="Undo steps kept per form", description="The saved version is always kept.")
    ] = DEFAULT_LIMIT
