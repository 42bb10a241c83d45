"""Data tests as DAG nodes: generic tests declared in yml and singular tests (SQL files).

A test is a query, in the project dialect, that returns the rows that are wrong: zero rows is a pass.
Generic tests are Jinja macros declared with `{% test name(model, column_name, ...) %}`: the built-in
ones below, and any a project defines in macros/ (which win over built-ins of the same name).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from elt.errors import EltError, GraphError, ProjectError
from elt.nodes import IDENTIFIER, TEST_CONFIG_KEYS, Node
from elt.project.loader import Project, TestSpec

#: Built-in generic tests, in the syntax projects use for their own.
BUILTIN_TESTS = """\
{% test not_null(model, column_name) %}
select * from {{ model }} where {{ column_name }} is null
{% endtest %}

{% test unique(model, column_name) %}
select {{ column_name }} as unique_field, count(*) as n_records
from {{ model }}
where {{ column_name }} is not null
group by {{ column_name }}
having count(*) > 1
{% endtest %}

{% test accepted_values(model, column_name, values, quote=true) %}
select {{ column_name }} as value_field, count(*) as n_records
from {{ model }}
where {{ column_name }} is not null and {{ column_name }} not in (
  {%- for value in values -%}
    {%- if quote %}'{{ value | replace("'", "''") }}'{% else %}{{ value }}{% endif %}
    {%- if not loop.last %}, {% endif -%}
  {%- endfor -%}
)
group by {{ column_name }}
{% endtest %}

{% test relationships(model, column_name, to, field) %}
select child.{{ column_name }} as from_field
from {{ model }} child
left join {{ to }} parent on child.{{ column_name }} = parent.{{ field }}
where child.{{ column_name }} is not null and parent.{{ field }} is null
{% endtest %}

{% test expression_is_true(model, expression, column_name=none) %}
select * from {{ model }} where not ({{ expression }})
{% endtest %}

{% test unique_combination_of_columns(model, combination_of_columns) %}
select {{ combination_of_columns | join(', ') }}, count(*) as n_records
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}

{% test row_count(model, min_value=none, max_value=none) %}
select row_count from (select count(*) as row_count from {{ model }}) counted
where {% if min_value is not none %}row_count < {{ min_value }}{% else %}false{% endif %}
   or {% if max_value is not none %}row_count > {{ max_value }}{% else %}false{% endif %}
{% endtest %}
"""

BUILTIN_PATH = "<elt built-in tests>"

_TEST_BLOCK = re.compile(r"\{%(-?)\s*test\s+(\w+)\s*\(")
_END_TEST = re.compile(r"\{%(-?)\s*endtest\s*(-?)%\}")
_PROJECT_TEST = re.compile(r"\{%-?\s*(?:test\s+|macro\s+test_)(\w+)\s*\(")
_RELATION = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)?$")
_REF_ARG = re.compile(r"""^\s*ref\(\s*['"](\w+)['"]\s*\)\s*$""")
_SOURCE_ARG = re.compile(r"""^\s*source\(\s*['"](\w+)['"]\s*,\s*['"](\w+)['"]\s*\)\s*$""")


def as_macros(text: str) -> str:
    """Rewrite `{% test name(...) %}...{% endtest %}` blocks as macros named `test_name`.

    Line numbers are unchanged, so errors still point at the right line.

    >>> as_macros("{% test positive(model, column_name) %}x{% endtest %}")
    '{% macro test_positive(model, column_name) %}x{% endmacro %}'
    """
    text = _TEST_BLOCK.sub(lambda m: "{%" + m.group(1) + " macro test_" + m.group(2) + "(", text)
    return _END_TEST.sub(lambda m: "{%" + m.group(1) + " endmacro " + m.group(2) + "%}", text)


def test_name(spec: TestSpec, nodes: dict[str, Node]) -> str:
    target = nodes[spec.attached_to]
    parts = [spec.test_name]
    if target.resource_type == "source":
        parts.append(f"{target.source_name}_{target.name}")
    else:
        parts.append(target.name)
    if spec.column_name:
        parts.append(spec.column_name)
    return "_".join(parts)


def _resolve_argument(value: Any, nodes_by_ref: dict[str, Node], sources: dict[str, Node],
                      spec: TestSpec, deps: list[str]) -> Any:
    """`to: ref('customers')` in yml names a relation: resolve it and record the dependency."""
    if not isinstance(value, str) or "(" not in value:  # neither pattern matches without a "("
        return value
    match = _REF_ARG.match(value)
    if match:
        node = nodes_by_ref.get(match.group(1))
        if node is None or node.relation is None:
            raise GraphError(f"test {spec.test_name!r} refers to unknown model {match.group(1)!r}",
                             path=spec.path, line=spec.line)
        deps.append(node.unique_id)
        return str(node.relation)
    match = _SOURCE_ARG.match(value)
    if match:
        source = sources.get(f"{match.group(1)}.{match.group(2)}")
        if source is None:
            raise GraphError(f"test {spec.test_name!r} refers to unknown source {value}", path=spec.path,
                             line=spec.line)
        deps.append(source.unique_id)
        return str(source.relation)
    return value


def project_test_names(project: Project) -> frozenset[str]:
    """Names of the generic tests the project's macros define (or redefine)."""
    return frozenset(m.group(1) for f in project.macros for m in _PROJECT_TEST.finditer(f.text))


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and _is_name_text(value)


@functools.lru_cache(maxsize=4096)
def _is_name_text(value: str) -> bool:
    """Column names repeat across a project's tests: each is checked once."""
    return IDENTIFIER.match(value) is not None and not _is_keyword(value)


def _is_keyword(word: str) -> bool:
    from elt.dialects import keywords

    return word.upper() in keywords()


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def sql_by_construction(spec: TestSpec, kwargs: dict[str, Any]) -> bool:
    """Whether a built-in test's SQL, with these arguments, is well-formed whatever else is true:
    every name is a plain identifier that is no keyword, every value a literal the template quotes
    or a number, and no free SQL (`where:`, `expression_is_true`) is spliced in. Such a test need
    not be parsed to be checked; any other is parsed when the project compiles."""
    if spec.config.get("where"):
        return False
    args = {k: v for k, v in kwargs.items() if k != "column_name"}
    if spec.column_name is not None and not _is_name(spec.column_name):
        return False
    name = spec.test_name
    if name in ("not_null", "unique"):
        return not args
    if name == "accepted_values":
        values, quote = args.pop("values", None), args.pop("quote", True)
        if args or not isinstance(values, list) or not isinstance(quote, bool):
            return False
        scalar = (lambda v: isinstance(v, (str, int, float))) if quote else _is_number
        return all(scalar(v) for v in values)
    if name == "relationships":
        to, field = args.pop("to", None), args.pop("field", None)
        return not args and isinstance(to, str) and _RELATION.match(to) is not None and _is_name(field)
    if name == "unique_combination_of_columns":
        columns = args.pop("combination_of_columns", None)
        return not args and isinstance(columns, list) and bool(columns) and all(_is_name(c) for c in columns)
    if name == "row_count":
        bounds = [args.pop("min_value", None), args.pop("max_value", None)]
        return not args and all(b is None or _is_number(b) for b in bounds)
    return False


def build_generic_test(
    spec: TestSpec, name: str, nodes: dict[str, Node], renderer: Any,
    lookups: tuple[dict[str, Node], dict[str, Node]] | None = None,
    project_tests: frozenset[str] | None = None,
) -> Node | None:
    """Render one yml-declared test into a test node (None when the test is disabled).

    `lookups` are `_lookups(nodes)`, passed in when building many tests (computed here otherwise).
    `project_tests` are `project_test_names(project)`: tests whose SQL is not the built-in template's
    (None: treat every test as the project's own).

    Raises:
        ProjectError, TemplateError, GraphError: unknown test, bad arguments, unknown ref.
    """
    if spec.config.get("enabled", True) is False:
        return None
    target = nodes[spec.attached_to]
    if target.relation is None:
        raise ProjectError(f"test {spec.test_name!r} is declared on ephemeral model {target.name!r}",
                           path=spec.path, line=spec.line, hint="test the models that read it instead")
    macro = _test_macro(renderer, spec)
    if macro is None:
        builtins = sorted(k[5:] for k in renderer.namespace if k.startswith("test_"))
        raise ProjectError(f"unknown data test {spec.test_name!r}", path=spec.path, line=spec.line,
                           hint=f"known tests: {', '.join(builtins)}; define your own with "
                                "{% test name(model, column_name) %} in macros/")
    by_ref, sources = lookups or _lookups(nodes)
    deps = [spec.attached_to]
    kwargs = {k: _resolve_argument(v, by_ref, sources, spec, deps) for k, v in spec.kwargs.items()}
    model_text = str(target.relation)
    if spec.config.get("where"):
        model_text = f"(select * from {model_text} where {spec.config['where']}) {target.name}"
    # a relation, as dbt's macros expect (`model.name`, adapter.get_columns_in_relation(model))
    model = _relation(target, model_text)
    if spec.column_name is not None:
        kwargs["column_name"] = spec.column_name
    state = _render_state()(model_name=name, path=spec.path)
    try:
        sql = renderer.call(macro, state, model=model, **kwargs)
    except EltError as exc:
        exc.path, exc.line = exc.path or spec.path, exc.line or spec.line
        raise
    except TypeError as exc:  # a macro called with arguments it does not take
        raise ProjectError(f"test {spec.test_name!r}: {exc}", path=spec.path, line=spec.line) from None
    config = {key: value for key, value in state.config.items() if key in TEST_CONFIG_KEYS}  # a macro's config()
    deps += [by_ref[r].unique_id if r in by_ref else f"seed.{r}" for r in state.refs]
    by_construction = (project_tests is not None and spec.test_name not in project_tests
                       and sql_by_construction(spec, kwargs))
    return Node(
        unique_id=f"test.{name}", name=name, resource_type="test", path=spec.path,
        config={"severity": "error", **config, **spec.config, "tags": list(spec.config.get("tags") or [])},
        fqn=(name,), raw_sql=sql, depends_on=sorted(set(deps)), line=spec.line or 1,
        test_type="generic", attached_to=spec.attached_to, column_name=spec.column_name,
        sql_by_construction=by_construction,
        failure_check=failure_check(spec.test_name, kwargs) if by_construction else None,
        live_call=(_macro_key(renderer, spec), {"model": model, **kwargs}) if state.introspective else None,
    )


def _macro_key(renderer: Any, spec: TestSpec) -> str:
    """How `_test_macro` found the test's macro, for the second render of an introspective test:
    `<package>.test_<name>` for a package's, else `test_<name>`."""
    from elt.compile.namespaces import PackageMacros

    if spec.package is not None and isinstance(renderer.namespace.get(spec.package), PackageMacros):
        return f"{spec.package}.test_{spec.test_name}"
    return f"test_{spec.test_name}"


def _test_macro(renderer: Any, spec: TestSpec) -> Any:
    """The macro of a yml test: `<package>.<name>` is the package's `{% test %}` when the package is
    installed (else elt's built-in of that name, as before packages were loaded: `dbt_utils.` tests
    written for dbt run without dbt_utils); a plain name, the project's or the built-in one."""
    from elt.compile.namespaces import PackageMacros

    if spec.package is not None:
        package = renderer.namespace.get(spec.package)
        if isinstance(package, PackageMacros):
            macro = package.get(f"test_{spec.test_name}")
            if macro is None:
                raise ProjectError(f"package {spec.package!r} has no generic test {spec.test_name!r}",
                                   path=spec.path, line=spec.line)
            return macro
    return renderer.namespace.get(f"test_{spec.test_name}")


def _relation(node: Node, text: str) -> Any:
    from elt.compile.relations import JinjaRelation

    assert node.relation is not None
    kind = "view" if node.resource_type == "model" and node.materialized == "view" else "table"
    return JinjaRelation((None, node.relation.schema, node.relation.name, kind), text=text)


def failure_check(test: str, kwargs: dict[str, Any]) -> str | None:
    """For a built-in test of one column whose SQL is well-formed by construction (no `where:`): an
    aggregate over the tested relation that is 0 exactly when the test's query returns no row (its
    count of failing rows is the test's own query's business: it runs when this is not 0).

    >>> failure_check("accepted_values", {"column_name": "s", "values": ["a", "it's"]})
    "COUNT(CASE WHEN s IS NOT NULL AND s NOT IN ('a', 'it''s') THEN 1 END)"
    """
    column = kwargs.get("column_name")
    if test == "not_null":
        return f"COUNT(CASE WHEN {column} IS NULL THEN 1 END)"
    if test == "unique":  # 0 exactly when no non-null value appears twice (the test's GROUP BY ... HAVING)
        return f"COUNT({column}) - COUNT(DISTINCT {column})"
    if test == "accepted_values":
        quote = kwargs.get("quote", True)
        # As the built-in template writes them: quoted with '' for ', or as they are (numbers).
        values = ", ".join("'" + str(v).replace("'", "''") + "'" if quote else str(v) for v in kwargs["values"])
        return f"COUNT(CASE WHEN {column} IS NOT NULL AND {column} NOT IN ({values}) THEN 1 END)"
    return None


@functools.cache
def _render_state() -> Any:
    """elt.compile.templating.RenderState, imported on first use (not when this module is), and then once."""
    from elt.compile.templating import RenderState

    return RenderState


def _lookups(nodes: dict[str, Node]) -> tuple[dict[str, Node], dict[str, Node]]:
    """Models, seeds and snapshots by name, sources by 'source.table': what ref() and source() arguments name."""
    by_ref = {n.name: n for n in nodes.values() if n.resource_type in ("model", "seed", "snapshot")}
    sources = {f"{n.source_name}.{n.name}": n for n in nodes.values() if n.resource_type == "source"}
    return by_ref, sources


def generic_tests(project: Project, nodes: dict[str, Node], renderer: Any) -> dict[str, Node]:
    """Every enabled generic test of the project, by unique id, with unique predictable names."""
    tests: dict[str, Node] = {}
    lookups = _lookups(nodes)  # `nodes` gains no model, seed or source while tests are built
    project_tests = project_test_names(project)
    for spec in project.test_specs:
        if spec.attached_to not in nodes:
            continue  # declared on a disabled model
        base = str(spec.config.get("name") or test_name(spec, nodes))
        name, counter = base, 2
        while f"test.{name}" in tests or name in project.singular_tests:
            name, counter = f"{base}_{counter}", counter + 1
        node = build_generic_test(spec, name, nodes, renderer, lookups, project_tests)
        if node is not None:
            tests[node.unique_id] = node
    return tests
