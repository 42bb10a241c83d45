"""Compiling a project: render every model once, resolve refs, check the DAG, parse the SQL.

`compile_project()` returns a `Manifest`: every node with its effective config, relation and
dependencies, the graph, and each model's SQL in the project dialect (parsed once). `Manifest.sql_for()`
gives the SQL an engine of another dialect will run.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp

from elt.config import TargetConfig
from elt.errors import EltError, GraphError, ProjectError, SqlError
from elt.graph import Graph
from elt.nodes import IDENTIFIER, MATERIALIZATIONS, MODEL_CONFIG_KEYS, TEST_CONFIG_KEYS, Node, Relation
from elt.project import Project
from elt.sqlmap import line_of_call, source_line
from elt.templating import PLACEHOLDER_RE, THIS, Renderer, RenderState

EPHEMERAL_PREFIX = "__elt_ephemeral_"


@dataclass
class Manifest:
    """The compiled project: what `run`, `ls`, `docs` and the artifacts read."""

    project: Project
    target: TargetConfig
    nodes: dict[str, Node]
    graph: Graph
    #: model unique id -> SQL in the project dialect, refs resolved, ephemerals inlined.
    compiled_sql: dict[str, str] = field(default_factory=dict)
    #: model unique id -> the parsed query behind compiled_sql.
    queries: dict[str, exp.Expression] = field(default_factory=dict)
    #: model unique id -> the text that was parsed (positions in `queries` refer to it).
    parsed_sql: dict[str, str] = field(default_factory=dict)
    #: model unique id -> the render's reads (vars, env vars), for artifacts and caching.
    render_reads: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def dialect(self) -> str:
        return self.project.config.dialect

    def by_name(self, name: str) -> Node:
        for uid in (f"model.{name}", f"seed.{name}"):
            if uid in self.nodes:
                return self.nodes[uid]
        raise KeyError(name)

    def sql_for(self, unique_id: str, dialect: str) -> str:
        """The model's SQL as an engine speaking `dialect` will run it.

        Raises:
            SqlError: the model uses a construct that cannot be run with the same meaning there.
        """
        if dialect == self.dialect:
            return self.compiled_sql[unique_id]
        from elt.dialects import translate

        node = self.nodes[unique_id]
        # An inlined ephemeral's constructs carry positions in the ephemeral's own file: translate
        # it on its own first, so a refusal names that file.
        for uid in _ephemeral_ancestors(self, node):
            self.sql_for(uid, dialect)
        try:
            return translate(self.queries[unique_id], self.dialect, dialect, path=node.path)
        except SqlError as exc:
            _map_error_line(exc, node, self.parsed_sql[unique_id])
            raise


def compile_project(project: Project, target: TargetConfig) -> Manifest:
    """Render, resolve and parse every enabled model of `project` for `target`.

    Raises:
        TemplateError, GraphError, SqlError, ProjectError: the first problem found, with its file
            and line.
    """
    sources = {f"{s}.{t}": node for (s, t), node in project.sources.items()}
    refable = {name for name, node in project.models.items() if node.config.get("enabled", True) is not False}
    refable |= set(project.seeds)

    def source_lookup(source_name: str, table_name: str) -> str:
        key = f"{source_name}.{table_name}"
        if key not in sources:
            raise GraphError(f"unknown source {source_name!r}.{table_name!r}", hint=_did_you_mean(key, sources))
        return str(sources[key].relation)

    def ref_check(name: str) -> None:
        if name not in refable:
            disabled = name in project.models
            hint = "it is disabled (enabled: false)" if disabled else _did_you_mean(name, refable)
            raise GraphError(f"ref to unknown model {name!r}", hint=hint)

    renderer = Renderer(
        project.config, target, [(m.rel_path, m.text) for m in project.macros], source_lookup, ref_check
    )
    states: dict[str, RenderState] = {}
    models: dict[str, Node] = {}
    for name, model in project.models.items():
        if model.config.get("enabled", True) is False:
            continue
        state = renderer.render(model.path, model.raw_sql, name)
        model.config = _effective_config(model, state)
        if model.config.get("enabled", True) is False:
            continue
        states[model.unique_id] = state
        models[model.unique_id] = model
    for uid in models:
        _ensure_ref_targets_enabled(models, states, project, uid)

    nodes: dict[str, Node] = {}
    for seed in project.seeds.values():
        if seed.config.get("enabled", True) is False:
            continue
        seed.relation = _relation(seed, target)
        nodes[seed.unique_id] = seed
    seed_by_relation = {str(s.relation): s.unique_id for s in nodes.values()}
    for source in project.sources.values():
        # A source whose table a seed loads depends on that seed, so seeds run first.
        seed_uid = seed_by_relation.get(str(source.relation))
        source.depends_on = [seed_uid] if seed_uid else []
        nodes[source.unique_id] = source
    for uid, model in models.items():
        state = states[uid]
        model.relation = None if model.materialized == "ephemeral" else _relation(model, target)
        deps = [_ref_uid(name, project) for name in state.refs]
        deps += [f"source.{s}.{t}" for s, t in state.sources]
        model.depends_on = sorted(set(deps))
        nodes[uid] = model

    _add_tests(project, renderer, nodes, states)

    graph = Graph(nodes, [(parent, uid) for uid, node in nodes.items() for parent in node.depends_on])
    cycle = graph.find_cycle()
    if cycle:
        names = " -> ".join(nodes[u].name for u in cycle)
        files = ", ".join(sorted({nodes[u].path for u in cycle}))
        raise GraphError(f"dependency cycle: {names}", path=nodes[cycle[0]].path, hint=f"files involved: {files}")

    manifest = Manifest(project=project, target=target, nodes=nodes, graph=graph)
    for uid in graph.topological_order():
        if uid in states:
            _parse_model(manifest, nodes[uid], states[uid])
            manifest.render_reads[uid] = states[uid].vars_read
    return manifest


def _add_tests(project: Project, renderer: Renderer, nodes: dict[str, Node], states: dict[str, RenderState]) -> None:
    """Generic tests from yml and singular tests from data_tests/, as nodes depending on what they read."""
    from elt.datatests import generic_tests

    for uid, test in generic_tests(project, nodes, renderer).items():
        nodes[uid] = test
        states[uid] = RenderState(model_name=test.name, path=test.path, sql=test.raw_sql)
    for test in project.singular_tests.values():
        state = renderer.render(test.path, test.raw_sql, test.name)
        config = {"severity": "error", **state.config}
        unknown = sorted(set(config) - set(TEST_CONFIG_KEYS))
        if unknown:
            raise ProjectError(f"unknown config key(s) {', '.join(unknown)} for test {test.name!r}",
                               path=test.path, line=line_of_call(test.raw_sql, "config"),
                               hint=f"valid keys: {', '.join(sorted(TEST_CONFIG_KEYS))}")
        if config.get("enabled", True) is False:
            continue
        config["tags"] = list(config.get("tags") or [])
        test.config = config
        deps = [_ref_uid(name, project) for name in state.refs] + [f"source.{s}.{t}" for s, t in state.sources]
        test.depends_on = sorted(set(deps))
        nodes[test.unique_id] = test
        states[test.unique_id] = state


def _did_you_mean(name: str, candidates: Any) -> str | None:
    close = difflib.get_close_matches(name, sorted(candidates), n=3, cutoff=0.6)
    return f"did you mean {', '.join(close)}?" if close else None


def _ref_uid(name: str, project: Project) -> str:
    return f"model.{name}" if name in project.models else f"seed.{name}"


def _ensure_ref_targets_enabled(
    models: dict[str, Node], states: dict[str, RenderState], project: Project, uid: str
) -> None:
    # A model disabled by its own config() was refable while rendering; catch refs to it now.
    for name in states[uid].refs:
        if name in project.models and f"model.{name}" not in models:
            model = models[uid]
            raise GraphError(
                f"ref to disabled model {name!r}", path=model.path,
                line=line_of_call(model.raw_sql, "ref", name), hint="enable it, or remove the ref",
            )


def _effective_config(model: Node, state: RenderState) -> dict[str, Any]:
    config = {**model.config, **state.config}
    line = line_of_call(model.raw_sql, "config")
    unknown = sorted(set(config) - set(MODEL_CONFIG_KEYS))
    if unknown:
        raise ProjectError(
            f"unknown config key(s) {', '.join(unknown)} for model {model.name!r}",
            path=model.path, line=line, hint=f"valid keys: {', '.join(sorted(MODEL_CONFIG_KEYS))}",
        )
    materialized = config.setdefault("materialized", "view")
    if materialized not in MATERIALIZATIONS:
        raise ProjectError(
            f"unknown materialization {materialized!r} for model {model.name!r}",
            path=model.path, line=line, hint=f"valid materializations: {', '.join(MATERIALIZATIONS)}",
        )
    tags = config.get("tags", [])
    config["tags"] = [tags] if isinstance(tags, str) else list(tags)
    return config


def _relation(node: Node, target: TargetConfig) -> Relation:
    schema = str(node.config.get("schema") or target.schema)
    alias = str(node.config.get("alias") or node.name)
    for what, value in (("schema", schema), ("alias", alias)):
        if not IDENTIFIER.match(value):
            raise ProjectError(
                f"{what} {value!r} of {node.resource_type} {node.name!r} is not a valid identifier",
                path=node.path, hint="use letters, digits and underscores, starting with a letter or underscore",
            )
    return Relation(schema, alias)


def _resolve_placeholders(manifest: Manifest, model: Node, sql: str) -> str:
    def replace(match: Any) -> str:
        name = match.group(1)
        if name == THIS:
            return str(model.relation) if model.relation else EPHEMERAL_PREFIX + model.name
        node = manifest.by_name(name)
        if node.resource_type == "model" and node.materialized == "ephemeral":
            return EPHEMERAL_PREFIX + name
        return str(node.relation)

    return PLACEHOLDER_RE.sub(replace, sql)


def _parse_model(manifest: Manifest, model: Node, state: RenderState) -> None:
    """Parse a model's (or a test's) rendered SQL; inline the ephemerals it reads."""
    sql = _resolve_placeholders(manifest, model, state.sql)
    if not sql.strip():
        raise ProjectError("model renders to empty SQL", path=model.path, hint="write a SELECT statement")
    try:
        statements = [s for s in sqlglot.parse(sql, read=manifest.dialect) if s is not None]
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
    query, parsed = statements[0], sql
    ephemerals = _ephemeral_ancestors(manifest, model)
    if ephemerals:
        _inline_ephemerals(manifest, query, ephemerals)
        sql = query.sql(dialect=manifest.dialect, pretty=True) + "\n"
    manifest.parsed_sql[model.unique_id] = parsed
    manifest.compiled_sql[model.unique_id] = sql
    manifest.queries[model.unique_id] = query


def _ephemeral_ancestors(manifest: Manifest, model: Node) -> list[str]:
    """Ephemeral models `model` reads, directly or through other ephemerals, dependencies first."""
    found: list[str] = []

    def visit(node: Node) -> None:
        for parent in node.depends_on:
            dep = manifest.nodes[parent]
            if dep.resource_type == "model" and dep.materialized == "ephemeral" and parent not in found:
                visit(dep)
                found.append(parent)

    visit(model)
    return found


def _inline_ephemerals(manifest: Manifest, query: exp.Expression, ephemerals: list[str]) -> None:
    # Each ephemeral becomes a CTE placed before the model's own CTEs. Hive has no nested WITH, so
    # sqlglot hoists an ephemeral's own CTEs to the top; we prefix their names first so they cannot
    # clash with the model's.
    ctes = []
    for uid in ephemerals:
        name = manifest.nodes[uid].name
        ctes.append(exp.CTE(this=_prefix_ctes(manifest.queries[uid].copy(), f"{EPHEMERAL_PREFIX}{name}__"),
                            alias=exp.TableAlias(this=exp.to_identifier(EPHEMERAL_PREFIX + name))))
    existing = query.args.get("with_")
    if existing is not None:
        ctes.extend(existing.expressions)
    query.set("with_", exp.With(expressions=ctes))


def _prefix_ctes(query: exp.Expression, prefix: str) -> exp.Expression:
    with_ = query.args.get("with_")
    if with_ is None:
        return query
    names = {cte.alias for cte in with_.expressions}
    for cte in with_.expressions:
        cte.set("alias", exp.TableAlias(this=exp.to_identifier(prefix + cte.alias)))
    for table in query.find_all(exp.Table):
        if not table.db and table.name in names:
            if not table.alias:
                table.set("alias", exp.TableAlias(this=exp.to_identifier(table.name)))
            table.set("this", exp.to_identifier(prefix + table.name))
    return query


def _parse_error(exc: sqlglot.errors.ParseError, model: Node, sql: str) -> SqlError:
    first = exc.errors[0] if exc.errors else {}
    rendered_line = first.get("line")
    description = _plain_description(first.get("description") or str(exc).splitlines()[0])
    token = first.get("highlight")
    message = f"SQL syntax error: {description}"
    if token:
        message = f"SQL syntax error near {token!r}: {description}"
    error = SqlError(message, path=model.path, line=rendered_line, col=first.get("col"))
    _map_error_line(error, model, sql)
    return error


def _plain_description(description: str) -> str:
    """sqlglot's 'Required keyword: 'expression' missing for <class '...Add'>' in plain words."""
    import re

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
    _map_error_line(error, model, sql)
    return error


def _map_error_line(error: EltError, model: Node, rendered: str) -> None:
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


def checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
