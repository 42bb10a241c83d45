"""Hook config values (elt.project.hooks): the forms dbt accepts, accumulation without shared mutation."""

from __future__ import annotations

import pytest

from elt.errors import ProjectError
from elt.project.hooks import as_hooks, merge_config, spelled_as_config_keys


def test_a_string_a_mapping_and_a_list_are_hooks_with_their_origin():
    hooks = as_hooks(["select 1", {"sql": "select 2", "transaction": False}], "models/x.yml")
    assert [(str(h), h.origin, h.transaction) for h in hooks] == [
        ("select 1", "models/x.yml", True), ("select 2", "models/x.yml", False)]


def test_a_hook_that_is_not_sql_is_an_error_naming_the_file():
    with pytest.raises(ProjectError) as caught:
        as_hooks(42, "pyproject.toml", "post_hook")
    assert caught.value.path == "pyproject.toml" and "`post_hook` must be a SQL string" in caught.value.message


def test_merging_appends_hooks_without_changing_a_config_shared_by_other_nodes():
    folder = {"pre_hook": as_hooks("a", "pyproject.toml")}
    one, other = dict(folder), dict(folder)
    merge_config(one, {"pre_hook": ["b"], "materialized": "table"}, "m.yml")
    assert [(str(h), h.origin) for h in one["pre_hook"]] == [("a", "pyproject.toml"), ("b", "m.yml")]
    assert [str(h) for h in other["pre_hook"]] == ["a"] and [str(h) for h in folder["pre_hook"]] == ["a"]


def test_dbts_dashed_spelling_of_the_hook_keys():
    assert spelled_as_config_keys({"post-hook": "x", "on-schema-change": 1}) == {"post_hook": "x",
                                                                                 "on-schema-change": 1}
