"""Values as one text on every engine elt runs Hive SQL on, for comparing rows across engines (`elt diff`).

A row of the Hive server and the same row of DuckDB give the same canonical text, hence the same md5:
each value is Hive's `CAST(x AS STRING)` (on DuckDB, the translation writes Hive's formatting of
decimals, timestamps: `1.50`, `2024-01-02 03:04:05.12`), booleans as `true`/`false` by a CASE (Hive says
`TRUE`, the Spark server `true`: `tests/parity/README.md`), doubles and floats by their exact binary
value (`exact_double_text`: Java's own text of a double depends on its version), NULL as `N`, and every
other value prefixed by its length so that no two rows of different values join to one text. Complex types
(array, map, struct) have no such text on DuckDB (the translation refuses their cast to string).

The SQL here is Hive's; `engine_sql` renders it for an engine's dialect through `elt.dialects.translate`.
Type names in Hive's terms (`type_name`) let a DuckDB VARCHAR and a Hive string be one type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from elt.errors import SqlError

#: The dialect the SQL of this module is written in.
SOURCE_DIALECT = "hive"
#: The canonical text of NULL; every other value's starts with a digit (its length).
NULL_TEXT = "N"

_COMPLEX = ("ARRAY", "MAP", "STRUCT", "UNION")


def type_name(engine_type: str, engine_dialect: str) -> str:
    """An engine's column type in Hive's terms, upper case and without spaces.

    >>> type_name("VARCHAR", "duckdb"), type_name("INTEGER", "duckdb"), type_name("decimal(10,2)", "hive")
    ('STRING', 'INT', 'DECIMAL(10,2)')
    >>> type_name("string", "hive"), type_name("TIMESTAMP", "duckdb")
    ('STRING', 'TIMESTAMP')
    """
    from sqlglot import exp
    from sqlglot.errors import ParseError

    from elt.dialects.hive_reader import reader

    try:
        built = exp.DataType.build(engine_type, dialect=reader(engine_dialect))
        text = built.sql(dialect=reader(SOURCE_DIALECT))
    except (ParseError, ValueError):
        text = engine_type
    return "".join(text.upper().split())


def comparable_as_text(hive_type: str) -> bool:
    """Does a column of this (Hive-terms) type have a canonical text on every engine?"""
    return not hive_type.startswith(_COMPLEX)


def value_text(column: str, hive_type: str) -> str:
    """Hive SQL: the canonical text of a column's value (NULL stays NULL here).

    >>> value_text("`b`", "BOOLEAN")
    "CASE WHEN `b` THEN 'true' WHEN NOT `b` THEN 'false' END"
    >>> value_text("`x`", "DOUBLE")
    'CAST(`x` AS STRING)'
    """
    if hive_type == "BOOLEAN":
        return f"CASE WHEN {column} THEN 'true' WHEN NOT {column} THEN 'false' END"
    if hive_type == "STRING":
        return column
    return f"CAST({column} AS STRING)"


def exact_double_text(column: str) -> str:
    """Hive SQL: a double's exact binary value as text, `[-]<exponent>p<mantissa bits>`, the same on
    every engine (NaN, infinities and zeros as `CAST(x AS STRING)` writes them).

    `CAST(x AS STRING)` is not: Java before 19 writes some doubles with a digit more than the shortest
    text that reads back as the same double (JDK-4511638: 9.0909090909090908E18 where DuckDB and Java 19
    write 9.090909090909091E18). The exponent is floor(log2(|x|)), corrected by one where log2 rounds
    across a power of two; |x| / 2^exponent is then exactly in [1, 2), and its 52 bits after the point
    an exact integer: multiplying and dividing by powers of two is exact in IEEE arithmetic.
    """
    x = f"ABS({column})"
    e0 = f"CAST(FLOOR(LOG2({x})) AS INT)"
    m0 = f"({x} / POW(2, {e0}))"
    e = f"(CASE WHEN {m0} >= 2 THEN {e0} + 1 WHEN {m0} < 1 THEN {e0} - 1 ELSE {e0} END)"
    mantissa = f"CAST(({x} / POW(2, {e}) - 1) * 4503599627370496 AS BIGINT)"  # 2^52
    plain = f"CAST({column} AS STRING)"
    return (f"CASE WHEN {plain} IN ('NaN', 'Infinity', '-Infinity', '0.0', '-0.0') THEN {plain} "
            f"ELSE CONCAT(CASE WHEN {column} < 0 THEN '-' ELSE '' END, CAST({e} AS STRING), 'p', "
            f"CAST({mantissa} AS STRING)) END")


def hash_text(column: str, hive_type: str) -> str:
    """Hive SQL: the text of a value that rows are hashed with: `value_text`, except for floating
    point numbers, whose exact value is written (`exact_double_text`)."""
    if hive_type == "DOUBLE":
        return exact_double_text(column)
    if hive_type == "FLOAT":  # a float is exactly a double
        return exact_double_text(f"CAST({column} AS DOUBLE)")
    return value_text(column, hive_type)


def field_text(column: str, hive_type: str) -> str:
    """Hive SQL: a self-delimiting text of the value, never NULL: `N` for NULL, else `<length>:<text>`,
    so that the fields of a row joined end to end never read as another row's."""
    text = hash_text(column, hive_type)
    return f"COALESCE(CONCAT(CAST(LENGTH({text}) AS STRING), ':', {text}), '{NULL_TEXT}')"


def row_text(columns: Sequence[tuple[str, str]]) -> str:
    """Hive SQL: the fields of `columns` ((column SQL, Hive type) pairs) end to end."""
    if not columns:
        return "''"
    fields = [field_text(column, hive_type) for column, hive_type in columns]
    return fields[0] if len(fields) == 1 else f"CONCAT({', '.join(fields)})"


def can_render(engine_dialect: str) -> bool:
    """Can SQL of this module run on an engine of `engine_dialect` with the same answers?"""
    from elt.dialects import TRANSLATORS

    return engine_dialect == SOURCE_DIALECT or (SOURCE_DIALECT, engine_dialect) in TRANSLATORS


def engine_sql(hive_sql: str, engine_dialect: str,
               relations: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """A query written in Hive SQL, as the engine of `engine_dialect` runs it with Hive's answers.

    Args:
        hive_sql: the query.
        engine_dialect: the adapter's dialect.
        relations: 'schema.table' -> column -> engine type of the relations it reads (the translation
            then writes each conversion for its column's type).

    Raises:
        SqlError: no translation from Hive to that dialect, or a construct it refuses.
    """
    import sqlglot

    from elt.dialects import translate
    from elt.dialects.hive_reader import reader

    if not can_render(engine_dialect):
        raise SqlError(f"elt cannot compare values on an engine speaking {engine_dialect}: no translation "
                       f"from {SOURCE_DIALECT} SQL to it")
    if engine_dialect == SOURCE_DIALECT:
        return hive_sql
    tree = sqlglot.parse_one(hive_sql, dialect=reader(SOURCE_DIALECT))
    return translate(tree, SOURCE_DIALECT, engine_dialect, copy=False, relations=relations)
