"""A diff from start to end: both sides described, the key checked, rows counted, then the rows
compared by one join (one database) or by hashes (two engines or databases)."""

from __future__ import annotations

from collections.abc import Sequence

from elt.dialects.row_text import comparable_as_text, engine_sql
from elt.diff.hashes import hash_diff
from elt.diff.join import join_diff
from elt.diff.result import Diff
from elt.diff.sides import Side, duplicate_keys, duplicate_keys_error, schema_diff
from elt.errors import ProjectError


def row_count(side: Side) -> int:
    sql = f"SELECT COUNT(*) FROM {side.sql_name()}"
    return int(side.adapter.fetchall(engine_sql(sql, side.dialect, side.engine_types()))[0][0])


def diff_relations(here: Side, there: Side, key: Sequence[str], *, examples: int, one_database: bool) -> Diff:
    """Compare two relations.

    Args:
        here, there: the sides (adapters open); `there` is the reference (`--against`).
        key: the columns identifying a row, present and unique on both sides.
        examples: example rows shown per kind of difference.
        one_database: `here.adapter` can read both relations in one query (a join on the engine);
            else each engine hashes its rows.

    Raises:
        ProjectError: a relation is missing, a key column is missing or the key is not unique on a side.
    """
    here.describe()
    there.describe()
    schema = schema_diff(here, there)
    names = [k.strip().lower() for k in key]
    for side in (here, there):
        missing = [k for k in names if k not in side.columns]
        if missing:
            raise ProjectError(f"the key column(s) {', '.join(missing)} are not in {side.relation} ({side.label}); "
                               f"its columns: {', '.join(c[0] for c in side.columns.values())}",
                               hint="give --key columns that both relations have")
    compared = [name for name in here.columns if name in there.columns and name not in names]
    rows_here, rows_there = row_count(here), row_count(there)
    if one_database:
        for side in (here, there):
            if duplicate_keys(side, names, 1):
                raise duplicate_keys_error(side, names)
        rows = join_diff(here, there, names, compared, examples)
        method = f"one FULL OUTER JOIN on the key, on {here.label}'s engine"
    else:
        texts = [c for c in compared if comparable_as_text(here.columns[c][2])
                 and comparable_as_text(there.columns[c][2])]
        rows, stats = hash_diff(here, there, names, texts, max(rows_here, rows_there), examples)
        rows.skipped = [(here.columns[c][0], f"{here.columns[c][2]} has no common text on both engines")
                        for c in compared if c not in texts]
        method = (f"hashes per key on each engine: {stats.buckets} bucket(s), {stats.differing_buckets} "
                  f"differing, {stats.rows_fetched} row(s) fetched, {stats.scans} scan(s)")
    return Diff(here=here.label, there=there.label, schema=schema, rows_here=rows_here, rows_there=rows_there,
                rows=rows, method=method, here_relation=str(here.relation), there_relation=str(there.relation))
