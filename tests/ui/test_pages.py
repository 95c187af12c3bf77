"""What each page shows, and what it writes."""

from __future__ import annotations

import pytest

from robustapp.cache import cache_data
from robustapp.services.settings_view import MASK
from tests.ui.helpers import open_app, screen_text

SECRET = "s3cret-do-not-show-7f2a"


def test_settings_shows_the_settings_with_the_secret_key_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROBUSTAPP_SECRET_KEY", SECRET)
    monkeypatch.setenv("ROBUSTAPP_CACHE_TTL", "1234")
    at = open_app("settings")
    table = at.dataframe[0].value.set_index("setting")["value"]
    assert table["ROBUSTAPP_CACHE_TTL"] == "1234"
    assert table["ROBUSTAPP_SECRET_KEY"] == MASK
    shown = screen_text(at)
    assert "ROBUSTAPP_CACHE_TTL" in shown  # the table's cells are part of what is searched
    assert SECRET not in shown


def test_settings_shows_where_the_data_lives(app_home) -> None:
    at = open_app("settings")
    paths = at.dataframe[1].value.set_index("what")["path"]
    assert paths["database"] == str(app_home / "data" / "robustapp.duckdb")
    assert paths["backups"] == str(app_home / "backups")


@cache_data(tags={"table:squares"})
def _square(x: int) -> int:
    return x * x


def test_settings_shows_the_hits_and_misses_of_each_cached_function() -> None:
    at = open_app("settings")
    assert (_square(3), _square(3), _square(4)) == (9, 9, 16)
    at.run()
    (table,) = [frame.value for frame in at.dataframe if "hit rate" in frame.value.columns]
    row = table[table["function"].str.endswith("_square")].iloc[0]
    assert (row["hits"], row["misses"], row["hit rate"]) == (1, 2, "33%")


def test_demo_echoes_the_name_the_user_types() -> None:
    at = open_app("demo")
    assert "Hello, **stranger**!" in [markdown.value for markdown in at.markdown]
    at.text_input(key="demo_name").input("Ada Lovelace").run()
    assert "Hello, **Ada Lovelace**!" in [markdown.value for markdown in at.markdown]


def test_an_added_item_is_in_the_database_for_the_next_session() -> None:
    at = open_app("demo")
    at.text_input(key="demo_item_name").input("first widget")
    at.selectbox(key="demo_item_category").select("gamma")
    at.number_input(key="demo_item_value").set_value(2.5)
    at.button(key="demo_add").click().run()
    assert not at.exception
    assert [success.value for success in at.success] == ["Added item 1."]
    assert at.dataframe[0].value["name"].tolist() == ["first widget"]

    reloaded = open_app("demo")
    items = reloaded.dataframe[0].value
    assert items[["name", "category", "value"]].values.tolist() == [["first widget", "gamma", 2.5]]
    assert not reloaded.success


def test_an_item_without_a_name_is_refused_with_a_warning() -> None:
    at = open_app("demo")
    at.text_input(key="demo_item_name").input("   ")
    at.button(key="demo_add").click().run()
    assert [warning.value for warning in at.warning] == ["Give the item a name first."]
    assert at.dataframe[0].value.empty
