"""Rules for Hive clauses and typing, Hive -> DuckDB: casts, implicit conversions in comparisons,
LATERAL VIEW and table-generating functions, GROUP BY ... WITH ROLLUP/CUBE/GROUPING SETS, GROUPING__ID.
"""

from __future__ import annotations

import re

from sqlglot import exp

from elt.dialects import hive_types as types
from elt.dialects._common import DUCKDB, Rule, call, data_type, is_number, is_string, macro, numeric_text, refuse

DT = exp.DataType.Type

_INT_BITS = {DT.TINYINT: 8, DT.SMALLINT: 16, DT.INT: 32, DT.BIGINT: 64}
_INT_RANGE = {bits: (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) for bits in (8, 16, 32, 64)}
_STRING_TYPES = {DT.TEXT, DT.VARCHAR, DT.CHAR, DT.NCHAR, DT.NVARCHAR}

# -- casts ---------------------------------------------------------------------------------------------


def _cast(node: exp.Expr) -> exp.Expr:
    """CAST in Hive never fails: a bad value gives NULL. Each target type has its own Hive conversion."""
    value, to = node.this, node.args["to"]
    kind = to.this
    if isinstance(value, exp.Null):
        return exp.Cast(this=value, to=to)
    if kind in _INT_BITS:
        bits = _INT_BITS[kind]
        low, high = _INT_RANGE[bits]
        if is_number(value) and value.is_int and low <= int(value.sql()) <= high:
            return exp.Cast(this=value, to=to)
        return exp.TryCast(this=types.to_integral(value, bits, node), to=to)
    if kind in (DT.DOUBLE, DT.FLOAT):
        return types.to_number(value, "DOUBLE" if kind == DT.DOUBLE else "FLOAT", node)
    if kind == DT.DECIMAL:
        params = to.expressions or [
            exp.DataTypeParam(this=exp.Literal.number(10)),
            exp.DataTypeParam(this=exp.Literal.number(0)),
        ]
        return types.to_number(value, exp.DataType(this=DT.DECIMAL, expressions=params).sql(DUCKDB), node)
    if kind in _STRING_TYPES:
        if not to.expressions:
            return types.to_string(value)
        return _cast_to_sized_string(value, to, node)
    if kind == DT.BOOLEAN:
        return types.to_boolean(value, node)
    if kind == DT.DATE:
        return types.to_date(value)
    if kind == DT.TIMESTAMP:
        return types.to_timestamp(value, node)
    if kind in (DT.BINARY, DT.VARBINARY):
        return types.to_binary(value)
    refuse(f"CAST AS {to.sql('hive')}", "this conversion has no checked DuckDB equivalent", node)


def _cast_to_sized_string(value: exp.Expr, to: exp.DataType, node: exp.Expr) -> exp.Expr:
    """CAST(x AS VARCHAR(n)): Hive converts to a string, then keeps the first n code points
    (HiveBaseChar.enforceMaxLength); DuckDB's left() counts code points too. CHAR(n) is refused: Hive
    pads it to n, yet strips the padding again wherever a CHAR meets a string (length, concat,
    comparisons), a type DuckDB does not have."""
    construct = f"CAST AS {to.sql('hive')}"
    if to.this != DT.VARCHAR:
        refuse(construct, "Hive's CHAR pads to the length, but ignores the padding in string functions and "
               "comparisons; DuckDB has no such type", node,
               "cast to VARCHAR(n) (truncates like CHAR(n), without padding) or to STRING")
    length = to.expressions[0].this if len(to.expressions) == 1 else None
    if length is None or not is_number(length) or not length.is_int or int(length.name) < 1:
        refuse(construct, "the length must be one positive integer", node)
    return call("left", types.to_string(value), exp.Literal.number(int(length.name)))


# -- implicit conversions in comparisons -----------------------------------------------------------
# Hive compares a string with a number as two doubles ('2.4' = 2 is false); DuckDB casts the string to
# the number's type ('2.4' -> 2, so true), or the literal '1.5' to an INT column's type (-> 2). The
# hive_cmp_* macros compare as doubles exactly when one side is a string and the other a number,
# decided on the operand types at bind time; otherwise they are the plain operator.

_CMP: dict[type[exp.Expr], str] = {
    exp.EQ: "eq",
    exp.NEQ: "ne",
    exp.LT: "lt",
    exp.LTE: "le",
    exp.GT: "gt",
    exp.GTE: "ge",
}
_MIRROR = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}


def _cmp(op: str, value: exp.Expr, literal: exp.Expr, name: str = "hive_cmp_") -> exp.Expr:
    return types.compare(op, value, literal, in_list=name == "hive_in_")


def _literal_needs_care(node: exp.Expr) -> bool:
    return is_number(node) or numeric_text(node)


def _is_literal(node: exp.Expr) -> bool:
    return is_string(node) or is_number(node) or isinstance(node, exp.Null)


def _comparison(node: exp.Expr) -> exp.Expr:
    left, right = node.this, node.expression
    if _is_literal(left) and _is_literal(right):
        if is_string(left) != is_string(right) and not isinstance(left, exp.Null) and not isinstance(right, exp.Null):
            as_double = [
                # TRY_CAST: text that is not a number compares as NULL in Hive ('abc' = 0)
                exp.TryCast(this=s, to=data_type("DOUBLE")) if is_string(s) else s for s in (left, right)
            ]
            node.set("this", as_double[0])
            node.set("expression", as_double[1])
        return node
    op = _CMP[type(node)]
    if _literal_needs_care(right) and not _is_literal(left):
        return _cmp(op, left, right)
    if _literal_needs_care(left) and not _is_literal(right):
        return _cmp(_MIRROR[op], right, left)
    return node


def _in(node: exp.Expr) -> exp.Expr:
    if node.args.get("query") is not None or node.args.get("unnest") is not None:
        return node
    items = node.expressions
    if not any(_literal_needs_care(i) for i in items) or _is_literal(node.this):
        return node
    if all(_is_bigint_literal(i) for i in items):
        return types.in_integers(node.this, items)
    tests = [
        _cmp("eq", node.this.copy(), item, "hive_in_")
        if _literal_needs_care(item)
        else exp.EQ(this=node.this.copy(), expression=item)
        for item in items
    ]
    return exp.Paren(this=exp.or_(*tests, copy=False))


def _is_bigint_literal(node: exp.Expr) -> bool:
    """An integer literal (maybe negative) that Hive and DuckDB both read as an INT or a BIGINT."""
    number = node.this if isinstance(node, exp.Neg) else node
    return (isinstance(number, exp.Literal) and not number.is_string and number.is_int
            and len(number.this.lstrip("+")) < 19)


def _between(node: exp.Expr) -> exp.Expr:
    low, high = node.args["low"], node.args["high"]
    if not (_literal_needs_care(low) or _literal_needs_care(high)) or _is_literal(node.this):
        return node
    if _literal_needs_care(low) and _literal_needs_care(high) and _volatile(node.this):
        once = types.between(node.this, low, high)  # rand() BETWEEN 0.2 AND 0.4: rand() must stay one call
        if once is not None:
            return once
    return exp.Paren(
        this=exp.and_(
            _cmp("ge", node.this.copy(), low)
            if _literal_needs_care(low)
            else exp.GTE(this=node.this.copy(), expression=low),
            _cmp("le", node.this, high) if _literal_needs_care(high) else exp.LTE(this=node.this, expression=high),
            copy=False,
        )
    )


def _volatile(node: exp.Expr) -> bool:
    return any(n.name.lower() in types.VOLATILE_CALLS for n in node.find_all(exp.Anonymous))


def _simple_case(node: exp.Expr) -> exp.Expr:
    """CASE x WHEN 1 THEN ...: each WHEN is an equality, typed the Hive way like `x = 1`."""
    subject = node.this
    if subject is None or not any(_literal_needs_care(i.this) for i in node.args.get("ifs") or []):
        return node
    ifs = [
        exp.If(
            this=_cmp("eq", subject.copy(), i.this)
            if _literal_needs_care(i.this)
            else exp.EQ(this=subject.copy(), expression=i.this),
            true=i.args["true"],
        )
        for i in node.args["ifs"]
    ]
    return exp.Case(ifs=ifs, default=node.args.get("default"))


# -- other expressions ---------------------------------------------------------------------------------


def _interval(node: exp.Expr) -> exp.Expr:
    unit_node = node.args.get("unit")
    unit = (unit_node.name if unit_node is not None else "").upper()
    if unit.rstrip("S") in ("DAY", "HOUR", "MINUTE", "SECOND"):
        return node
    refuse(
        f"INTERVAL ... {unit or '(no unit)'}",
        "month and year intervals do not keep Hive's date types on DuckDB",
        node,
        "use add_months() for months and years",
    )


def _table_sample(node: exp.Expr) -> exp.Expr:
    refuse("TABLESAMPLE", "the sampled rows depend on the engine", node, "filter with a deterministic predicate")


def _grouping_columns(group: exp.Group) -> list[exp.Expr]:
    if group.expressions:
        return list(group.expressions)
    for key in ("rollup", "cube"):
        for item in group.args.get(key) or []:
            if item.expressions:
                return list(item.expressions)
    cols: list[exp.Expr] = []
    for sets in group.args.get("grouping_sets") or []:
        for item in sets.expressions:
            for col in item.find_all(exp.Column):
                if all(col != c for c in cols):
                    cols.append(col)
    return cols


def _column(node: exp.Expr) -> exp.Expr:
    if not isinstance(node, exp.Column) or node.name.lower() != "grouping__id" or node.table:
        return node
    select = node.find_ancestor(exp.Select)
    group = select.args.get("group") if select else None
    if group is None:
        refuse("GROUPING__ID", "it needs GROUP BY ... GROUPING SETS, WITH ROLLUP or WITH CUBE", node)
    cols = _grouping_columns(group)
    return exp.Grouping(expressions=[c.copy() for c in cols])


def _group(node: exp.Expr) -> exp.Expr:
    """Hive: GROUP BY a, b GROUPING SETS (...) / WITH ROLLUP / WITH CUBE -> standard SQL."""
    cols = list(node.expressions)
    if node.args.get("grouping_sets"):
        if node.args.get("rollup") or node.args.get("cube"):
            refuse("GROUPING SETS with ROLLUP/CUBE", "mixing them has no checked DuckDB form", node)
        return exp.Group(grouping_sets=node.args["grouping_sets"])
    for key, klass in (("rollup", exp.Rollup), ("cube", exp.Cube)):
        items = node.args.get(key)
        if items and not items[0].expressions:  # WITH ROLLUP / WITH CUBE
            return exp.Group(**{key: [klass(expressions=cols)]})
    return node


# -- LATERAL VIEW and table-generating functions --------------------------------------------------

_UDTFS = (exp.Explode, exp.Posexplode, exp.Inline, exp.Stack)


def _is_json_tuple(node: exp.Expr) -> bool:
    return isinstance(node, exp.Anonymous) and node.name.lower() == "json_tuple"


def _json_tuple_columns(func: exp.Anonymous, names: list[exp.Identifier], where: exp.Expr) -> list[exp.Expr]:
    doc, *keys = func.expressions
    if len(keys) != len(names):
        refuse("json_tuple()", "give one column alias per key", where)
    columns: list[exp.Expr] = []
    for key, name in zip(keys, names, strict=True):
        if not is_string(key) or not re.fullmatch(r"[A-Za-z0-9_]+", key.this):
            refuse("json_tuple()", "keys must be plain-name string literals", where)
        path = exp.Literal.string(f"$.{key.this}")
        columns.append(exp.alias_(macro("hive_get_json_object", doc.copy(), path), name))
    return columns


def _generator_columns(func: exp.Expr, names: list[exp.Identifier], where: exp.Expr) -> list[exp.Expr]:
    """The SELECT list that produces a UDTF's rows on DuckDB, one UNNEST per output column."""
    if isinstance(func, exp.Anonymous) and _is_json_tuple(func):
        return _json_tuple_columns(func, names, where)
    arg = func.this
    if isinstance(func, exp.Posexplode):
        if len(names) != 2:
            refuse("posexplode()", "give two column aliases (pos, value)", where)
        pos = call("UNNEST", call("range", call("len", arg.copy())))
        return [exp.alias_(pos, names[0]), exp.alias_(call("UNNEST", arg), names[1])]
    if isinstance(func, exp.Explode):
        if len(names) == 1:
            return [exp.alias_(call("UNNEST", arg), names[0])]
        if len(names) == 2:  # explode(map) -> key, value
            return [
                exp.alias_(call("UNNEST", call("map_keys", arg.copy())), names[0]),
                exp.alias_(call("UNNEST", call("map_values", arg)), names[1]),
            ]
        refuse("explode()", "give one column alias for an array, two for a map", where)
    refuse(f"{func.key}()", "use it in a LATERAL VIEW with column aliases", where)


def _stack_values(func: exp.Stack, names: list[exp.Identifier], where: exp.Expr) -> exp.Values:
    """stack(n, v1, ..., vk): n rows of k/n columns (the last row padded with NULLs)."""
    if not is_number(func.this) or not func.this.is_int or int(func.this.name) < 1:
        refuse("stack()", "the row count must be a positive integer literal", where)
    rows, values = int(func.this.name), list(func.expressions)
    width = -(-len(values) // rows)
    if width != len(names):
        refuse("stack()", f"give {width} column aliases", where)
    values += [exp.Null() for _ in range(rows * width - len(values))]
    return exp.Values(expressions=[exp.Tuple(expressions=values[i * width : (i + 1) * width]) for i in range(rows)])


def _generator_table(func: exp.Expr, alias: exp.Identifier, names: list[exp.Identifier],
                     where: exp.Expr) -> exp.Lateral:
    """A LATERAL table that yields the rows of a UDTF call, named `alias(names...)`."""
    if isinstance(func, exp.Stack):
        body: exp.Expr = exp.Subquery(this=_stack_values(func, names, where))
        columns = names
    elif isinstance(func, exp.Inline):
        # UNNEST to depth 2 spreads each struct into its fields, renamed by position.
        depth = exp.PropertyEQ(this=exp.var("max_depth"), expression=exp.Literal.number(2))
        body = exp.Subquery(this=exp.select(call("UNNEST", func.this, depth)))
        columns = names
    elif isinstance(func, _UDTFS) or _is_json_tuple(func):
        body = exp.Subquery(this=exp.select(*_generator_columns(func, names, where)))
        columns = []
    else:
        refuse("LATERAL VIEW", f"{func.key}() has no checked DuckDB form", where)
    return exp.Lateral(this=body, alias=exp.TableAlias(this=alias.copy(), columns=[c.copy() for c in columns]))


def _lateral_join(lateral: exp.Lateral) -> exp.Join:
    alias = lateral.args.get("alias")
    names = list(alias.columns) if alias is not None else []
    if alias is None or not names:
        refuse("LATERAL VIEW", "name the generated columns: LATERAL VIEW explode(x) t AS col", lateral)
    table = _generator_table(lateral.this, alias.this, names, lateral)
    if lateral.args.get("outer"):
        return exp.Join(this=table, side="LEFT", on=exp.true())
    return exp.Join(this=table, kind="CROSS")


def _select(node: exp.Expr) -> exp.Expr:
    laterals = node.args.get("laterals") or []
    views = [lat for lat in laterals if lat.args.get("view")]
    if views:
        joins = list(node.args.get("joins") or [])
        joins.extend(_lateral_join(lat) for lat in views)
        node.set("laterals", [lat for lat in laterals if not lat.args.get("view")] or None)
        node.set("joins", joins)
    projections = []
    for proj in node.expressions:
        inner = proj.this if isinstance(proj, (exp.Alias, exp.Aliases)) else proj
        if not isinstance(inner, _UDTFS) and not _is_json_tuple(inner):
            projections.append(proj)
            continue
        if isinstance(proj, exp.Aliases):
            names = [n.copy() for n in proj.expressions]
        elif isinstance(proj, exp.Alias):
            names = [exp.to_identifier(proj.alias)]
        elif isinstance(inner, exp.Posexplode):
            names = [exp.to_identifier("pos"), exp.to_identifier("col")]
        else:
            names = [exp.to_identifier("col")]
        if isinstance(inner, exp.Stack):
            # SELECT stack(...) AS (a, b) [FROM t]: the rows come from a (lateral) VALUES table.
            if len(node.expressions) != 1:
                refuse("stack()", "a table-generating function must be alone in the SELECT list", proj)
            table = _generator_table(inner, exp.to_identifier("_stack"), names, proj)
            if node.args.get("from_") is None:
                node.set("from_", exp.From(this=exp.Subquery(this=table.this.this, alias=table.args["alias"])))
            else:
                node.append("joins", exp.Join(this=table, kind="CROSS"))
            projections.extend(exp.column(n.copy(), "_stack") for n in names)
            continue
        projections.extend(_generator_columns(inner, names, proj))
    node.set("expressions", projections)
    return node


def _udtf(node: exp.Expr) -> exp.Expr:
    parent = node.parent
    if isinstance(parent, exp.Lateral) or (
        isinstance(parent, (exp.Alias, exp.Aliases, exp.Select)) and node.find_ancestor(exp.Select) is not None
    ):
        return node  # rewritten by the Select rule
    refuse(f"{node.key}()", "a table-generating function must be the SELECT list or a LATERAL VIEW", node)


CLAUSE_RULES: dict[type[exp.Expr], Rule] = {
    exp.Cast: _cast,
    exp.TryCast: _cast,
    **{klass: _comparison for klass in _CMP},
    exp.In: _in,
    exp.Case: _simple_case,
    exp.Between: _between,
    exp.Interval: _interval,
    exp.TableSample: _table_sample,
    exp.Column: _column,
    exp.Group: _group,
    exp.Select: _select,
    exp.Explode: _udtf,
    exp.Posexplode: _udtf,
    exp.Inline: _udtf,
    exp.Stack: _udtf,
}
