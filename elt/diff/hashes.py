"""Two engines: rows compared by hashes computed alike on each, so that few rows cross the network.

Each side computes, per row, `kh` = md5 of the key's canonical text and `rh` = md5 of the other
columns' (`elt.dialects.row_text`: the same text on the Hive server and on DuckDB). Then:

1. Per bucket (the first `prefix` hex digits of `kh`: 16 to 65536 buckets, at most about `BUCKET_ROWS`
   rows each), each engine returns the row count, the distinct keys and two sums of 32-bit slices of
   `rh`. Equal buckets are done with: one row per bucket crosses the network, not one per row. The two
   engines run their queries at once (a thread each).
2. For the buckets that differ, each side returns its rows' key texts, `rh` and a vector of 8-hex-digit
   hashes, one per column, `BATCH_ROWS` rows at most at a time; they are matched by key here, which
   gives the rows only on one side and, per column, how many rows differ.
3. For the examples only, the canonical texts of the values are fetched by key.

Thresholds: `BUCKET_ROWS` (100) keeps a differing bucket cheap to fetch (a changed row brings ~100
others with it at most); `MAX_PREFIX` (4 hex digits, 65536 buckets) bounds what step 1 returns (about
2 MB per side); `BATCH_ROWS` (25 000) bounds the memory of step 2 whatever the number of differing rows
(each batch of buckets is one more scan on each engine; at 1000 rows per second of a million, one batch).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from elt.dialects.row_text import (
    as_double,
    engine_sql,
    exponent,
    field_text,
    is_floating,
    rough_exponent,
    row_text,
    value_text,
)
from elt.diff.result import ColumnChange, RowDiff
from elt.diff.sides import Side, duplicate_keys_error

T = TypeVar("T")

BUCKET_ROWS = 100
MAX_PREFIX = 4
BATCH_ROWS = 25_000
#: hex digits of a column's hash in the vector of step 2 (a false "equal" has odds of 2**-32).
_COLUMN_DIGITS = 8


@dataclass
class HashStats:
    """What the hash diff moved, for the method line and the bench."""

    buckets: int = 0
    differing_buckets: int = 0
    rows_fetched: int = 0
    scans: int = 0


@dataclass
class _Plan:
    key: list[str]
    hashed: list[str]
    prefix: int
    stats: HashStats = field(default_factory=HashStats)


def prefix_for(rows: int) -> int:
    """Hex digits of the key hash naming a bucket: ~BUCKET_ROWS rows per bucket, 1 to MAX_PREFIX.

    >>> prefix_for(0), prefix_for(1_600), prefix_for(100_000), prefix_for(1_000_000), prefix_for(10**9)
    (1, 1, 3, 4, 4)
    """
    if rows <= BUCKET_ROWS * 16:
        return 1
    return min(MAX_PREFIX, math.ceil(math.log(rows / BUCKET_ROWS, 16)))


def _exponents(side: Side, plan: _Plan) -> dict[str, str]:
    """Column -> the inner query's column holding its exponent, for the floating point columns."""
    floating = [c for c in [*plan.key, *plan.hashed] if is_floating(side.columns[c][2])]
    return {c: f"`__elt_e{i}`" for i, c in enumerate(floating)}


def _field(side: Side, name: str, exponents: dict[str, str]) -> tuple[str, str, str | None]:
    return side.column(name), side.columns[name][2], exponents.get(name)


def hashed_rows(side: Side, plan: _Plan, extra: Sequence[str] = ()) -> str:
    """Hive SQL: the side's rows as kh, rh and `extra` expressions. The exponents of doubles are
    columns of two inner queries, so that each engine computes them once per value."""
    exponents = _exponents(side, plan)
    source = side.sql_name()
    if exponents:
        doubles = {c: as_double(side.column(c), side.columns[c][2]) for c in exponents}
        rough = ", ".join(f"{rough_exponent(doubles[c])} AS `__elt_r{i}`" for i, c in enumerate(exponents))
        exact = ", ".join(f"{exponent(doubles[c], f'`__elt_r{i}`')} AS {name}"
                          for i, (c, name) in enumerate(exponents.items()))
        source = f"(SELECT *, {exact} FROM (SELECT *, {rough} FROM {source}) r) e"
    key = row_text([_field(side, k, exponents) for k in plan.key])
    rest = row_text([_field(side, c, exponents) for c in plan.hashed])
    # rh covers the key too: a bucket's sums of rh then change when two keys swap their values.
    columns = ", ".join([f"MD5({key}) AS kh", f"MD5(CONCAT({key}, '|', {rest})) AS rh", *extra])
    return f"SELECT {columns} FROM {source}"


def bucket_sums(side: Side, plan: _Plan) -> dict[str, tuple[int, int, int, int]]:
    """Step 1 on one side: bucket -> (rows, distinct keys, sum of rh[0:8], sum of rh[8:16])."""
    bucket = f"SUBSTR(kh, 1, {plan.prefix})"
    sql = (f"SELECT {bucket}, COUNT(*), COUNT(DISTINCT kh), "
           "SUM(CAST(CONV(SUBSTR(rh, 1, 8), 16, 10) AS BIGINT)), SUM(CAST(CONV(SUBSTR(rh, 9, 8), 16, 10) AS BIGINT)) "
           f"FROM ({hashed_rows(side, plan)}) x GROUP BY {bucket}")
    plan.stats.scans += 1
    rows = side.adapter.fetchall(engine_sql(sql, side.dialect, side.engine_types()))
    return {str(r[0]): (int(r[1]), int(r[2]), int(r[3] or 0), int(r[4] or 0)) for r in rows}


def _batches(buckets: list[str], sizes: dict[str, int]) -> Iterator[list[str]]:
    batch: list[str] = []
    rows = 0
    for bucket in buckets:
        if batch and rows + sizes[bucket] > BATCH_ROWS:
            yield batch
            batch, rows = [], 0
        batch.append(bucket)
        rows += sizes[bucket]
    if batch:
        yield batch


def _key_rows(side: Side, plan: _Plan, buckets: list[str]) -> dict[str, tuple[tuple[Any, ...], str, str]]:
    """Step 2 on one side: kh -> (key texts, rh, column hash vector) of the rows in `buckets`."""
    texts = [f"{value_text(side.column(k), side.columns[k][2])} AS k{i}" for i, k in enumerate(plan.key)]
    exponents = _exponents(side, plan)
    vector = [f"SUBSTR(MD5({field_text(*_field(side, c, exponents))}), 1, {_COLUMN_DIGITS})" for c in plan.hashed]
    vector_sql = (vector[0] if len(vector) == 1 else f"CONCAT({', '.join(vector)})") if vector else "''"
    names = ", ".join(f"k{i}" for i in range(len(plan.key)))
    hashed = hashed_rows(side, plan, [*texts, f"{vector_sql} AS cv"])
    selected = ", ".join(f"x.{name}" for name in ["kh", *names.split(", "), "rh", "cv"])
    sql = f"SELECT {selected} FROM {_rows_among(hashed, f'SUBSTR(x.kh, 1, {plan.prefix})', buckets)}"
    plan.stats.scans += 1
    rows = side.adapter.fetchall(engine_sql(sql, side.dialect, side.engine_types()))
    plan.stats.rows_fetched += len(rows)
    width = len(plan.key)
    return {str(r[0]): (tuple(r[1 : 1 + width]), str(r[1 + width]), str(r[2 + width])) for r in rows}


def _rows_among(rows_sql: str, value: str, hex_texts: Sequence[str]) -> str:
    """Hive SQL: the rows of `rows_sql` (as `x`) whose `value` is one of `hex_texts`, by a join with
    the list exploded rather than an IN list (which the translation writes as one comparison per item,
    each evaluating `value` again: a thousand md5s per row).

    >>> _rows_among("SELECT 1 AS kh", "x.kh", ["0a", "ff"])
    "(SELECT 1 AS kh) x JOIN (SELECT EXPLODE(ARRAY('0a', 'ff')) AS elt_item) v ON x.kh = v.elt_item"
    """
    listed = ", ".join(f"'{h}'" for h in hex_texts)
    return f"({rows_sql}) x JOIN (SELECT EXPLODE(ARRAY({listed})) AS elt_item) v ON {value} = v.elt_item"


def _both(work: Callable[[Side], T], here: Side, there: Side) -> tuple[T, T]:
    """`work` on both sides at once (each engine's query in a thread of its own)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        future = pool.submit(work, there)
        return work(here), future.result()


def _order(key: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((v is None, "" if v is None else v) for v in key)


def _keep(found: list[tuple[Any, ...]], limit: int) -> list[tuple[Any, ...]]:
    return sorted(set(found), key=_order)[:limit]


def hash_diff(here: Side, there: Side, key: Sequence[str], compared: Sequence[str], rows: int,
              examples: int) -> tuple[RowDiff, HashStats]:
    """The row diff of relations on two engines (or two databases).

    Args:
        key: the key columns (lower case), on both sides, unique on each (checked by the caller with
            `duplicate_buckets`' answer).
        compared: the other common columns (lower case) with a canonical text on both sides.
        rows: the larger row count of the two sides (sizes the buckets).
        examples: how many example rows per kind of difference.
    """
    plan = _Plan(list(key), list(compared), prefix_for(rows))
    sums_here, sums_there = _both(lambda side: bucket_sums(side, plan), here, there)
    result = RowDiff(key=[here.columns[k][0] for k in key])
    _check_unique(here, sums_here, plan)
    _check_unique(there, sums_there, plan)
    differing = sorted(b for b in set(sums_here) | set(sums_there) if sums_here.get(b) != sums_there.get(b))
    plan.stats.buckets = len(set(sums_here) | set(sums_there))
    plan.stats.differing_buckets = len(differing)
    sizes = {b: max(sums_here.get(b, (0,))[0], sums_there.get(b, (0,))[0]) for b in differing}
    only_here: list[tuple[Any, ...]] = []
    only_there: list[tuple[Any, ...]] = []
    per_column: dict[int, list[tuple[Any, ...]]] = {}
    counts = [0] * len(plan.hashed)
    wanted: dict[tuple[Any, ...], str] = {}
    for batch in _batches(differing, sizes):
        left, right = _both(lambda side: _key_rows(side, plan, batch), here, there)  # noqa: B023 - run at once
        for kh, (keys, rh, vector) in left.items():
            other = right.get(kh)
            if other is None:
                result.only_here += 1
                only_here.append(keys)
                continue
            if other[1] == rh:
                continue
            result.changed += 1
            for i in range(len(plan.hashed)):
                cut = slice(i * _COLUMN_DIGITS, (i + 1) * _COLUMN_DIGITS)
                if vector[cut] != other[2][cut]:
                    counts[i] += 1
                    per_column.setdefault(i, []).append(keys)
                    wanted[keys] = kh
        for kh, (keys, _, _) in right.items():
            if kh not in left:
                result.only_there += 1
                only_there.append(keys)
        only_here, only_there = _keep(only_here, examples), _keep(only_there, examples)
        per_column = {i: _keep(found, examples) for i, found in per_column.items()}
    result.only_here_examples = [list(k) for k in only_here]
    result.only_there_examples = [list(k) for k in only_there]
    chosen = {keys: wanted[keys] for found in per_column.values() for keys in found}
    values_here = _values(here, plan, list(chosen.values()))
    values_there = _values(there, plan, list(chosen.values()))
    for i, name in enumerate(plan.hashed):
        if counts[i]:
            change = ColumnChange(here.columns[name][0], counts[i])
            change.examples = [(list(k), values_here[chosen[k]][i], values_there[chosen[k]][i])
                               for k in per_column.get(i, [])]
            result.columns.append(change)
    return result, plan.stats


def _values(side: Side, plan: _Plan, hashes: list[str]) -> dict[str, tuple[Any, ...]]:
    """Step 3: kh -> the canonical texts of the compared columns, for the example rows."""
    if not hashes:
        return {}
    texts = [f"{value_text(side.column(c), side.columns[c][2])} AS v{i}" for i, c in enumerate(plan.hashed)]
    names = ", ".join(f"v{i}" for i in range(len(plan.hashed)))
    selected = ", ".join(f"x.{name}" for name in ["kh", *names.split(", ")])
    sql = f"SELECT {selected} FROM {_rows_among(hashed_rows(side, plan, texts), 'x.kh', hashes)}"
    plan.stats.scans += 1
    rows = side.adapter.fetchall(engine_sql(sql, side.dialect, side.engine_types()))
    return {str(r[0]): tuple(r[1:]) for r in rows}


def _check_unique(side: Side, sums: dict[str, tuple[int, int, int, int]], plan: _Plan) -> None:
    if any(rows != keys for rows, keys, _, _ in sums.values()):
        raise duplicate_keys_error(side, plan.key)
