"""Values as one text on every engine elt runs Hive SQL on, for comparing rows across engines (`elt diff`).

A row of the Hive server and the same row of DuckDB give the same canonical text, hence the same md5:
each value is Hive's `CAST(x AS STRING)` (on DuckDB, the translation writes Hive's formatting of
decimals, timestamps: `1.50`, `2024-01-02 03:04:05.12`), booleans as `true`/`false` by a CASE (Hive says
`TRUE`, the Spark server `true`: `tests/parity/README.md`), doubles and floats by their exact binary
value (`exact_double_text`: Java's own text of a double depends on its version), strings by their md5,
NULL as `N`; fields separated by commas, which none of them holds, so no two different rows give one
text. Complex types
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


#: Types whose canonical text never holds a comma (nor is the NULL text): written as they are in a
#: row's text. Any other value (strings) is written as the md5 of its text, so that commas in values
#: cannot make two rows' texts alike.
_PLAIN_TYPES = ("TINYINT", "SMALLINT", "INT", "BIGINT", "DECIMAL", "DOUBLE", "FLOAT", "BOOLEAN", "DATE",
                "TIMESTAMP")
_INFINITY = "CAST('Infinity' AS DOUBLE)"


def is_floating(hive_type: str) -> bool:
    """Is a column of this type hashed by its exact binary value (`exact_double_text`)?"""
    return hive_type in ("DOUBLE", "FLOAT")


def as_double(column: str, hive_type: str) -> str:
    """Hive SQL: a floating point column as a double (a float is exactly a double)."""
    return f"CAST({column} AS DOUBLE)" if hive_type == "FLOAT" else column


def rough_exponent(column: str) -> str:
    """Hive SQL: floor(log2(|x|)) of a finite non-zero double, which may be one off where log2 rounds
    across a power of two (`exponent` corrects it); NULL for zero, infinities, NaN."""
    return (f"CASE WHEN ABS({column}) > 0 AND ABS({column}) < {_INFINITY} "
            f"THEN CAST(FLOOR(LOG2(ABS({column}))) AS INT) END")


def exponent(column: str, rough: str) -> str:
    """Hive SQL: the exact binary exponent of a double from `rough_exponent`'s value `rough` (a column)."""
    scaled = f"ABS({column}) / POW(2, {rough})"
    return f"{rough} + CASE WHEN {scaled} >= 2 THEN 1 WHEN {scaled} < 1 THEN -1 ELSE 0 END"


def exact_double_text(column: str, exponent_column: str) -> str:
    """Hive SQL: a double's exact binary value as text, `[-]<exponent>p<52 bits after the point>`, the
    same on every engine; `exponent_column` holds `exponent()` of the value (a column of an inner query,
    so that the engine computes it once).

    `CAST(x AS STRING)` is not the same everywhere: Java before 19 writes some doubles with a digit
    more than the shortest text that reads back as the same double (JDK-4511638: 9.0909090909090908E18
    where DuckDB and Java 19 write 9.090909090909091E18). With the exponent e, |x| / 2^e is exactly in
    [1, 2) and its 52 bits after the point an exact integer: multiplying and dividing by powers of two
    is exact in IEEE arithmetic. NaN, infinities and zero (either sign: they are equal) are named.
    """
    mantissa = f"CAST((ABS({column}) / POW(2, {exponent_column}) - 1) * 4503599627370496 AS BIGINT)"  # 2^52
    return (f"CASE WHEN {column} = CAST('NaN' AS DOUBLE) THEN 'NaN' WHEN {column} = {_INFINITY} THEN 'Inf' "
            f"WHEN {column} = -{_INFINITY} THEN '-Inf' WHEN {column} = 0 THEN '0' "
            f"ELSE CONCAT(CASE WHEN {column} < 0 THEN '-' ELSE '' END, CAST({exponent_column} AS STRING), 'p', "
            f"CAST({mantissa} AS STRING)) END")


def field_text(column: str, hive_type: str, exponent_column: str | None = None) -> str:
    """Hive SQL: the value's text in a row's text, never NULL and without commas: `N` for NULL, a
    double or float by its exact value (`exponent_column` as for `exact_double_text`), a number, date,
    timestamp or boolean by its text, anything else by the md5 of its text."""
    if is_floating(hive_type):
        if exponent_column is None:
            raise ValueError(f"{column}: a floating point column needs its exponent column")
        text = exact_double_text(as_double(column, hive_type), exponent_column)
    elif hive_type.startswith(_PLAIN_TYPES):
        text = value_text(column, hive_type)
    else:
        text = f"MD5({value_text(column, hive_type)})"
    return f"COALESCE({text}, '{NULL_TEXT}')"


def row_text(columns: Sequence[tuple[str, str, str | None]]) -> str:
    """Hive SQL: the fields of `columns` ((column SQL, Hive type, exponent column) triples), separated by
    commas (which no field holds)."""
    if not columns:
        return "''"
    fields = [field_text(column, hive_type, exponent_column) for column, hive_type, exponent_column in columns]
    separator = ", ',', "
    return fields[0] if len(fields) == 1 else f"CONCAT({separator.join(fields)})"


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
