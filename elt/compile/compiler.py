"""Compiling a project: render every model once, resolve refs, check the DAG, parse the SQL.

`compile_project()` returns a `Manifest`: every node with its effective config, relation and
dependencies, the graph, and each model's SQL in the project dialect (parsed once). `Manifest.sql_for()`
gives the SQL an engine of another dialect will run.

Renders, parses and translations are kept in the compile cache (`elt.compile.cache`) and reused while
everything they depend on is unchanged, so an unchanged project compiles without rendering, parsing
or translating anything; a changed model re-renders alone, and re-parses with the models whose SQL its
change alters (a new relation name, an ephemeral inlined into them). Parsed trees are built lazily
(`Manifest.queries`) for the queries whose compiled SQL came from the cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from elt.compile import cache as compile_cache
from elt.compile.cache import CacheStats, CompileCache, digest
from elt.compile.fast import heap
from elt.compile.fast.render_cache import CachedRenderer
from elt.compile.graph import Graph
from elt.compile.namespaces import node_packages
from elt.compile.naming import Namer, defined_macros
from elt.compile.render import (
    EPHEMERAL_PREFIX,
    RenderedModel,
    by_name,
    map_error_line,
    parse_model_sql,
    ref_check,
    resolve_refs,
    source_lookup,
)
from elt.compile.snapshots import snapshot_config, snapshot_relation
from elt.compile.sqlmap import line_of_call
from elt.compile.templating import RenderState
from elt.errors import EltError, GraphError, ProjectError, SqlError
from elt.nodes import MATERIALIZATIONS, MODEL_CONFIG_KEYS, SNAPSHOT_CONFIG_KEYS, TEST_CONFIG_KEYS, Node
from elt.project.config import TargetConfig
from elt.project.config_keys import sort_config
from elt.project.hooks import merge_config
from elt.project.loader import Project, test_folder_config

if TYPE_CHECKING:
    from sqlglot import exp

    from elt.compile.templating import Renderer

__all__ = ["EPHEMERAL_PREFIX", "Manifest", "checksum", "compile_project"]


@dataclass
class Manifest:
    """The compiled project: what `run`, `ls`, `docs` and the artifacts read."""

    project: Project
    target: TargetConfig
    nodes: dict[str, Node]
    graph: Graph
    #: model unique id -> SQL in the project dialect, refs resolved, ephemerals inlined.
    compiled_sql: dict[str, str] = field(default_factory=dict)
    #: model unique id -> the parsed query behind compiled_sql (parsed on first access when the
    #: compiled SQL came from the cache).
    queries: _Queries = field(init=False, repr=False)
    #: model unique id -> the text that was parsed (positions in `queries` refer to it).
    parsed_sql: dict[str, str] = field(default_factory=dict)
    #: model unique id -> the render's reads (vars, env vars), for artifacts and caching.
    render_reads: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: what this compile rendered, parsed and translated, and what it took from the cache.
    cache_stats: CacheStats = field(default_factory=CacheStats)
    cache: CompileCache | None = field(default=None, repr=False)
    #: unique id -> parse key (elt.compile.cache): what its compiled SQL, and so its translations, derive from.
    parse_keys: dict[str, str] = field(default_factory=dict, repr=False)
    #: analyses (elt.compile.analyses), by unique id: compiled (SQL in compiled_sql), not in the graph, never run.
    analyses: dict[str, Node] = field(default_factory=dict)
    #: models whose render read the database or relation names (elt.compile.jinja_context), or inline
    #: an ephemeral model that did: they have no compiled SQL until rendered again (elt.run.introspection).
    introspective: set[str] = field(default_factory=set)
    #: the renderers of the second renders (elt.compile.render), by (id of the introspector, worker thread).
    live_renderers: dict[tuple[int, int], Renderer] = field(default_factory=dict, repr=False)
    #: model unique id -> the checksum of its parsed tree (elt.compile.canonical.tree_checksum), made
    #: where the tree was at hand; `tree_checksum()` makes the others.
    tree_checksums: dict[str, str] = field(default_factory=dict, repr=False)
    #: relation -> target-independent name, for tree checksums (elt.compile.canonical.relation_names).
    canonical_names: dict[str, str] = field(default_factory=dict, repr=False)
    #: the compile cache variant tree checksums are kept under (elt.compile.canonical.names_digest).
    canonical_variant: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        self.queries = _Queries(self)
        #: unique id -> dialect -> SQL given by sql_for (dropped when the node is parsed again).
        self._translated: dict[str, dict[str, str]] = {}
        #: ephemeral unique id -> its query without the ephemerals it reads (elt inlines those once
        #: into whatever reads it); dropped when the ephemeral is parsed again.
        self._ephemeral_bodies: dict[str, exp.Expression] = {}

    @property
    def dialect(self) -> str:
        return self.project.config.dialect

    def by_name(self, name: str) -> Node:
        return by_name(self.nodes, name)

    def sql_for(self, unique_id: str, dialect: str, *, consume: bool = False,
                relations: dict[str, dict[str, str]] | None = None) -> str:
        """The model's SQL as an engine speaking `dialect` will run it. With `consume`, a translation
        rewrites the parsed tree in place and forgets it (parsed again if asked for) instead of
        copying it first. `relations` ('schema.name' -> column -> engine type, from the catalog) lets
        the translation write conversions for the types of the columns it reads (elt.run.catalog_types);
        each set of types has its own translation (and cache entry).

        Raises:
            SqlError: the model uses a construct that cannot be run with the same meaning there.
        """
        if dialect == self.dialect:
            return self.compiled_sql[unique_id]
        variant = f"{dialect}@{_types_digest(relations)}" if relations else dialect
        done = self._translated.get(unique_id, {}).get(variant)
        if done is not None:
            return done
        node = self.nodes[unique_id]
        # An inlined ephemeral's constructs carry positions in the ephemeral's own file: translate
        # it on its own first, so a refusal names that file.
        for uid in _ephemeral_ancestors(self, node):
            self.sql_for(uid, dialect)
        key = self.parse_keys.get(unique_id)
        sql = self.cache.translation(key, variant) if self.cache is not None and key is not None else None
        if sql is not None:
            self.cache_stats.translation_hits += 1
            self._translated.setdefault(unique_id, {})[variant] = sql
            return sql
        from elt.dialects import translate

        try:
            sql = translate(self.queries[unique_id], self.dialect, dialect, path=node.path, copy=not consume,
                            relations=relations)
        except SqlError as exc:
            map_error_line(exc, node, self.parsed_sql[unique_id])
            raise
        finally:
            if consume:
                self.queries.forget(unique_id)  # parsed again if asked for
        self.record_translation(unique_id, variant, sql, key)
        return sql

    def tree_checksum(self, unique_id: str) -> str | None:
        """The checksum of the model's parsed query (elt.compile.canonical.tree_checksum: comments and
        layout left out, relations by node name); None for a model without compiled SQL
        (introspective, failed). Taken from the compile cache, else made from the tree (parsed if
        need be)."""
        text = self.tree_checksums.get(unique_id)
        if text is not None or unique_id not in self.parsed_sql:
            return text
        from elt.compile.canonical import tree_checksum

        variant = self.canonical_variant
        key = self.parse_keys.get(unique_id)
        if self.cache is not None and key is not None:
            text = self.cache.translation(key, variant)
        if text is None:
            text = tree_checksum(self.queries[unique_id], self.canonical_names)
            if self.cache is not None and key is not None:
                self.cache.put_translation(key, variant, text)
        self.tree_checksums[unique_id] = text
        return text

    def record_translation(self, unique_id: str, variant: str, sql: str, key: str | None) -> None:
        """Keep a translation of a model (`variant`: the engine's dialect, and the column types it was
        written for), in this manifest and, under the model's parse key, in the compile cache."""
        self._translated.setdefault(unique_id, {})[variant] = sql
        self.cache_stats.translated += 1
        if self.cache is not None and key is not None:
            self.cache.put_translation(key, variant, sql)

    def forget_compiled(self, unique_id: str) -> None:
        """Drop what was derived from a model's compiled SQL (translations, its body as an inlined
        ephemeral): it is being compiled again."""
        self._translated.pop(unique_id, None)
        self._ephemeral_bodies.pop(unique_id, None)
        self.tree_checksums.pop(unique_id, None)

    def ephemeral_ancestors(self, node: Node) -> list[str]:
        """The ephemeral models `node` reads (and inlines), directly or through others, parents first."""
        return _ephemeral_ancestors(self, node)

    def use_rendered(self, rendered: RenderedModel) -> None:
        """Make a model rendered again (`elt.compile.render.render_model`, e.g. an incremental batch)
        its compiled SQL, with the ephemerals it reads inlined; its translations are made again."""
        node = rendered.node
        uid = node.unique_id
        # The tree checksum stays the compile's (elt.state compares what a compile makes, not a batch's
        # render, nor one reading deferred relations).
        checksum = self.tree_checksum(uid) if node.resource_type in ("model", "snapshot") else None
        self.forget_compiled(uid)
        ephemerals = _ephemeral_ancestors(self, node)
        _record_query(self, node, rendered.sql, rendered.query, ephemerals,
                      _parse_key(self, rendered.sql, ephemerals), tree_checksum=False)
        if checksum is not None:
            self.tree_checksums[uid] = checksum

    def save_cache(self) -> None:
        """Write the compile cache with the translations made since compiling (at run time, for the
        column types of the relations a model reads): what makes a command that translates call it
        when it is done. Writes nothing when nothing changed; never raises."""
        if self.cache is not None:
            self.cache.save()


def _types_digest(relations: dict[str, dict[str, str]]) -> str:
    return digest(*(f"{name}.{column}:{kind}" for name in sorted(relations)
                    for column, kind in sorted(relations[name].items())))


class _Queries(MutableMapping[str, "exp.Expression"]):
    """`Manifest.queries`: a model's parsed query, parsed from `parsed_sql` on first access when the
    compile took its compiled SQL from the cache (the same parse and inlining as `_parse_model`)."""

    def __init__(self, manifest: Manifest) -> None:
        self._manifest = manifest
        self._parsed: dict[str, exp.Expression] = {}

    def __getitem__(self, unique_id: str) -> exp.Expression:
        query = self._parsed.get(unique_id)
        if query is None:
            manifest = self._manifest
            if unique_id not in manifest.parsed_sql:
                raise KeyError(unique_id)
            node = manifest.nodes[unique_id]
            query = parse_model_sql(node, manifest.parsed_sql[unique_id], manifest.dialect)
            ephemerals = _ephemeral_ancestors(manifest, node)
            if ephemerals:
                _inline_ephemerals(manifest, query, ephemerals)
            self._parsed[unique_id] = query
        return query

    def __setitem__(self, unique_id: str, query: exp.Expression) -> None:
        self._parsed[unique_id] = query

    def __delitem__(self, unique_id: str) -> None:
        self._parsed.pop(unique_id, None)
        self._manifest.parsed_sql.pop(unique_id)

    def __contains__(self, unique_id: object) -> bool:
        return unique_id in self._parsed or unique_id in self._manifest.parsed_sql

    def __iter__(self) -> Iterator[str]:
        return iter(self._manifest.parsed_sql)

    def __len__(self) -> int:
        return len(self._manifest.parsed_sql)

    def forget(self, unique_id: str) -> None:
        """Drop the parsed tree (it is parsed again from parsed_sql when asked for)."""
        self._parsed.pop(unique_id, None)


def compile_project(project: Project, target: TargetConfig, *, use_cache: bool | None = None,
                    errors: list[EltError] | None = None) -> Manifest:
    """Render, resolve and parse every enabled model of `project` for `target`.

    Args:
        use_cache: read and write the compile cache under the target path (default: yes, unless the
            environment variable ELT_NO_CACHE is set).
        errors: when given, a model that fails to render or parse does not stop the compile: its
            error is appended here and the model is left without compiled SQL (`elt compile` reports
            every model's error at once). Errors of the project as a whole (a cycle) still raise.

    Raises:
        TemplateError, GraphError, SqlError, ProjectError: the first problem found, with its file
            and line.
    """
    sources = {f"{s}.{t}": node for (s, t), node in project.sources.items()}
    refable = {name for name, node in project.models.items() if node.config.get("enabled", True) is not False}
    refable |= set(project.seeds)
    refable |= {name for name, node in project.snapshots.items() if node.config.get("enabled", True) is not False}
    # the names a disabled node's ref is told about (a model or snapshot); models alone without snapshots
    named = {**project.models, **project.snapshots} if project.snapshots else project.models

    macros = [(m.rel_path, m.text) for m in project.macros]
    if use_cache is None:
        use_cache = compile_cache.enabled()
    cache = None
    if use_cache:
        header = compile_cache.header(project_name=project.config.name, dialect=project.config.dialect,
                                      target=target, macros=macros, dispatch=project.config.dispatch)
        cache = CompileCache.load(project.config.target_dir, target.name, header)
    stats = CacheStats()

    def make_renderer() -> Renderer:
        from elt.compile.templating import Renderer

        renderer = Renderer(project.config, target, macros, source_lookup(sources),
                            ref_check(refable, named))
        renderer.macro_namespaces.node_packages = node_packages(project)
        if cache is not None:
            cache.set_test_macros(name for name in renderer.namespace if name.startswith("test_"))
        return renderer

    renders = CachedRenderer(make_renderer, cache, stats, project.config.vars, refable, sources)
    try:
        with heap.frozen():  # the loaded project and the cache
            manifest = _compile(project, target, renders, stats, cache, errors)
    except BaseException:
        if cache is not None:
            cache.save(prune=False)  # keep what was rendered before the error for the next attempt
        raise
    if cache is not None:
        cache.save()
    return manifest


def _compile(
    project: Project, target: TargetConfig, renders: CachedRenderer, stats: CacheStats, cache: CompileCache | None,
    errors: list[EltError] | None = None,
) -> Manifest:
    states: dict[str, RenderState] = {}
    models: dict[str, Node] = {}
    #: models whose render or parse failed (with `errors`): kept as nodes, so what refs them still
    #: resolves, but without SQL.
    failed: set[str] = set()
    # snapshots are rendered, resolved, parsed and translated as models are
    queried = [*project.models.values(), *project.snapshots.values()] if project.snapshots else \
        project.models.values()
    renders.prefetch([(model.name, model.path, model.raw_sql) for model in queried
                      if model.config.get("enabled", True) is not False])
    for model in queried:
        name = model.name
        if model.config.get("enabled", True) is False:
            continue
        try:
            state = renders.render(model.path, model.raw_sql, name)
            model.config = _effective_config(model, state, project)
        except EltError as exc:
            if errors is None:
                raise
            errors.append(exc)
            failed.add(model.unique_id)
            state = RenderState(model_name=name, path=model.path)
        if model.config.get("enabled", True) is False:
            continue
        states[model.unique_id] = state
        models[model.unique_id] = model
    for uid in models:
        _ensure_ref_targets_enabled(models, states, project, uid)
    heap.freeze_more()  # the rendered models

    nodes: dict[str, Node] = {}
    macros = [(m.rel_path, m.text) for m in project.macros]
    # dbt uses the root project's naming macros (a package's own generate_schema_name names nothing)
    packages = project.config.packages_install_path.rstrip("/") + "/"
    own_macros = [(path, text) for path, text in macros if not path.startswith(packages)]
    namer = Namer(project.config, target, defined_macros(own_macros), lambda: renders.renderer)
    for seed in project.seeds.values():
        if seed.config.get("enabled", True) is False:
            continue
        seed.relation = namer.relation(seed)
        nodes[seed.unique_id] = seed
    seed_by_relation = {str(s.relation): s.unique_id for s in nodes.values()}
    for source in project.sources.values():
        # A source whose table a seed loads depends on that seed, so seeds run first.
        seed_uid = seed_by_relation.get(str(source.relation))
        source.depends_on = [seed_uid] if seed_uid else []
        nodes[source.unique_id] = source
    for uid, model in models.items():
        state = states[uid]
        if model.resource_type == "snapshot":
            model.relation = snapshot_relation(model, namer)
        else:
            model.relation = None if model.materialized == "ephemeral" else namer.relation(model)
        deps = [_ref_uid(name, project) for name in state.refs]
        deps += [f"source.{s}.{t}" for s, t in state.sources]
        model.depends_on = sorted(set(deps))
        nodes[uid] = model

    engine_dialect = target.dialect if target.dialect != project.config.dialect else None
    from elt.compile.canonical import names_digest, relation_names

    canonical_names = relation_names(nodes)
    # The models' queries are parsed (and translated) in worker processes while this one builds the
    # tests and the graph; whatever they could not do is done below, in order, as without them.
    introspective = {uid for uid, state in states.items() if state.introspective}
    with _parse_in_processes(project, nodes, models, states, cache, engine_dialect, introspective,
                             canonical_names) as parsing:
        _add_tests(project, renders, nodes, states)
        heap.freeze_more()  # the tests

        graph = Graph(nodes, [(parent, uid) for uid, node in nodes.items() for parent in node.depends_on])
        cycle = graph.find_cycle()
        if cycle:
            names = " -> ".join(nodes[u].name for u in cycle)
            files = ", ".join(sorted({nodes[u].path for u in cycle}))
            raise GraphError(f"dependency cycle: {names}", path=nodes[cycle[0]].path,
                             hint=f"files involved: {files}")

        manifest = Manifest(project=project, target=target, nodes=nodes, graph=graph, cache_stats=stats,
                            cache=cache, canonical_names=canonical_names,
                            canonical_variant=names_digest(canonical_names))
        order = [uid for uid in graph.topological_order() if uid in states]
        done = parsing.results()
    for uid in order:
        node = nodes[uid]
        if states[uid].introspective or introspective.intersection(_ephemeral_ancestors(manifest, node)):
            # Its SQL is known only when rendered again with the database (elt.run.introspection).
            manifest.introspective.add(uid)
            manifest.render_reads[uid] = states[uid].vars_read
            continue
        if failed and (uid in failed or failed.intersection(_ephemeral_ancestors(manifest, node))):
            continue  # its error (or its inlined ephemeral's) is already in `errors`
        if uid in done:
            _accept_parsed(manifest, node, *done[uid], engine_dialect)
        else:
            try:
                parsed = _parse_model(manifest, node, states[uid])
            except EltError as exc:
                if errors is None:
                    raise
                errors.append(exc)
                failed.add(uid)
                continue
            if parsed and engine_dialect and node.resource_type in ("model", "snapshot"):
                _translate_early(manifest, node, engine_dialect)
            elif parsed and node.resource_type == "test":
                manifest.queries.forget(uid)  # parsed again only if a test run translates it
        manifest.render_reads[uid] = states[uid].vars_read
    from elt.compile.analyses import compile_analyses

    compile_analyses(project, manifest, renders, errors)
    heap.freeze_more()  # the manifest
    return manifest


@contextmanager
def _parse_in_processes(
    project: Project, nodes: dict[str, Node], models: dict[str, Node], states: dict[str, RenderState],
    cache: CompileCache | None, engine_dialect: str | None, introspective: set[str], names: dict[str, str],
) -> Iterator[_Parsing]:
    """Start parsing (and translating) in worker processes the models' queries the cache does not
    have, when there are many (elt.compile.fast.processes); stop the workers when the block ends.
    `results()` gives unique id -> (resolved SQL, parse key, translation or None, tree checksum) for those that
    parsed; the others are left to `_parse_model`, in order."""
    from elt.compile.fast import processes as compile_processes

    ephemeral = {uid for uid, model in models.items() if model.materialized == "ephemeral"}
    tasks: list[tuple[str, str]] = []
    pending: dict[str, tuple[str, str | None]] = {}
    if compile_processes.usable(len(models)):
        for uid, model in models.items():
            if uid in ephemeral or uid in introspective or any(parent in ephemeral for parent in model.depends_on):
                continue  # inlining needs the ephemeral trees: parsed here; introspective: not parsed yet
            try:
                sql = resolve_refs(nodes, model, states[uid].sql)
            except Exception:  # noqa: BLE001 - the serial parse reports it
                continue
            if not sql.strip():
                continue
            key = digest("parse", sql) if cache is not None else None
            if key is not None and key in cache.parses:  # type: ignore[union-attr]
                continue
            tasks.append((uid, sql))
            pending[uid] = (sql, key)
    if not compile_processes.usable(len(tasks)):
        yield _Parsing(None, pending)
        return
    with compile_processes.parsing(tasks, project.config.dialect, engine_dialect, names) as handle:
        yield _Parsing(handle, pending)


class _Parsing:
    """What `_parse_in_processes` started."""

    def __init__(self, handle: Any, pending: dict[str, tuple[str, str | None]]) -> None:
        self._handle, self._pending = handle, pending

    def results(self) -> dict[str, tuple[str, str | None, str | None, str | None]]:
        if self._handle is None:
            return {}
        return {uid: (*self._pending[uid], translated, tree)
                for uid, (ok, translated, tree) in self._handle.results().items() if ok}


def _accept_parsed(
    manifest: Manifest, node: Node, sql: str, key: str | None, translated: str | None, tree: str | None,
    engine_dialect: str | None,
) -> None:
    """Record a query a worker process parsed (and translated), as `_parse_model` and
    `_translate_early` would have; its tree is parsed again only if asked for."""
    uid = node.unique_id
    manifest.forget_compiled(uid)
    manifest.parsed_sql[uid] = sql
    manifest.compiled_sql[uid] = sql
    manifest.queries.forget(uid)
    manifest.cache_stats.parsed += 1
    cache = manifest.cache
    if key is not None and cache is not None:
        cache.put_parse(key, sql)
        manifest.parse_keys[uid] = key
    else:
        manifest.parse_keys.pop(uid, None)
    if translated is not None and engine_dialect is not None:
        manifest.record_translation(uid, engine_dialect, translated, key)
    if tree is not None:
        _record_tree_checksum(manifest, uid, tree, key)


def _record_tree_checksum(manifest: Manifest, uid: str, text: str, key: str | None) -> None:
    manifest.tree_checksums[uid] = text
    if manifest.cache is not None and key is not None:
        manifest.cache.put_translation(key, manifest.canonical_variant, text)


def _translate_early(manifest: Manifest, model: Node, dialect: str) -> None:
    """Translate a just-parsed model for the target's engine, then drop its tree.

    Every command that builds or compiles models translates them; doing it while the tree is at hand
    lets the tree go at once (parsed again from `parsed_sql` if asked for), so a compile's memory does
    not grow with the number of models: 5000 parsed models held ~400 MB. Ephemeral models keep theirs
    (they are inlined into the models parsed after them). A refusal is not raised here: `sql_for`
    raises it when the SQL is asked for, as before.
    """
    if dialect == manifest.dialect:
        return
    try:
        manifest.sql_for(model.unique_id, dialect, consume=model.materialized != "ephemeral")
    except SqlError:
        return


def _add_tests(
    project: Project, renders: CachedRenderer, nodes: dict[str, Node], states: dict[str, RenderState]
) -> None:
    """Generic tests from yml and singular tests from data_tests/, as nodes depending on what they read."""
    from elt.compile.datatests import generic_tests

    for uid, test in generic_tests(project, nodes, renders).items():
        nodes[uid] = test
        states[uid] = RenderState(model_name=test.name, path=test.path, sql=test.raw_sql,
                                  introspective=test.live_call is not None)
    for test in project.singular_tests.values():
        state = renders.render(test.path, test.raw_sql, test.name)
        line = line_of_call(test.raw_sql, "config")
        own = sort_config(state.config, TEST_CONFIG_KEYS, f"{test.path}:{line or 1}", project.ignored_config,
                          path=test.path, line=line, kind=f"test {test.name!r}")
        config = {"severity": "error", **test_folder_config(project.config, test.path), **own}
        if config.get("enabled", True) is False:
            continue
        config["tags"] = list(config.get("tags") or [])
        test.config = config
        deps = [_ref_uid(name, project) for name in state.refs] + [f"source.{s}.{t}" for s, t in state.sources]
        test.depends_on = sorted(set(deps))
        nodes[test.unique_id] = test
        states[test.unique_id] = state


def _ref_uid(name: str, project: Project) -> str:
    if name in project.models:
        return f"model.{name}"
    return f"snapshot.{name}" if name in project.snapshots else f"seed.{name}"


def _ensure_ref_targets_enabled(
    models: dict[str, Node], states: dict[str, RenderState], project: Project, uid: str
) -> None:
    # A model disabled by its own config() was refable while rendering; catch refs to it now.
    for name in states[uid].refs:
        target = _ref_uid(name, project)
        if target != f"seed.{name}" and target not in models:
            model = models[uid]
            raise GraphError(
                f"ref to disabled model {name!r}", path=model.path,
                line=line_of_call(model.raw_sql, "ref", name), hint="enable it, or remove the ref",
            )


def _effective_config(model: Node, state: RenderState, project: Project) -> dict[str, Any]:
    own = state.config
    valid = SNAPSHOT_CONFIG_KEYS if model.resource_type == "snapshot" else MODEL_CONFIG_KEYS
    if any(key not in valid for key in own):  # dbt's spellings, ignored and refused keys
        line = line_of_call(model.raw_sql, "config")
        own = sort_config(own, valid, f"{model.path}:{line or 1}", project.ignored_config,
                          path=model.path, line=line, kind=f"{model.resource_type} {model.name!r}")
    config = dict(model.config)
    merge_config(config, own, model.path)  # the file's hooks after the folders' and yml's
    if model.resource_type == "snapshot":
        return snapshot_config(model, config)
    materialized = config.setdefault("materialized", "view")
    if materialized not in MATERIALIZATIONS:
        raise ProjectError(
            f"unknown materialization {materialized!r} for model {model.name!r}",
            path=model.path, line=line_of_call(model.raw_sql, "config"),
            hint=f"valid materializations: {', '.join(MATERIALIZATIONS)}",
        )
    tags = config.get("tags", [])
    config["tags"] = [tags] if isinstance(tags, str) else list(tags)
    return config


def _parse_model(manifest: Manifest, model: Node, state: RenderState) -> bool:
    """Parse a model's (or a test's) rendered SQL; inline the ephemerals it reads. Returns whether
    it was parsed.

    When the compile cache has the compiled SQL of the same resolved SQL (with the same ephemerals
    inlined), nothing is parsed: the query is parsed on first access to `manifest.queries`.
    """
    sql = resolve_refs(manifest.nodes, model, state.sql)
    uid = model.unique_id
    manifest.forget_compiled(uid)
    ephemerals = _ephemeral_ancestors(manifest, model)
    cache = manifest.cache
    key = _parse_key(manifest, sql, ephemerals)
    compiled = cache.parse(key) if key is not None and cache is not None else None
    if compiled is not None or (model.sql_by_construction and not ephemerals):
        # From the cache, or a built-in test with plain arguments (well-formed by construction):
        # parsed only if its tree is asked for.
        manifest.parsed_sql[uid] = sql
        manifest.compiled_sql[uid] = compiled or sql
        manifest.queries.forget(uid)
        if compiled is not None:
            manifest.cache_stats.parse_hits += 1
        _keep_parse_key(manifest, uid, key, None if compiled is not None else sql)
        return False
    _record_query(manifest, model, sql, parse_model_sql(model, sql, manifest.dialect), ephemerals, key)
    return True


def _parse_key(manifest: Manifest, sql: str, ephemerals: list[str]) -> str | None:
    """The compile cache's key for a model's resolved SQL with these ephemerals inlined (None: no cache,
    or an ephemeral without one)."""
    if manifest.cache is None:
        return None
    parents = [manifest.parse_keys.get(e) for e in ephemerals]
    return digest("parse", sql, *parents) if all(parents) else None  # type: ignore[arg-type]


def _keep_parse_key(manifest: Manifest, uid: str, key: str | None, compiled: str | None) -> None:
    """Record the model's parse key (and its compiled SQL in the cache, when given)."""
    if key is None or manifest.cache is None:
        manifest.parse_keys.pop(uid, None)
        return
    if compiled is not None:
        manifest.cache.put_parse(key, compiled)
    manifest.parse_keys[uid] = key


def _record_query(
    manifest: Manifest, model: Node, sql: str, query: exp.Expression, ephemerals: list[str], key: str | None,
    *, tree_checksum: bool = True,
) -> None:
    """Make `query`, parsed from `sql`, the model's compiled query, with the ephemerals it reads inlined
    (and, with `tree_checksum`, its checksum made: elt.compile.canonical)."""
    compiled = sql
    if ephemerals:
        from elt.dialects.hive_reader import reader

        _inline_ephemerals(manifest, query, ephemerals)
        compiled = query.sql(dialect=reader(manifest.dialect), pretty=True) + "\n"
    uid = model.unique_id
    manifest.cache_stats.parsed += 1
    manifest.parsed_sql[uid] = sql
    manifest.compiled_sql[uid] = compiled
    manifest.queries[uid] = query
    _keep_parse_key(manifest, uid, key, compiled)
    if tree_checksum and model.resource_type in ("model", "snapshot"):  # while the tree is at hand
        from elt.compile.canonical import tree_checksum as checksum_of

        _record_tree_checksum(manifest, uid, checksum_of(query, manifest.canonical_names), key)


def inline_ephemerals_of(manifest: Manifest, node: Node, query: exp.Expression) -> str:
    """`query` (parsed from `node`'s SQL) with the ephemeral models it reads inlined, as SQL in the
    project dialect (what an analysis reading an ephemeral compiles to)."""
    from elt.dialects.hive_reader import reader

    _inline_ephemerals(manifest, query, _ephemeral_ancestors(manifest, node))
    return query.sql(dialect=reader(manifest.dialect), pretty=True) + "\n"


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
    from sqlglot import exp

    # Each ephemeral becomes a CTE placed before the model's own CTEs. Hive has no nested WITH, so
    # sqlglot hoists an ephemeral's own CTEs to the top; we prefix their names first so they cannot
    # clash with the model's. `ephemerals` holds every ephemeral ancestor, dependencies first, and
    # each ephemeral's tree has its own ephemeral ancestors inlined: those are dropped from it, so
    # it reads them from the CTEs placed before it and each ephemeral appears once (inlining them
    # again nested each chain's ancestors inside one another: 2^depth CTEs).
    ctes = []
    for uid in ephemerals:
        name = manifest.nodes[uid].name
        ctes.append(exp.CTE(this=_prefix_ctes(_ephemeral_body(manifest, uid).copy(), f"{EPHEMERAL_PREFIX}{name}__"),
                            alias=exp.TableAlias(this=exp.to_identifier(EPHEMERAL_PREFIX + name))))
    existing = query.args.get("with_")
    if existing is not None:
        ctes.extend(existing.expressions)
    query.set("with_", exp.With(expressions=ctes))


def _ephemeral_body(manifest: Manifest, uid: str) -> exp.Expression:
    """An ephemeral's query without the CTEs of the ephemerals it reads (inlined into it when it was
    parsed), made once per ephemeral: a chain's inlining then copies each ephemeral once."""
    body = manifest._ephemeral_bodies.get(uid)
    if body is None:
        names = {EPHEMERAL_PREFIX + manifest.nodes[e].name for e in _ephemeral_ancestors(manifest, manifest.nodes[uid])}
        body = manifest.queries[uid].copy()
        with_ = body.args.get("with_")
        if with_ is not None and names:
            kept = [cte for cte in with_.expressions if cte.alias not in names]
            with_.set("expressions", kept)
            if not kept:
                body.set("with_", None)
        manifest._ephemeral_bodies[uid] = body
    return body


def _prefix_ctes(query: exp.Expression, prefix: str) -> exp.Expression:
    from sqlglot import exp

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


def checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
