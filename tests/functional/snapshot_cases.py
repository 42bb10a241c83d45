"""Snapshot builds as sequences of source states, with the rows dbt's semantics give after each run,
written by hand (and checked once against dbt-duckdb 1.11). Shared by the DuckDB tests
(test_snapshot_build.py) and the Hive ones (tests/hive/test_snapshot_on_hive.py): the same sequence must
give the same rows on both engines.

Each run's expected rows are a function of the run times (`t[i]`: the build's time of run i, as the engine
writes it), since deletes and the check strategy write the time of the run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlglot

from elt.adapters.base import Adapter
from elt.dialects import translate
from elt.dialects.hive_reader import reader
from elt.materializations.snapshot import SnapshotOutcome, build_snapshot
from elt.materializations.snapshot_config import snapshot_spec
from elt.nodes import Node, Relation

Row = tuple[Any, ...]
Expected = Callable[[dict[int, str]], list[Row]]


def h(*parts: str | None) -> str:
    """dbt's dbt_scd_id: md5 of the parts joined by '|' (NULL as '')."""
    return hashlib.md5("|".join(p or "" for p in parts).encode()).hexdigest()


def day(n: int) -> str:
    """updated_at of the sources here, as Hive writes a timestamp."""
    return f"2024-01-0{n} 00:00:00"


@dataclass
class Case:
    """config: the snapshot's config; columns: the source's (name, Hive type); states: the source's rows
    before each run; expected: each run's snapshot rows (every column as text, sorted), by run times."""

    config: dict[str, Any]
    columns: list[tuple[str, str]]
    states: list[list[Row]]
    expected: list[Expected]
    #: columns of each state when the source's columns change: (index of the state, columns).
    column_changes: dict[int, list[tuple[str, str]]] = field(default_factory=dict)


CUSTOMERS = [("id", "int"), ("name", "string"), ("updated_at", "timestamp")]
S1 = [(1, "a", day(1)), (2, "b", day(1)), (3, "c", day(1))]
# 1 changed, 2 unchanged, 3 gone, 4 new
S2 = [(1, "a2", day(2)), (2, "b", day(1)), (4, "d", day(2))]
# 3 back
S4 = [(1, "a2", day(2)), (2, "b", day(1)), (3, "c3", day(3)), (4, "d", day(2))]
TIMESTAMP = {"unique_key": "id", "strategy": "timestamp", "updated_at": "updated_at"}


def _row(id_: int, name: str, at: str, valid_to: str | None, *deleted: str) -> Row:
    return (str(id_), name, at, h(str(id_), at), at, at, valid_to, *deleted)


def _first(*deleted: str) -> list[Row]:
    return [_row(1, "a", day(1), None, *deleted), _row(2, "b", day(1), None, *deleted),
            _row(3, "c", day(1), None, *deleted)]


def _ignore_2(t: dict[int, str]) -> list[Row]:
    return [_row(1, "a", day(1), day(2)), _row(1, "a2", day(2), None), _row(2, "b", day(1), None),
            _row(3, "c", day(1), None), _row(4, "d", day(2), None)]


def _invalidate_2(t: dict[int, str]) -> list[Row]:
    return [_row(1, "a", day(1), day(2)), _row(1, "a2", day(2), None), _row(2, "b", day(1), None),
            _row(3, "c", day(1), t[2]), _row(4, "d", day(2), None)]


def _new_record_2(t: dict[int, str]) -> list[Row]:
    f = "False"
    return [_row(1, "a", day(1), day(2), f), _row(1, "a2", day(2), None, f), _row(2, "b", day(1), None, f),
            _row(3, "c", day(1), t[2], f), ("3", "c", day(1), h(h("3", day(1)), t[2]), t[2], t[2], None, "True"),
            _row(4, "d", day(2), None, f)]


TIMESTAMP_CASES = {
    # ignore: 3 keeps its row while gone; back with a newer updated_at, it is a change like any other
    "ignore": Case(TIMESTAMP, CUSTOMERS, [S1, S2, S2, S4], [
        lambda t: _first(), _ignore_2, _ignore_2,
        lambda t: [r for r in _ignore_2(t) if r[:2] != ("3", "c")] + [
            _row(3, "c", day(1), day(3)), _row(3, "c3", day(3), None)],
    ]),
    # invalidate: 3's row is closed at the run's time; back, it gets a new row
    "invalidate": Case({**TIMESTAMP, "hard_deletes": "invalidate"}, CUSTOMERS, [S1, S2, S2, S4], [
        lambda t: _first(), _invalidate_2, _invalidate_2,
        lambda t: [*_invalidate_2(t), _row(3, "c3", day(3), None)],
    ]),
    # new_record: closed, and a row marked deleted added (closed in turn when the key is back)
    "new_record": Case({**TIMESTAMP, "hard_deletes": "new_record"}, CUSTOMERS, [S1, S2, S2, S4], [
        lambda t: _first("False"), _new_record_2, _new_record_2,
        lambda t: [r for r in _new_record_2(t) if r[-1] != "True"] + [
            ("3", "c", day(1), h(h("3", day(1)), t[2]), t[2], t[2], day(3), "True"),
            _row(3, "c3", day(3), None, "False")],
    ]),
}

# The check strategy, without updated_at: a row's time is the run's; 'all' compares every column.
ITEMS = [("id", "int"), ("colour", "string"), ("size", "int")]
I1 = [(1, "red", 1), (2, "blue", None), (3, "green", 3)]
I2 = [(1, "red", 10), (2, "blue", None), (3, "teal", 3)]  # 1: size changed, 3: colour changed


def _item(id_: int, colour: str, size: int | None, run: int, t: dict[int, str], valid_to: str | None) -> Row:
    return (str(id_), colour, None if size is None else str(size), h(str(id_), t[run]), t[run], t[run], valid_to)


CHECK_CASES = {
    "all": Case({"unique_key": "id", "strategy": "check", "check_cols": "all"}, ITEMS, [I1, I2, I2], [
        lambda t: [_item(1, "red", 1, 1, t, None), _item(2, "blue", None, 1, t, None),
                   _item(3, "green", 3, 1, t, None)],
        lambda t: [_item(1, "red", 1, 1, t, t[2]), _item(1, "red", 10, 2, t, None),
                   _item(2, "blue", None, 1, t, None), _item(3, "green", 3, 1, t, t[2]),
                   _item(3, "teal", 3, 2, t, None)],
        lambda t: [_item(1, "red", 1, 1, t, t[2]), _item(1, "red", 10, 2, t, None),
                   _item(2, "blue", None, 1, t, None), _item(3, "green", 3, 1, t, t[2]),
                   _item(3, "teal", 3, 2, t, None)],
    ]),
    # only colour compared: 1's new size is not a change
    "list": Case({"unique_key": "id", "strategy": "check", "check_cols": ["colour"]}, ITEMS, [I1, I2], [
        lambda t: [_item(1, "red", 1, 1, t, None), _item(2, "blue", None, 1, t, None),
                   _item(3, "green", 3, 1, t, None)],
        lambda t: [_item(1, "red", 1, 1, t, None), _item(2, "blue", None, 1, t, None),
                   _item(3, "green", 3, 1, t, t[2]), _item(3, "teal", 3, 2, t, None)],
    ]),
    # as dbt: with 'all', a column new to the query makes every current row changed (its value was not
    # compared before)
    "all_new_column": Case(
        {"unique_key": "id", "strategy": "check", "check_cols": "all"}, ITEMS,
        [I1[:2], [(1, "red", 1, 5), (2, "blue", None, 6)]],
        [lambda t: [_item(1, "red", 1, 1, t, None), _item(2, "blue", None, 1, t, None)],
         lambda t: [(*_item(1, "red", 1, 1, t, t[2]), None), (*_item(1, "red", 1, 2, t, None), "5"),
                    (*_item(2, "blue", None, 1, t, t[2]), None), (*_item(2, "blue", None, 2, t, None), "6")]],
        column_changes={1: [*ITEMS, ("price", "int")]},
    ),
}

# A key of two columns; dbt_valid_to_current for current rows; renamed meta columns.
ORDERS = [("shop", "string"), ("num", "int"), ("status", "string"), ("changed", "timestamp")]
FAR = "9999-12-31 00:00:00"
OTHER_CASES = {
    "multi_column_key_valid_to_current_renamed_columns": Case(
        {"unique_key": ["shop", "num"], "strategy": "timestamp", "updated_at": "changed", "hard_deletes": "invalidate",
         "dbt_valid_to_current": "CAST('9999-12-31' AS TIMESTAMP)",
         "snapshot_meta_column_names": {"dbt_valid_from": "valid_from", "dbt_valid_to": "valid_to",
                                        "dbt_scd_id": "version_id"}},
        ORDERS,
        [[("x", 1, "new", day(1)), ("x", 2, "new", day(1)), ("y", 1, "new", day(1))],
         [("x", 1, "paid", day(2)), ("y", 1, "new", day(1))]],
        [lambda t: [("x", "1", "new", day(1), h("x", "1", day(1)), day(1), day(1), FAR),
                    ("x", "2", "new", day(1), h("x", "2", day(1)), day(1), day(1), FAR),
                    ("y", "1", "new", day(1), h("y", "1", day(1)), day(1), day(1), FAR)],
         lambda t: [("x", "1", "new", day(1), h("x", "1", day(1)), day(1), day(1), day(2)),
                    ("x", "1", "paid", day(2), h("x", "1", day(2)), day(2), day(2), FAR),
                    ("x", "2", "new", day(1), h("x", "2", day(1)), day(1), day(1), t[2]),
                    ("y", "1", "new", day(1), h("y", "1", day(1)), day(1), day(1), FAR)]],
    ),
    # a new column is added to the table (last); a removed one stays, NULL in new rows
    "source_columns_change": Case(
        TIMESTAMP, CUSTOMERS,
        [[(1, "a", day(1)), (2, "b", day(1))],
         [(1, day(2), "gold"), (2, day(1), "silver")]],
        [lambda t: [_row(1, "a", day(1), None), _row(2, "b", day(1), None)],
         lambda t: [(*_row(1, "a", day(1), day(2)), None),
                    ("1", None, day(2), h("1", day(2)), day(2), day(2), None, "gold"),
                    (*_row(2, "b", day(1), None), None)]],
        column_changes={1: [("id", "int"), ("updated_at", "timestamp"), ("tier", "string")]},
    ),
}

ALL_CASES = {**{f"timestamp_{k}": v for k, v in TIMESTAMP_CASES.items()},
             **{f"check_{k}": v for k, v in CHECK_CASES.items()}, **OTHER_CASES}


def snapshot_node(relation: Relation, config: dict[str, Any]) -> Node:
    return Node(unique_id="snapshot.history", name="history", resource_type="snapshot",
                path="snapshots/history.yml", config=dict(config), relation=relation, line=3)


def load_source(adapter: Adapter, source: Relation, columns: Sequence[tuple[str, str]], rows: list[Row]) -> None:
    """Replace the source table by `rows` (timestamps given as text are sent as timestamps)."""
    adapter.drop_if_exists(source)
    adapter.load_rows(source, columns, rows)


def as_text(adapter: Adapter, relation: Relation) -> list[Row]:
    """Every row of `relation`, each column as Hive's text of it (NULL stays None), sorted."""
    columns = [c.name for c in adapter.get_columns(relation)]
    sql = "SELECT " + ", ".join(f"CAST(`{c}` AS STRING)" for c in columns) + f" FROM {relation}"
    if adapter.dialect != "hive":
        sql = translate(sqlglot.parse_one(sql, read=reader("hive")), "hive", adapter.dialect, column_types=False)
    return sorted((tuple(row) for row in adapter.fetchall(sql)), key=lambda r: tuple((v is None, v) for v in r))


def run_case(adapter: Adapter, case: Case, source: Relation, snapshot: Relation,
             check: Callable[[int, list[Row], list[Row], SnapshotOutcome], None]) -> dict[int, str]:
    """Run every state of `case`; call `check(run, rows, expected, outcome)` after each. Returns the run times."""
    node = snapshot_node(snapshot, case.config)
    spec = snapshot_spec(node)
    times: dict[int, str] = {}
    columns = case.columns
    for number, state in enumerate(case.states, start=1):
        columns = case.column_changes.get(number - 1, columns)
        load_source(adapter, source, columns, state)
        outcome = build_snapshot(adapter, node, spec, f"SELECT * FROM {source}")
        times[number] = outcome.snapshot_time
        expected = sorted(case.expected[number - 1](times), key=lambda r: tuple((v is None, v) for v in r))
        check(number, as_text(adapter, snapshot), expected, outcome)
    return times
