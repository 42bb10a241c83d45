"""One way to render and parse a model: render (with overrides) -> resolve refs -> parse, errors at the file's line.

`render_model()` is what incremental batches (`is_incremental()` true, `start`/`end` set) and unit
tests (inputs replaced by given rows) call; the compiler renders every model in one pass through its
cache and worker processes, then resolves and parses each with the same `resolve_refs()` and
`parse_model_sql()`. So a syntax error, an unknown ref or a translation refusal reads the same
whoever rendered the model: the model file, the line written there, and a hint.
"""

from __future__ import annotations

import contextlib
import difflib
import re
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from elt.compile.jinja_context import Introspector, Live
from elt.compile.relations import Parts
from elt.compile.sqlmap import source_line
from elt.compile.templating import PLACEHOLDER_RE, THIS, RenderState
from elt.errors import EltError, GraphError, ProjectError, SqlError, TemplateError
from elt.nodes import Node

if TYPE_CHECKING:
    import sqlglot
    from sqlglot import exp

    from elt.compile.compiler import Manifest
    from elt.compile.templating import Renderer

#: What an ephemeral model's ref resolves to: the CTE it is inlined as.
EPHEMERAL_PREFIX = "__elt_ephemeral_"
_LIVE_RENDERERS = threading.Lock()


@dataclass(frozen=True)
class Overrides:
    """What a render changes from the compile's.

    Attributes:
        vars: set on top of the project's vars (a batch's `start` / `end`, a unit test's vars).
        is_incremental: what `is_incremental()` returns.
        ref: what `ref('name')` and `this` (name `THIS`) resolve to, instead of the relations of the
            manifest; may raise an `EltError` for an input it does not have (unit tests' given rows).
        source: what `source('source', 'table')` renders as, instead of the source's relation.
        introspector: the database, for the second render of an introspective model
            (elt.compile.jinja_context): `execute` is true and relations have their names.
    """

    vars: Mapping[str, Any] = field(default_factory=dict)
    is_incremental: bool = False
    ref: Callable[[str], str] | None = None
    source: Callable[[str, str], str] | None = None
    introspector: Introspector | None = None


@dataclass
class RenderedModel:
    """A model rendered with overrides and parsed in the project dialect (ephemerals not inlined)."""

    node: Node
    #: what the render read and recorded: config, refs, sources, vars.
    state: RenderState
    #: the rendered SQL with refs resolved: the text `query` was parsed from (its positions refer to it).
    sql: str
    query: exp.Expression
    dialect: str

    def translate(self, dialect: str) -> str:
        """`query` (as it is now) as SQL for an engine speaking `dialect`.

        Raises:
            SqlError: a construct that cannot run there with the same meaning, at the model file's line.
        """
        from elt.dialects import translate

        try:
            return translate(self.query, self.dialect, dialect, path=self.node.path)
        except SqlError as exc:
            map_error_line(exc, self.node, self.sql)
            raise


def render_model(manifest: Manifest, node: Node, overrides: Overrides | None = None) -> RenderedModel:
    """Render `node` again with `overrides`, resolve its refs and parse it; the manifest is unchanged.

    Raises:
        TemplateError, GraphError: the render failed (unknown ref or source, with a did-you-mean hint).
        SqlError, ProjectError: not one SELECT query in the project dialect (at the model file's line).
    """
    overrides = overrides or Overrides()
    introspector = overrides.introspector
    # The second renders of a run reuse a renderer per worker thread (its macros compiled once) when
    # nothing else differs from the compile's render.
    shared = introspector is not None and overrides == Overrides(introspector=introspector)
    with _LIVE_RENDERERS if shared else contextlib.nullcontext():  # the manifest's dict of them, one writer
        renderer = _renderer(manifest, node, overrides, shared)
    if node.live_call is not None and introspector is not None:  # a generic test: its macro called again
        macro, arguments = node.live_call
        package, _, name = macro.rpartition(".")  # a package's test: <package>.test_<name>
        state = RenderState(model_name=node.name, path=node.path)
        state.sql = renderer.call(renderer.namespace[package].get(name) if package else renderer.namespace[name],
                                  state, **arguments)
    else:
        state = renderer.render(node.path, node.raw_sql, node.name)
    if introspector is not None:
        _check_refs_known(manifest, node, state)
    elif state.introspective:
        # Its SQL here would be the compile's, made from empty answers.
        raise TemplateError(f"{node.resource_type} {node.name!r} reads the database while it is rendered (execute, "
                            "run_query, statement, adapter.*, or the parts of a relation): it cannot be rendered "
                            "without it here", path=node.path,
                            hint="unit tests cannot give such a model its inputs; check it with a data test")
    resolve = overrides.ref
    if resolve is not None:
        sql = PLACEHOLDER_RE.sub(lambda match: resolve(match.group(1)), state.sql)
    else:
        sql = resolve_refs(manifest.nodes, node, state.sql)
    return RenderedModel(node, state, sql, parse_model_sql(node, sql, manifest.dialect), manifest.dialect)


def _renderer(manifest: Manifest, node: Node, overrides: Overrides, shared: bool) -> Renderer:
    """The renderer for `render_model`: made for `overrides`, or the one the second renders share."""
    from elt.compile.namespaces import node_packages
    from elt.compile.templating import Renderer

    project = manifest.project
    introspector = overrides.introspector
    # One per worker thread: a renderer's Jinja state (macro files compiled on first use, by packages and
    # dbt's shipped macros) is not safe to share between threads.
    key = (id(introspector), threading.get_ident())
    renderer = manifest.live_renderers.get(key) if shared else None
    if renderer is None:
        refable = {n.name for n in manifest.nodes.values() if n.resource_type in REFABLE_TYPES}
        sources = {f"{n.source_name}.{n.name}": n for n in manifest.nodes.values() if n.resource_type == "source"}
        config = replace(project.config, vars={**project.config.vars, **overrides.vars})
        live = None
        if introspector is not None:
            by_path = {n.path: n for n in manifest.nodes.values() if n.resource_type in ("model", "test")}
            by_path[node.path] = node
            live = Live(introspector, lambda name, path: relation_parts(manifest.nodes, by_path[path], name),
                        lambda text, path: resolve_refs(manifest.nodes, by_path[path], text))
        renderer = Renderer(config, manifest.target, [(m.rel_path, m.text) for m in project.macros],
                            overrides.source or source_lookup(sources),
                            (lambda name: None) if overrides.ref else ref_check(refable, project.models), live)
        renderer.namespace["is_incremental"] = lambda: overrides.is_incremental
        renderer.macro_namespaces.node_packages = node_packages(project)
        if shared:
            manifest.live_renderers[key] = renderer
    return renderer


def relation_parts(nodes: Mapping[str, Node], model: Node, name: str) -> Parts:
    """The parts of the relation `ref(name)` (or `this`, name THIS) names in `model`'s render:
    (database, schema, identifier, type); an ephemeral model's is the CTE it is inlined as."""
    node = model if name == THIS else by_name(nodes, name)
    if node.relation is None:
        return None, None, EPHEMERAL_PREFIX + node.name, "cte"
    kind = "view" if node.resource_type == "model" and node.materialized == "view" else "table"
    return None, node.relation.schema, node.relation.name, kind


def _check_refs_known(manifest: Manifest, node: Node, state: RenderState) -> None:
    """A ref made only in the second render (under `{% if execute %}`) was not in the DAG: what it
    names may not be built yet."""
    for name in state.refs:
        try:
            uid = by_name(manifest.nodes, name).unique_id
        except KeyError:
            continue  # the ref check reported it
        if uid not in node.depends_on:
            raise GraphError(f"ref({name!r}) is made only when `execute` is true: elt did not know {node.name!r} "
                             "reads it when ordering the models", path=node.path,
                             hint=f"make the ref outside `{{% if execute %}}` too, e.g. a comment "
                                  f"-- depends_on: {{{{ ref('{name}') }}}}")


def source_lookup(sources: Mapping[str, Node]) -> Callable[[str, str], str]:
    """`source()` for a render: 'source.table' -> the source's relation name.

    Raises (from the returned function):
        GraphError: an unknown source, with the close names.
    """
    def lookup(source_name: str, table_name: str) -> str:
        key = f"{source_name}.{table_name}"
        if key not in sources:
            raise GraphError(f"unknown source {source_name!r}.{table_name!r}", hint=did_you_mean(key, sources))
        return str(sources[key].relation)

    return lookup


def ref_check(refable: Collection[str], models: Collection[str]) -> Callable[[str], None]:
    """The check of each `ref()`'d name during a render: `refable` are the enabled models and seeds,
    `models` every model's name (a name there but not refable is a disabled model).

    Raises (from the returned function):
        GraphError: a ref to an unknown or disabled model.
    """
    def check(name: str) -> None:
        if name not in refable:
            hint = "it is disabled (enabled: false)" if name in models else did_you_mean(name, refable)
            raise GraphError(f"ref to unknown model {name!r}", hint=hint)

    return check


def did_you_mean(name: str, candidates: Any) -> str | None:
    """A hint naming the candidates close to a misspelt `name`, or None."""
    close = difflib.get_close_matches(name, sorted(candidates), n=3, cutoff=0.6)
    return f"did you mean {', '.join(close)}?" if close else None


#: the nodes `ref()` names.
REFABLE_TYPES = ("model", "seed", "snapshot")


def ref_uid(nodes: Mapping[str, Node], name: str) -> str:
    """The unique id of the node `ref(name)` names (a seed's id when there is none, as before)."""
    for uid in (f"model.{name}", f"snapshot.{name}"):
        if uid in nodes:
            return uid
    return f"seed.{name}"


def by_name(nodes: Mapping[str, Node], name: str) -> Node:
    """The model, seed or snapshot `ref(name)` names.

    Raises:
        KeyError: no such model, seed or snapshot.
    """
    for uid in (f"model.{name}", f"seed.{name}", f"snapshot.{name}"):
        if uid in nodes:
            return nodes[uid]
    raise KeyError(name)


def resolve_refs(nodes: Mapping[str, Node], model: Node, sql: str) -> str:
    """Rendered SQL with each ref (and `this`) placeholder replaced by its relation name; an
    ephemeral model is read from the CTE it is inlined as."""
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == THIS:
            return str(model.relation) if model.relation else EPHEMERAL_PREFIX + model.name
        node = by_name(nodes, name)
        if node.resource_type == "model" and node.materialized == "ephemeral":
            return EPHEMERAL_PREFIX + name
        return str(node.relation)

    return PLACEHOLDER_RE.sub(replace, sql)


def parse_model_sql(model: Node, sql: str, dialect: str) -> exp.Expression:
    """The one SELECT query of a model's rendered, resolved `sql`, parsed in the project `dialect`.

    Raises:
        ProjectError: the SQL is empty.
        SqlError: a syntax error (mapped to the model file's line), or not exactly one query.
    """
    import sqlglot
    from sqlglot import exp

    from elt.dialects.hive_reader import reader

    if not sql.strip():
        raise ProjectError("model renders to empty SQL", path=model.path, hint="write a SELECT statement")
    try:
        statements = [s for s in sqlglot.parse(sql, read=reader(dialect)) if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise _parse_error(exc, model, sql) from None
    except sqlglot.errors.TokenError as exc:
        raise _token_error(exc, model, sql) from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        kind = "several statements" if len(statements) > 1 else f"a {type(statements[0]).__name__} statement"
        raise SqlError(
            f"a model must be one SELECT query, found {kind}", path=model.path,
            hint="elt creates the table or view itself: write only the SELECT (CTEs allowed)",
        )
    return statements[0]  # type: ignore[return-value]  # sqlglot 30 types Query apart from Expression


def map_error_line(error: EltError, model: Node, rendered: str) -> None:
    """Turn a line in rendered SQL into the line in the model file, saying when that is a guess."""
    if error.line is None:
        return
    mapped = source_line(model.raw_sql, rendered, error.line)
    snippet = rendered.splitlines()[error.line - 1].strip() if error.line <= len(rendered.splitlines()) else ""
    if mapped is None:
        error.message += f" (line {error.line} of the rendered SQL: {snippet[:80]!r})"
        error.line, error.col = None, None
    else:
        if mapped != error.line:
            error.col = None
        error.line = mapped
        if snippet:
            error.message += f"\n    {snippet[:120]}"


def _parse_error(exc: sqlglot.errors.ParseError, model: Node, sql: str) -> SqlError:
    first = exc.errors[0] if exc.errors else {}
    rendered_line = first.get("line")
    description = _plain_description(first.get("description") or str(exc).splitlines()[0])
    token = first.get("highlight")
    message = f"SQL syntax error: {description}"
    if token:
        message = f"SQL syntax error near {token!r}: {description}"
    error = SqlError(message, path=model.path, line=rendered_line, col=first.get("col"))
    map_error_line(error, model, sql)
    return error


def _plain_description(description: str) -> str:
    """sqlglot's 'Required keyword: 'expression' missing for <class '...Add'>' in plain words."""
    match = re.match(r"Required keyword: '(\w+)' missing for <class '[\w.]*?(\w+)'>", description)
    if match:
        return f"incomplete {match.group(2).upper()} expression (its {match.group(1)} is missing)"
    return description


def _token_error(exc: sqlglot.errors.TokenError, model: Node, sql: str) -> SqlError:
    # The tokenizer reports the text it choked on, not a position; find that text.
    text = str(exc)
    context = text.split("'", 1)[1].rsplit("'", 1)[0] if "'" in text else ""
    position = sql.find(context[-20:]) if context else -1
    line = sql.count("\n", 0, position) + 1 if position >= 0 else None
    error = SqlError("SQL syntax error: unterminated string, comment or quoted name", path=model.path, line=line,
                     hint="check the quotes on this line")
    map_error_line(error, model, sql)
    return error


def check_syntax(node: Node, sql: str, dialect: str) -> None:
    """Parse rendered, resolved SQL of any statements (an analysis need not be one SELECT); a syntax
    error is reported as a model's is, at the file's line.

    Raises:
        SqlError: the SQL does not parse in `dialect`.
    """
    import sqlglot

    from elt.dialects.hive_reader import reader

    try:
        sqlglot.parse(sql, read=reader(dialect))
    except sqlglot.errors.ParseError as exc:
        raise _parse_error(exc, node, sql) from None
    except sqlglot.errors.TokenError as exc:
        raise _token_error(exc, node, sql) from None
