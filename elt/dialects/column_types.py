"""A column's catalog type on one engine written as the type of another, for copying rows between them
(`elt pull`: a Hive relation's DESCRIBE types as the DuckDB table's column types).

The mapping is sqlglot's (the same types elt's translation reads and writes), with the few places
where sqlglot's DuckDB output would not hold Hive's values as Hive has them made explicit: a bare
DECIMAL is Hive's DECIMAL(10,0) (DuckDB's bare DECIMAL is (18,3)); CHAR(n) and VARCHAR(n) are
DuckDB's VARCHAR (TEXT: DuckDB keeps no length). A type the other engine cannot hold is refused with
the column's name.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.errors import ParseError

from elt.dialects.hive_reader import reader
from elt.errors import SqlError

_DT = exp.DataType.Type
#: Types with no column type on the other side: Hive's VOID (the type of a bare NULL) and intervals
#: (Hive cannot store them in a table; Spark's DESCRIBE of a view may still show one).
_REFUSED = {_DT.NULL, _DT.INTERVAL, _DT.UNKNOWN}
_STRINGS = {_DT.CHAR, _DT.VARCHAR, _DT.NCHAR, _DT.NVARCHAR}


def parse_type(type_text: str, read: str, column: str = "") -> exp.DataType:
    """A catalog type of the `read` engine, parsed.

    Raises:
        SqlError: sqlglot does not read the type (naming the column).
    """
    try:
        return exp.DataType.build(type_text, dialect=reader(read))
    except (ParseError, ValueError):
        raise SqlError(f"column {column!r} has the type {type_text!r}, which elt cannot read",
                       hint="leave the column out (pull a view selecting the other columns)") from None


def is_nested(data_type: exp.DataType) -> bool:
    """STRUCT, ARRAY or MAP: values a driver carries as text, parsed on arrival.

    >>> is_nested(parse_type("array<int>", "hive")), is_nested(parse_type("int", "hive"))
    (True, False)
    """
    return data_type.is_type(*exp.DataType.NESTED_TYPES)


def engine_type(type_text: str, read: str, write: str, column: str = "") -> str:
    """The type of the `write` engine that holds the values of a `read` engine's column type.

    >>> engine_type("decimal(10,2)", "hive", "duckdb"), engine_type("decimal", "hive", "duckdb")
    ('DECIMAL(10, 2)', 'DECIMAL(10, 0)')
    >>> engine_type("struct<a:int,b:varchar(3)>", "hive", "duckdb")
    'STRUCT(a INT, b TEXT)'
    >>> engine_type("map<string,array<date>>", "hive", "duckdb")
    'MAP(TEXT, DATE[])'

    Raises:
        SqlError: the type (or a field of it) has no equivalent on `write`, naming the column.
    """
    data_type = parse_type(type_text, read, column)
    for node in data_type.walk():
        if not isinstance(node, exp.DataType):
            continue
        if node.this in _REFUSED or isinstance(node.this, exp.Interval):  # `interval day`: this is an Interval
            raise SqlError(f"column {column!r} has the type {type_text!r}, which elt cannot copy into a {write} table",
                           hint="leave the column out (pull a view selecting the other columns)")
        if node.this in _STRINGS or node.this == _DT.TEXT:
            node.set("this", _DT.VARCHAR)
            node.set("expressions", [])
        elif node.this == _DT.DECIMAL and not node.expressions:
            node.set("expressions", [exp.DataTypeParam(this=exp.Literal.number(10)),
                                     exp.DataTypeParam(this=exp.Literal.number(0))])
    return data_type.sql(dialect=reader(write))
