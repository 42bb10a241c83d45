"""Copying one relation from the target pulled from into the local target (`elt pull`), and the record
of what was pulled (the table `elt_meta.pulls` in the local database).

The rows are streamed: fetched in batches from the source engine (`Adapter.stream_rows`) and appended
batch by batch (`Adapter.append_columns`) to a table under a temporary name, which replaces the
relation, with its record, in one transaction at the end. A failure or an interruption on the way
drops the temporary table: the previous pulled table (if any) stays as it was. A relation whose
record says it was pulled from the same relation with the same limits is skipped unless refreshed.
"""

from __future__ import annotations

import contextlib
import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from elt.adapters.base import Adapter
from elt.dialects.column_types import engine_type
from elt.dialects.hive_reader import reader
from elt.errors import EltError, ExecutionError, ProjectError
from elt.nodes import Relation
from elt.run.pull_plan import DEFAULT_MAX_ROWS, PullItem

#: Where the record of pulls is kept, in the local database.
RECORD = Relation("elt_meta", "pulls")
#: Suffix of the table a pull writes before it is swapped in.
TEMPORARY_SUFFIX = "__elt_pull"
#: Rows per fetch and per insert: tens of MB of Python objects at most. Each fetch is a round trip the
#: server answers slowly (Spark Thrift Server): 50,000 pulled 2.5x the rows/s of 10,000 (bench/pull.py).
BATCH_ROWS = 50_000
#: Fixed seed of the sample's rand(): the same sample on every pull of unchanged data.
SAMPLE_SEED = 42
_RECORD_COLUMNS = (("relation", "VARCHAR"), ("unique_id", "VARCHAR"), ("from_target", "VARCHAR"),
                   ("from_relation", "VARCHAR"), ("limits", "VARCHAR"), ("query", "VARCHAR"),
                   ("row_count", "BIGINT"), ("bytes", "BIGINT"), ("seconds", "DOUBLE"), ("pulled_at", "TIMESTAMP"))


@dataclass(frozen=True)
class PullResult:
    item: PullItem
    #: 'pulled', or 'skipped' (already pulled with the same limits).
    status: str
    rows: int = 0
    bytes: int = 0
    seconds: float = 0.0


#: progress(item, rows so far, bytes so far)
Progress = Callable[[PullItem, int, int], None]


@dataclass(frozen=True)
class Endpoints:
    """The two engines of a pull and what the messages call them."""

    source: Adapter
    local: Adapter
    #: the target pulled from (its name), and the project dialect `where` conditions are written in.
    from_target: str
    project_dialect: str


def pull_relation(item: PullItem, ends: Endpoints, *, refresh: bool = False, max_rows: int = DEFAULT_MAX_ROWS,
                  batch_rows: int = BATCH_ROWS, progress: Progress | None = None) -> PullResult:
    """Copy one relation's rows (within its limits) into the local target, or skip it when the record
    says it is there already with the same limits.

    Raises:
        ExecutionError: the relation is missing, too large without a limit, has a type or a value the
            local engine cannot hold, or the connection dropped; the previous local table is kept.
    """
    local, source = ends.local, ends.source
    if not refresh and _already_pulled(item, ends):
        return PullResult(item, "skipped")
    started = time.perf_counter()
    try:
        columns = source.get_columns(item.remote)
        if not columns:
            raise ExecutionError(f"{item.remote} does not exist on target {ends.from_target!r}",
                                 hint="build it there first, or leave it out of the selection")
        types = [engine_type(c.data_type or "", source.dialect, local.dialect, c.name) for c in columns]
        query = _query(item, ends, [(c.name, c.data_type or "") for c in columns])
        cap = item.limits.limit
        threshold = item.limits.max_rows or max_rows
        if cap is None:
            query = f"{query}\nLIMIT {threshold + 1}"  # one row more than allowed tells it is too many
        local.create_schema(item.local.schema)
        temporary = item.local.with_name(item.local.name + TEMPORARY_SUFFIX)
        local.drop_if_exists(temporary)  # left by a pull killed mid-way
        local.create_table(temporary, list(zip([c.name for c in columns], types, strict=True)))
        try:
            rows, size = _copy(item, ends, query, temporary, types, threshold if cap is None else None,
                               batch_rows, progress)
            seconds = time.perf_counter() - started
            with local.transaction():
                local.drop_if_exists(item.local)
                local.rename_relation(temporary, item.local.name, "table")
                _record(item, ends, query, rows, size, seconds)
        except BaseException:
            with contextlib.suppress(Exception):
                local.drop_if_exists(temporary)
            raise
    except ExecutionError:
        raise
    except EltError as exc:
        kept = "the previous pulled table is kept" if local.relation_kind(item.local) else "nothing was written"
        transient = getattr(exc, "transient", False)
        again = "; run elt pull again to resume (what was pulled is skipped)" if transient else ""
        raise ExecutionError(f"pulling {item.remote} into {item.local} failed ({kept}{again}): {exc.message}",
                             hint=exc.hint) from None
    return PullResult(item, "pulled", rows, size, seconds)


def _copy(item: PullItem, ends: Endpoints, query: str, temporary: Relation, types: list[str],
          threshold: int | None, batch_rows: int, progress: Progress | None) -> tuple[int, int]:
    rows = size = 0
    for batch in ends.source.stream_rows(query, batch_rows):
        rows += len(batch)
        if threshold is not None and rows > threshold:
            raise ExecutionError(
                f"{item.remote} has more than {threshold} rows{_within(item)}: a pull copies that many only "
                "when told to", hint=f"set a limit for {item.unique_id}: in its yml `pull:` block (partitions, "
                "where, sample, limit) or on the command line (--partitions, --where, --sample, --limit); "
                "or raise --max-rows")
        columns = [list(values) for values in zip(*batch, strict=True)]
        size += sum(_size(values) for values in columns)
        ends.local.append_columns(temporary, types, columns)
        if progress is not None:
            progress(item, rows, size)
    return rows, size


def _within(item: PullItem) -> str:
    return "" if not item.limits.bounded else f" within its limits ({item.limits.describe()})"


def _size(values: list[Any]) -> int:
    """Bytes of a batch's column as received: text by its length, other values as 8 bytes."""
    first = next((v for v in values if v is not None), None)
    if isinstance(first, (str, bytes)):
        return sum(map(len, filter(None, values)))
    return 8 * len(values)


# -- the query sent -----------------------------------------------------------------------------------


def _query(item: PullItem, ends: Endpoints, columns: list[tuple[str, str]]) -> str:
    """SELECT the columns from the remote relation, with the limits as WHERE and LIMIT, in the
    source engine's dialect."""
    source = ends.source
    conditions: list[exp.Expr] = []
    limits = item.limits
    if limits.partitions is not None:
        conditions.append(_last_partitions(item, ends, dict(columns)))
    if limits.where is not None:
        conditions.append(_condition(limits.where, item, ends))
    if limits.sample is not None:
        conditions.append(exp.LT(this=exp.Rand(this=exp.Literal.number(SAMPLE_SEED)),
                                 expression=exp.Literal.number(limits.sample / 100)))
    select = ", ".join(source.transfer_column(name, data_type) for name, data_type in columns)
    where = ""
    if conditions:
        where = "\nWHERE " + exp.and_(*[exp.Paren(this=c) for c in conditions]).sql(dialect=reader(source.dialect))
    cap = f"\nLIMIT {limits.limit}" if limits.limit is not None else ""
    return f"SELECT {select}\nFROM {item.remote}{where}{cap}"


def _condition(text: str, item: PullItem, ends: Endpoints) -> exp.Expr:
    import sqlglot

    try:
        return sqlglot.parse_one(text, read=reader(ends.project_dialect), into=exp.Condition)
    except sqlglot.errors.ParseError as exc:
        raise ProjectError(f"the pull `where` of {item.unique_id} is not a SQL condition: {text!r}",
                           hint=str(exc).splitlines()[0]) from None


_NUMERIC = ("tinyint", "smallint", "int", "bigint", "integer", "float", "double", "decimal")


def _last_partitions(item: PullItem, ends: Endpoints, types: dict[str, str]) -> exp.Expr:
    """`(p1 = v AND p2 = w) OR ...` over the last N partitions: the catalog's, else those of the
    model's partition_by (SELECT DISTINCT on the source)."""
    count = item.limits.partitions or 0
    specs = ends.source.partitions(item.remote)
    if not specs and item.partition_by:
        names = list(item.partition_by)
        rows = ends.source.fetchall(f"SELECT DISTINCT {', '.join(names)} FROM {item.remote}")
        specs = [{n: (None if v is None else str(v)) for n, v in zip(names, row, strict=True)} for row in rows]
    if not specs:
        raise ExecutionError(f"{item.remote} has no partitions (in the catalog of {ends.from_target!r}, or a "
                             "partition_by): a partitions limit cannot apply",
                             hint="limit it with where, sample or limit instead")
    lower = {name.lower(): data_type for name, data_type in types.items()}

    def key(spec: dict[str, str | None]) -> tuple[tuple[int, float, str], ...]:
        parts = []
        for name, value in spec.items():
            numeric = lower.get(name.lower(), "").lower().startswith(_NUMERIC)
            if value is None:
                parts.append((0, 0.0, ""))
            elif numeric and _is_number(value):
                parts.append((1, float(value), value))
            else:
                parts.append((1, 0.0, value))
        return tuple(parts)

    chosen = sorted(specs, key=key)[-count:]
    terms = []
    for spec in chosen:
        parts: list[exp.Expr] = []
        for name, value in spec.items():
            column = exp.column(name)
            if value is None:
                parts.append(exp.Is(this=column, expression=exp.Null()))
            elif lower.get(name.lower(), "").lower().startswith(_NUMERIC) and _is_number(value):
                parts.append(exp.EQ(this=column, expression=exp.Literal.number(value)))
            else:
                parts.append(exp.EQ(this=column, expression=exp.Literal.string(value)))
        terms.append(exp.and_(*parts))
    return exp.or_(*terms)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# -- the record ----------------------------------------------------------------------------------------


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def ensure_record(local: Adapter) -> None:
    """Create the record table in the local database if it is not there."""
    if local.relation_kind(RECORD) is None:
        local.create_schema(RECORD.schema)
        local.create_table(RECORD, list(_RECORD_COLUMNS))


def _record(item: PullItem, ends: Endpoints, query: str, rows: int, size: int, seconds: float) -> None:
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None).isoformat(sep=" ")
    values = [str(item.local), item.unique_id, ends.from_target, str(item.remote), item.limits.describe(), query,
              rows, size, round(seconds, 3)]
    ends.local.execute(f"DELETE FROM {RECORD} WHERE relation = {_literal(str(item.local))}")
    ends.local.execute(f"INSERT INTO {RECORD} VALUES ({', '.join(_literal(v) for v in values)}, "
                       f"CAST({_literal(now)} AS TIMESTAMP))")


def _already_pulled(item: PullItem, ends: Endpoints) -> bool:
    if ends.local.relation_kind(item.local) != "table":
        return False
    found = ends.local.fetchall(f"SELECT from_target, from_relation, limits FROM {RECORD} "
                                f"WHERE relation = {_literal(str(item.local))}")
    return bool(found) and tuple(found[0]) == (ends.from_target, str(item.remote), item.limits.describe())


def pulled(local: Adapter) -> list[dict[str, Any]]:
    """The record: one entry per pulled relation (relation, unique_id, from_target, from_relation,
    limits, query, row_count, bytes, seconds, pulled_at), newest first; empty when nothing was pulled."""
    if local.relation_kind(RECORD) is None:
        return []
    names, rows = local.fetch_table(f"SELECT * FROM {RECORD} ORDER BY pulled_at DESC")
    names = names or [name for name, _ in _RECORD_COLUMNS]
    return [dict(zip(names, row, strict=True)) for row in rows]
