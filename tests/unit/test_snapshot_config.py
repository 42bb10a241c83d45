"""A snapshot's config -> SnapshotSpec, and the errors for bad config (file, line, what to do)."""

from __future__ import annotations

from typing import Any

import pytest

from elt.errors import ProjectError
from elt.materializations.snapshot_config import snapshot_spec
from elt.materializations.snapshot_spec import SnapshotColumns, SnapshotSpec
from elt.nodes import Node


def node(**config: Any) -> Node:
    return Node(unique_id="snapshot.customers_history", name="customers_history", resource_type="snapshot",
                path="snapshots/customers.yml", config=config, line=7)


def test_timestamp_defaults() -> None:
    assert snapshot_spec(node(unique_key="id", strategy="timestamp", updated_at="updated_at")) == SnapshotSpec(
        unique_key=("id",), strategy="timestamp", updated_at="updated_at")


def test_check_all_and_list_with_every_option() -> None:
    spec = snapshot_spec(node(unique_key=["id", "day"], strategy="check", check_cols="all", hard_deletes="new_record",
                              dbt_valid_to_current="CAST('9999-12-31' AS TIMESTAMP)",
                              snapshot_meta_column_names={"dbt_valid_from": "valid_from", "dbt_valid_to": "valid_to"}))
    assert spec == SnapshotSpec(unique_key=("id", "day"), strategy="check", check_cols=None, hard_deletes="new_record",
                                columns=SnapshotColumns(valid_from="valid_from", valid_to="valid_to"),
                                valid_to_current="CAST('9999-12-31' AS TIMESTAMP)")
    assert snapshot_spec(node(unique_key="id", strategy="check", check_cols=["a", "b"])).check_cols == ("a", "b")


@pytest.mark.parametrize(("legacy", "expected"), [(True, "invalidate"), (False, "ignore")])
def test_legacy_invalidate_hard_deletes(legacy: bool, expected: str) -> None:
    spec = snapshot_spec(node(unique_key="id", strategy="timestamp", updated_at="u", invalidate_hard_deletes=legacy))
    assert spec.hard_deletes == expected


@pytest.mark.parametrize(("config", "problem", "hint"), [
    ({"strategy": "timestamp", "updated_at": "u"}, "has no unique_key", "unique_key: id"),
    ({"unique_key": [], "strategy": "timestamp", "updated_at": "u"}, "has no unique_key", "unique_key: id"),
    ({"unique_key": "id"}, "has no strategy", "strategy: timestamp"),
    ({"unique_key": "id", "strategy": "latest"}, "unknown strategy 'latest'", "timestamp, check"),
    ({"unique_key": "id", "strategy": "timestamp"}, "the timestamp strategy needs updated_at", "updated_at:"),
    ({"unique_key": "id", "strategy": "check"}, "the check strategy needs check_cols", "check_cols: all"),
    ({"unique_key": "id", "strategy": "check", "check_cols": "some"},
     "check_cols must be all or a list of column names", "check_cols: all"),
    ({"unique_key": "id", "strategy": "check", "check_cols": []}, "has no check_cols", "check_cols: all"),
    ({"unique_key": "id", "strategy": "timestamp", "updated_at": "u", "check_cols": ["a"]},
     "check_cols is only read by the check strategy", "strategy: check"),
    ({"unique_key": "id", "strategy": "timestamp", "updated_at": "u", "hard_deletes": "delete"},
     "unknown hard_deletes 'delete'", "new_record"),
    ({"unique_key": "id", "strategy": "timestamp", "updated_at": "u", "hard_deletes": "ignore",
      "invalidate_hard_deletes": True}, "sets both hard_deletes and the older invalidate_hard_deletes",
     "keep hard_deletes only"),
    ({"unique_key": "id", "strategy": "timestamp", "updated_at": "u", "invalidate_hard_deletes": "yes"},
     "invalidate_hard_deletes must be true or false", "hard_deletes"),
    ({"unique_key": "id; drop", "strategy": "timestamp", "updated_at": "u"}, "unique_key must be a column name",
     "unique_key: id"),
    ({"unique_key": ["id", "ID"], "strategy": "timestamp", "updated_at": "u"}, "unique_key names a column twice",
     "unique_key: id"),
    ({"unique_key": "id", "strategy": "timestamp", "updated_at": 3}, "updated_at must be a column name", "letters"),
    ({"unique_key": "id", "strategy": "timestamp", "updated_at": "u", "snapshot_meta_column_names": {"dbt_id": "x"}},
     "snapshot_meta_column_names: unknown key(s) dbt_id", "dbt_scd_id"),
    ({"unique_key": "id", "strategy": "timestamp", "updated_at": "u",
      "snapshot_meta_column_names": {"dbt_valid_from": "dbt_valid_to"}}, "gives two columns one name", "e.g."),
    ({"unique_key": "dbt_scd_id", "strategy": "timestamp", "updated_at": "u"},
     "the unique_key column dbt_scd_id has the name of a snapshot column", "e.g."),
    ({"unique_key": "id", "strategy": "timestamp", "updated_at": "u", "dbt_valid_to_current": "CAST('9999' AS"},
     "dbt_valid_to_current \"CAST('9999' AS\" is not an SQL expression", "CAST('9999-12-31' AS TIMESTAMP)"),
    ({"unique_key": "id", "strategy": "timestamp", "updated_at": "u", "dbt_valid_to_current": "updated_at"},
     "must be a constant expression", "CAST("),
    ({"unique_key": "id", "strategy": "timestamp", "updated_at": "u", "dbt_valid_to_current": 9999},
     "dbt_valid_to_current must be an SQL expression", "CAST("),
])
def test_bad_config_is_refused_with_file_line_and_hint(config: dict[str, Any], problem: str, hint: str) -> None:
    with pytest.raises(ProjectError) as caught:
        snapshot_spec(node(**config))
    error = caught.value
    assert (error.path, error.line) == ("snapshots/customers.yml", 7)
    assert error.message.startswith("snapshot 'customers_history': ")
    assert problem in error.message
    assert error.hint is not None and hint in error.hint
