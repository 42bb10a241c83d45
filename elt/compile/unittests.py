"""Model unit tests: render a model with given input rows, run it on in-memory DuckDB, diff the rows.

Inputs (each `ref()` / `source()` the model reads, and `this` for an incremental model's existing
table) become CTEs built from the given rows, so a unit test needs no warehouse — a Hive project's
model logic is tested on the laptop, through the same Hive-to-DuckDB translation the local runs use.
Rows are written in the yml (a list of mappings, or CSV text) or read from a CSV file (`fixture:`).
"""

from __future__ import annotations

import csv
import datetime
import decimal
import io
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

from elt.compile.compiler import Manifest
from elt.compile.render import Overrides, RenderedModel, did_you_mean, render_model
from elt.compile.templating import THIS
from elt.compile.unit_types import UnitTypes, add_ctes, cast_value, castable, typed_rows
from elt.dialects.hive_reader import reader
from elt.errors import EltError, ProjectError
from elt.nodes import NodeResult, now_iso
from elt.project.loader import UnitTestSpec, read_text
from elt.project.seed_files import infer_type, is_number

GIVEN_PREFIX = "__elt_given_"
#: the column numbering expected rows while their values are cast on the engine.
ROW_COLUMN = "__elt_row"
#: Where a bare `fixture: name` (dbt's spelling) is looked up, as <name>.csv.
FIXTURE_DIR = "tests/fixtures"
_REF = re.compile(r"""^\s*ref\(\s*['"](\w+)['"]\s*\)\s*$""")
_SOURCE = re.compile(r"""^\s*source\(\s*['"](\w+)['"]\s*,\s*['"](\w+)['"]\s*\)\s*$""")


@dataclass
class UnitTestResult:
    """The outcome of one unit test, with the rows that differ."""

    name: str
    model: str
    passed: bool
    columns: list[str] = field(default_factory=list)
    missing: list[tuple[Any, ...]] = field(default_factory=list)
    extra: list[tuple[Any, ...]] = field(default_factory=list)
    sql: str = ""

    def diff(self) -> str:
        """Missing rows (expected, not returned) as `-`, extra rows (returned, not expected) as `+`."""
        from elt.report.console import format_table

        rows = [("-", *r) for r in self.missing] + [("+", *r) for r in self.extra]
        return format_table(["", *self.columns], rows)


def _input_key(text: str, where: str) -> str:
    """`ref('x')` -> 'ref:x', `source('a','b')` -> 'source:a.b', `this` -> 'this'."""
    if str(text).strip() == "this":
        return "this"
    match = _REF.match(str(text))
    if match:
        return f"ref:{match.group(1)}"
    match = _SOURCE.match(str(text))
    if match:
        return f"source:{match.group(1)}.{match.group(2)}"
    raise ProjectError(f"{where}: input {text!r} must be ref('name'), source('source', 'table') or this")


def _fixture_path(name: str, root: Path, suffix: str = ".csv", test_paths: Sequence[str] = ()) -> Path:
    """A fixture path relative to the project folder; a bare name is dbt's <test path>/fixtures/<name>.csv
    (.sql for `format: sql`), else tests/fixtures/<name>.csv."""
    if "/" not in name and "\\" not in name and not name.lower().endswith(suffix):
        for folder in test_paths:
            path = root / folder / "fixtures" / f"{name}{suffix}"
            if path.is_file():
                return path
        return root / FIXTURE_DIR / f"{name}{suffix}"
    return root / name


def _sql_rows(block: Mapping[str, Any], where: str, root: Path | None, spec: UnitTestSpec | None,
              test_paths: Sequence[str] = ()) -> str:
    """The query of a `format: sql` block: `rows:` as SQL text, or a `fixture:` .sql file (dbt's format)."""
    located: dict[str, Any] = {"path": spec.path, "line": spec.line} if spec is not None else {}
    if "fixture" in block:
        path = _fixture_path(str(block["fixture"]), root or Path("."), ".sql", test_paths)
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ProjectError(f"{where}: fixture file {path} does not exist", **located,
                               hint=f"a bare name means {FIXTURE_DIR}/<name>.sql for format: sql") from None
    if not isinstance(block.get("rows"), str) or not block["rows"].strip():
        raise ProjectError(f"{where}: with format: sql, `rows` is a query (select ... union all select ...)",
                           **located)
    return str(block["rows"])


def _rows(block: Mapping[str, Any], where: str, root: Path | None = None,
          spec: UnitTestSpec | None = None, test_paths: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Rows of a `given` or `expect` block: `rows:` as a list of mappings, CSV text with format: csv,
    or a CSV file named by `fixture:` (relative to the project folder `root`)."""
    located: dict[str, Any] = {"path": spec.path, "line": spec.line} if spec is not None else {}
    if "fixture" in block:
        if "rows" in block:
            raise ProjectError(f"{where}: give `rows` or `fixture`, not both", **located)
        if block.get("format", "csv") != "csv":
            raise ProjectError(f"{where}: a fixture is a CSV file (format: csv) or a query (format: sql), "
                               f"not {block['format']!r}", **located)
        path = _fixture_path(str(block["fixture"]), root or Path("."), ".csv", test_paths)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ProjectError(f"{where}: fixture file {path} does not exist", **located,
                               hint="a fixture path is relative to the project folder "
                                    f"(e.g. {FIXTURE_DIR}/students.csv); a bare name means "
                                    f"{FIXTURE_DIR}/<name>.csv") from None
        return _csv_rows(text)
    rows = block.get("rows", [])
    if block.get("format") == "csv" or isinstance(rows, str):
        return _csv_rows(str(rows))
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ProjectError(f"{where}: rows must be a list of mappings (or CSV text with format: csv)", **located)
    return rows


def _csv_rows(text: str) -> list[dict[str, Any]]:
    """Rows of CSV text; an empty cell is NULL, whatever the column's type (dbt's rule)."""
    return [{k: None if v == "" else v for k, v in r.items()} for r in csv.DictReader(io.StringIO(text.strip()))]


def is_missing(value: Any) -> bool:
    """None, or a NaN / NaT (what a DataFrame holds for a missing value: it is not equal to itself)."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):  # e.g. an array, whose comparison is not a truth value
        return False


def _literal(value: Any, hive_type: str) -> str:
    kind = hive_type.lower().split("(")[0].strip()
    if is_missing(value) or value == "" and kind != "string":
        return f"CAST(NULL AS {hive_type.upper()})"
    if kind == "boolean":
        return str(value).lower()
    text = str(value)
    if kind in ("int", "bigint", "double") and is_number(text):
        return text
    text = text.replace("\\", "\\\\").replace("'", "\\'")
    # Anything else is cast from text: a date, a decimal, 'inf', or a value the engine reports as
    # not convertible (rather than splicing it into the SQL bare).
    return f"'{text}'" if kind in ("string", "varchar", "char") else f"CAST('{text}' AS {hive_type.upper()})"


def _sample(value: Any) -> str:
    """A given value as text for type inference; inf (no number to `infer_type`) still makes a double."""
    if value is None:
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        return "0.0"
    return str(value)


def _given_cte(rows: list[dict[str, Any]], column_types: Mapping[str, str], where: str) -> str:
    rows = [{k: None if is_missing(v) else v for k, v in r.items()} for r in rows]
    columns = list(dict.fromkeys([*column_types, *(k for r in rows for k in r)]))
    if not columns:
        raise ProjectError(f"{where}: give at least one row, or `columns: {{name: type}}` for an empty input")
    types = {c: column_types.get(c) or infer_type([_sample(r.get(c)) for r in rows]) for c in columns}
    if not rows:
        select = ", ".join(f"{_literal(None, types[c])} AS {c}" for c in columns)
        return f"SELECT {select} WHERE 1 = 0"
    return "\nUNION ALL\n".join(
        "SELECT " + ", ".join(f"{_literal(r.get(c), types[c])} AS {c}" for c in columns) for r in rows
    )


def _normal(value: Any) -> Any:
    """One form for values coming from yml and from the engine, so they compare as equal."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (int, float, decimal.Decimal)):
        number = float(value)
        if not math.isfinite(number):
            return number
        return int(number) if number.is_integer() else round(number, 6)
    if isinstance(value, str):
        for convert in (int, float):
            try:
                return _normal(convert(value))
            except ValueError:
                pass
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
    return value


def render_unit_test(manifest: Manifest, spec: UnitTestSpec, types: UnitTypes | None = None) -> RenderedModel:
    """The model rendered with the unit test's overrides, every input read from a CTE of the given
    rows (its `query`; project dialect). With `types` (on the unit test's database), each input whose
    columns are known has them all, the given values cast to their types and NULL where a row leaves
    a column out (dbt's rule); without, or for an input of unknown columns, the columns the rows name.

    Raises:
        ProjectError: unknown model, an input that is neither given nor known, malformed rows.
        TemplateError, SqlError: the model does not render or parse (at the model file's line).
    """
    where = f"unit test {spec.name!r}"
    model = manifest.nodes.get(f"model.{spec.model}")
    if model is None:
        models = [n.name for n in manifest.nodes.values() if n.resource_type == "model"]
        raise ProjectError(f"{where} names unknown model {spec.model!r}", path=spec.path, line=spec.line,
                           hint=did_you_mean(spec.model, models))
    # input key -> (cte name, SQL or query, or the problem of its rows)
    givens: dict[str, tuple[str, str | exp.Query | ProjectError]] = {}
    for number, block in enumerate(spec.given, start=1):
        key = _input_key(block["input"], where)
        try:
            given: str | exp.Query | ProjectError = _given(manifest, spec, block, key, types)
        except ProjectError as exc:  # raised after the render: an input the model reads but is not given comes first
            given = exc
        givens[key] = (f"{GIVEN_PREFIX}{number}", given)

    def source(source_name: str, table: str) -> str:
        key = f"source:{source_name}.{table}"
        if key not in givens:
            raise ProjectError(f"{where}: the model reads source('{source_name}', '{table}'), which `given` "
                               "does not provide", path=spec.path, line=spec.line)
        return givens[key][0]

    def ref(name: str) -> str:
        if name == THIS:
            # dbt's rule: `this` is the model's existing table, given as an input like any other
            # (an incremental model reads it when overrides set is_incremental).
            if "this" not in givens:
                raise ProjectError(f"{where}: the model reads {{{{ this }}}} (its existing table), which "
                                   "`given` does not provide", path=spec.path, line=spec.line,
                                   hint="add to given: - input: this\n      rows: [...]")
            return givens["this"][0]
        if f"ref:{name}" not in givens:
            raise ProjectError(f"{where}: the model reads ref('{name}'), which `given` does not provide",
                               path=spec.path, line=spec.line,
                               hint=f"add to given: - input: ref('{name}')\n      rows: [...]")
        return givens[f"ref:{name}"][0]

    overrides = spec.overrides
    incremental = bool((overrides.get("macros") or {}).get("is_incremental", False))
    rendered = render_model(manifest, model, Overrides(vars=overrides.get("vars") or {}, is_incremental=incremental,
                                                       ref=ref, source=source))
    for _, problem in givens.values():
        if isinstance(problem, ProjectError):
            raise problem
    add_ctes(rendered.query, [(name, cte if isinstance(cte, exp.Query) else _given_query(str(cte), manifest.dialect))
                              for name, cte in givens.values()])
    return rendered


def _given(manifest: Manifest, spec: UnitTestSpec, block: Mapping[str, Any], key: str,
           types: UnitTypes | None) -> str | exp.Query:
    """One given input as a query (or SQL in the project dialect): `format: sql` as written; rows typed
    by the input's columns when `types` knows them; else the columns the rows name, typed by values."""
    where = f"unit test {spec.name!r}, input {block['input']}"
    root = manifest.project.root
    if block.get("format") == "sql":
        return _sql_rows(block, where, root, spec, manifest.project.config.test_paths)
    seed = manifest.nodes.get(f"seed.{key.removeprefix('ref:')}") if key.startswith("ref:") else None
    if seed is not None and "rows" not in block and "fixture" not in block:
        # dbt's rule: a seed given without rows is given its own file's rows
        rows = [dict(r) for r in csv.DictReader(io.StringIO(read_text(root / seed.path).strip()))]
    else:
        rows = _rows(block, where, root, spec, manifest.project.config.test_paths)
    declared = block.get("columns") or {}
    schema = types.of_input(key, spec.model) if types is not None else None
    if types is None or schema is None:
        if types is not None:
            types.unknown.append(str(block["input"]))
        return _given_cte(rows, declared, f"unit test {spec.name!r}")
    # a source's yml may document some of its columns: the others are typed from their values
    others = ((lambda values: types.project_type(infer_type([_sample(v) for v in values])))
              if key.startswith("source:") else None)
    return typed_rows(rows, schema, {str(k): types.project_type(str(v)) for k, v in declared.items()}, where,
                      {"path": spec.path, "line": spec.line}, others)


def _given_query(sql: str, dialect: str) -> exp.Expr:
    """A given CTE's query, without positions: they are in text the user did not write, and would be
    taken for lines of the model file."""
    query = sqlglot.parse_one(sql, read=reader(dialect))
    for node in query.walk():
        for key in ("line", "col", "start", "end"):
            node.meta.pop(key, None)
    return query


def _selector_matcher(manifest: Manifest, text: str, state: Any = None) -> Callable[[UnitTestSpec], bool]:
    """Whether one selector (atoms joined by commas) picks a unit test: it names the test (wildcards
    allowed), or its `test_type:` atoms accept `unit` and its other atoms select the tested model."""
    from elt.run.selection import select_nodes

    atoms = text.split(",")
    kinds = [a.split(":", 1)[1] for a in atoms if a.startswith("test_type:")]
    others = [a for a in atoms if not a.startswith("test_type:")]
    if not all(fnmatchcase("unit", kind) for kind in kinds):
        return lambda spec: False  # test_type:generic / singular: data tests only
    models = (select_nodes(manifest.graph, manifest.nodes, [",".join(others)], None, {"model"}, state)
              if others else None)
    return lambda spec: fnmatchcase(spec.name, text) or models is None or f"model.{spec.model}" in models


def select_unit_tests(manifest: Manifest, select: Sequence[str] | None,
                      exclude: Sequence[str] | None = None, state: Any = None) -> list[UnitTestSpec]:
    """The unit tests `-s` / `--exclude` choose (no `-s`: all): by name, `test_type:unit`, or through
    the tested model (`-s mart_x`, `-s tag:nightly`, `-s tag:nightly,test_type:unit`).

    Raises:
        ProjectError: a malformed selector.
    """
    def matchers(arguments: Sequence[str] | None) -> list[Callable[[UnitTestSpec], bool]]:
        return [_selector_matcher(manifest, text, state) for argument in arguments or ()
                for text in argument.split()]

    chosen, excluded = matchers(select), matchers(exclude)
    return [spec for spec in manifest.project.unit_tests
            if (not chosen or any(m(spec) for m in chosen)) and not any(m(spec) for m in excluded)]


def unit_test_selectors(manifest: Manifest, select: Sequence[str] | None, state: Any = None) -> set[str]:
    """The selectors (split out of the CLI arguments) that pick at least one unit test (`state`: the
    comparison `state:` selectors read, elt.state.StateChanges)."""
    texts = {text for argument in select or () for text in argument.split()}
    return {text for text in texts
            if any(map(_selector_matcher(manifest, text, state), manifest.project.unit_tests))}


def run_unit_test(manifest: Manifest, spec: UnitTestSpec, adapter: Any) -> UnitTestResult:
    """Run one unit test on an open DuckDB adapter and compare with `expect`, the expected values cast
    to the types of the model's columns (dbt's rule)."""
    types = UnitTypes(manifest, adapter)
    rendered = render_unit_test(manifest, spec, types)
    engine_sql = types.engine_sql(rendered)
    try:
        output = types.of_query(engine_sql)
    except EltError as exc:
        if types.unknown:  # e.g. the model reads a column no given row names
            exc.hint = (f"{exc.hint}; " if exc.hint else "") + (
                f"elt does not know all the columns of {', '.join(types.unknown)}, so only those the given rows "
                "name are there: give the others too, or declare the source's columns with data_type in its yml")
        raise
    columns, rows = adapter.fetch_table(engine_sql)
    where = f"unit test {spec.name!r}, expect"
    if spec.expect.get("format") == "sql":
        expected_sql = _sql_rows(spec.expect, where, manifest.project.root, spec, manifest.project.config.test_paths)
        wanted, expected = _expected_query_rows(types, expected_sql, spec)
    else:
        expected_rows = _rows(spec.expect, where, manifest.project.root, spec, manifest.project.config.test_paths)
        wanted = list(dict.fromkeys(k for r in expected_rows for k in r)) or columns
    unknown = [c for c in wanted if c not in columns]
    if unknown:
        raise ProjectError(f"unit test {spec.name!r} expects column(s) {', '.join(unknown)} that model "
                           f"{spec.model!r} does not return", path=spec.path, line=spec.line,
                           hint=f"the model returns: {', '.join(columns)}")
    if spec.expect.get("format") != "sql":
        kinds = dict(output)
        expected = _cast_expected(types, expected_rows, [(c, kinds.get(c)) for c in wanted], spec)
    index = [columns.index(c) for c in wanted]
    actual = Counter(tuple(_normal(row[i]) for i in index) for row in rows)
    expect = Counter(tuple(_normal(value) for value in row) for row in expected)
    missing = sorted((expect - actual).elements(), key=repr)
    extra = sorted((actual - expect).elements(), key=repr)
    return UnitTestResult(spec.name, spec.model, not missing and not extra, wanted, missing, extra, engine_sql)


def _cast_expected(types: UnitTypes, rows: list[dict[str, Any]], schema: list[tuple[str, Any]],
                   spec: UnitTestSpec) -> list[tuple[Any, ...]]:
    """The expected rows with each value cast (on the engine, through the translation) to the type of
    its column in the model's output; values of a column of unknown or nested type are kept as given."""
    cast = [(name, kind) for name, kind in schema
            if castable(kind) and not any(isinstance(r.get(name), (list, dict)) for r in rows)]
    converted: dict[int, dict[str, Any]] = {}
    if cast and rows:
        located = {"path": spec.path, "line": spec.line}
        where = f"unit test {spec.name!r}, expect"
        selects = [exp.select(exp.alias_(exp.Literal.number(number), ROW_COLUMN),
                              *(exp.alias_(cast_value(row.get(name), kind, where, located), exp.to_identifier(name))
                                for name, kind in cast))
                   for number, row in enumerate(rows)]
        query: exp.Query = selects[0]
        for select in selects[1:]:
            query = exp.union(query, select, distinct=False)
        names, values = types.adapter.fetch_table(_engine_sql(types, query, spec))
        converted = {row[0]: dict(zip(names[1:], row[1:], strict=True)) for row in values}
    return [tuple(converted[number][name] if number in converted and name in converted[number] else row.get(name)
                  for name, _ in schema) for number, row in enumerate(rows)]


def _expected_query_rows(types: UnitTypes, sql: str, spec: UnitTestSpec) -> tuple[list[str], list[tuple[Any, ...]]]:
    """`expect` with format: sql: the query's columns and rows, run on the engine as the model is."""
    query = _given_query(sql, types.manifest.dialect)
    names, rows = types.adapter.fetch_table(_engine_sql(types, query, spec))
    return list(names), list(rows)


def _engine_sql(types: UnitTypes, query: exp.Expr, spec: UnitTestSpec) -> str:
    """A query built for a unit test (project dialect) as the engine runs it."""
    from elt.dialects import translate

    manifest = types.manifest
    if types.adapter.dialect == manifest.dialect:
        return str(query.sql(dialect=reader(manifest.dialect)))
    return translate(query, manifest.dialect, types.adapter.dialect, path=spec.path)


def unit_test_id(spec: UnitTestSpec) -> str:
    """The id a unit test's result carries: `unit_test.<model>.<name>`."""
    return f"unit_test.{spec.model}.{spec.name}"


def unit_test_result(manifest: Manifest, spec: UnitTestSpec, adapter: Any) -> NodeResult:
    """Run one unit test on an open DuckDB adapter as a NodeResult (never raises for the test)."""
    started = now_iso()
    uid = unit_test_id(spec)
    try:
        outcome = run_unit_test(manifest, spec, adapter)
    except EltError as exc:
        result = NodeResult(uid, "error", str(exc))
    else:
        if outcome.passed:
            result = NodeResult(uid, "success", "passed", statements=[outcome.sql])
        else:
            n = len(outcome.missing) + len(outcome.extra)
            result = NodeResult(uid, "fail", f"{n} row(s) differ (- expected, not returned; "
                                f"+ returned, not expected):\n{outcome.diff()}",
                                failures=n, statements=[outcome.sql])
    result.started_at, result.completed_at = started, now_iso()
    return result


def run_unit_tests(manifest: Manifest, specs: Sequence[UnitTestSpec]) -> list[tuple[UnitTestSpec, NodeResult]]:
    """Run unit tests on a private in-memory DuckDB, one NodeResult each (never raises for a test)."""
    from elt.adapters import memory_adapter

    with memory_adapter(manifest.target.profiles_path) as adapter:
        return [(spec, unit_test_result(manifest, spec, adapter)) for spec in specs]
