"""Running hooks: a node's `pre_hook` / `post_hook` around its build, the project's `on-run-start` /
`on-run-end` around a command's nodes.

A hook is rendered when it runs, with the project's macros, vars and target: `this` is the node's
relation; on-run-end also sees `results` (one per node, as dbt's Result objects: `.node.name`,
`.status`, `.message`) and `schemas` (those the command built). Hook SQL is in the project's dialect:
for an engine of another dialect each statement is translated (`elt.dialects.translate`), or refused
with an error naming the hook, its file and the construct. Hooks run on the calling thread's
connection, so a node's hooks and its build share one.

Where the engine has transactions (SUPPORTS_TRANSACTIONS), a node's hooks and its build are one
transaction, as in dbt: a failing pre-hook, build or post-hook rolls all of them back, leaving the
previous relation and what the hooks wrote before; hooks set with `transaction: false`
(`before_begin()` / `after_commit()`) run outside it. Elsewhere (Hive) they run one after the other:
a failing pre-hook stops the build (nothing written), a failing post-hook fails the node after its
relation was replaced, and the statements of the hooks before it stay done.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from elt.adapters.base import Adapter
from elt.compile.compiler import Manifest
from elt.compile.render import REFABLE_TYPES, by_name, ref_check, resolve_refs, source_lookup
from elt.compile.templating import PLACEHOLDER_RE, THIS
from elt.errors import AdapterError, EltError, SqlError, TemplateError
from elt.nodes import Node, NodeResult, Relation, now_iso
from elt.project.hooks import Hook, as_hooks
from elt.project.loader import project_file

if TYPE_CHECKING:
    from elt.compile.templating import Renderer
    from elt.run.runner import RunEvents


class HookRunner:
    """The hooks of one command, on one adapter; safe to use from every worker thread."""

    def __init__(self, manifest: Manifest, adapter: Adapter, *, full_refresh: bool = False) -> None:
        self.manifest = manifest
        self.adapter = adapter
        #: --full-refresh: `is_incremental()` is false in the hooks of incremental models.
        self.full_refresh = full_refresh
        self._renderer: Renderer | None = None
        self._lock = threading.Lock()

    # -- a node's pre_hook / post_hook -------------------------------------------------------------

    def around(self, node: Node, build: Callable[[], NodeResult]) -> NodeResult:
        """`build()` the node with its hooks before and after (see the module docstring).

        Raises:
            AdapterError, SqlError, TemplateError: a hook failed (its error names it and its file), or
                the build did.
        """
        pre = as_hooks(node.config.get("pre_hook"), node.path, "pre_hook")
        post = as_hooks(node.config.get("post_hook"), node.path, "post_hook")
        if not pre and not post:
            return build()
        numbered_pre = [("pre_hook", i, hook) for i, hook in enumerate(pre, start=1)]
        numbered_post = [("post_hook", i, hook) for i, hook in enumerate(post, start=1)]
        context: dict[str, Any] = {"is_incremental": _is_incremental(self._loads_incrementally(node))}
        this = _This.of(node.relation)
        if this is not None:
            context["this"] = this
        self._run_node_hooks(node, [h for h in numbered_pre if not h[2].transaction], len(pre), context)
        with self._transaction(any(h.transaction for h in (*pre, *post))):
            self._run_node_hooks(node, [h for h in numbered_pre if h[2].transaction], len(pre), context)
            result = build()
            if result.status == "success":
                self._run_node_hooks(node, [h for h in numbered_post if h[2].transaction], len(post), context)
        if result.status == "success":
            self._run_node_hooks(node, [h for h in numbered_post if not h[2].transaction], len(post), context)
        return result

    def _loads_incrementally(self, node: Node) -> bool:
        """Whether this build of `node` is an incremental load (what `is_incremental()` says in its
        hooks, before and after the build alike)."""
        return (node.materialized == "incremental" and not self.full_refresh and node.relation is not None
                and self.adapter.relation_kind(node.relation) == "table")

    @contextlib.contextmanager
    def _transaction(self, wanted: bool) -> Iterator[None]:
        if wanted and self.adapter.SUPPORTS_TRANSACTIONS:
            with self.adapter.transaction():
                yield
        else:
            yield

    def _run_node_hooks(self, node: Node, hooks: list[tuple[str, int, Hook]], total: int,
                        context: dict[str, Any]) -> None:
        for key, number, hook in hooks:
            what = f"{key} {number} of {total} of {node.resource_type} {node.name!r}" if total > 1 else \
                f"{key} of {node.resource_type} {node.name!r}"
            self.run(hook, what, node, context)

    # -- on-run-start / on-run-end -----------------------------------------------------------------

    def project_hooks(self, which: str) -> list[Hook]:
        config = self.manifest.project.config
        statements = config.on_run_start if which == "on-run-start" else config.on_run_end
        return as_hooks(list(statements), project_file(config), which)

    def project_hook_ids(self, which: str) -> list[str]:
        """The unique ids run_results.json records the project's hooks under (dbt's operation ids)."""
        name = self.manifest.project.config.name
        return [f"operation.{name}.{name}-{which}-{i}" for i in range(len(self.project_hooks(which)))]

    def run_project_hooks(self, which: str, events: RunEvents | None,
                          results: Sequence[NodeResult] | None = None) -> list[NodeResult]:
        """Run on-run-start or on-run-end (with `results`: the command's node results), in order; after
        a failing one the rest are skipped. Returns one result per hook."""
        hooks = self.project_hooks(which)
        ids = self.project_hook_ids(which)
        extra: dict[str, Any] = {}
        if results is not None:
            extra = {"results": [RunResult.of(self.manifest, r) for r in results],
                     "schemas": built_schemas(self.manifest, results)}
        outcomes: list[NodeResult] = []
        failed = False
        for index, (uid, hook) in enumerate(zip(ids, hooks, strict=True), start=1):
            if failed:
                outcomes.append(NodeResult(uid, "skipped", f"not run: an earlier {which} hook failed",
                                           started_at=now_iso(), completed_at=now_iso()))
                if events:
                    events.node_finished(index, len(hooks), outcomes[-1])
                continue
            if events:
                events.node_started(index, len(hooks), uid)
            started, clock = now_iso(), time.perf_counter()
            with self.adapter.recording() as statements:
                try:
                    self.run(hook, f"{which} hook {index}" if len(hooks) > 1 else f"{which} hook", None, extra)
                    result = NodeResult(uid, "success", f"{which} hook {index} ran", statements=statements)
                except EltError as exc:
                    failed = True
                    result = NodeResult(uid, "error", str(exc), statements=statements)
            result.execution_time = time.perf_counter() - clock
            result.started_at, result.completed_at = started, now_iso()
            outcomes.append(result)
            if events:
                events.node_finished(index, len(hooks), result)
        return outcomes

    # -- one hook ----------------------------------------------------------------------------------

    def run(self, hook: Hook, what: str, node: Node | None, extra: dict[str, Any]) -> None:
        """Render, translate and send one hook on the calling thread's connection.

        Raises:
            TemplateError, SqlError: it cannot be rendered, or not run with its meaning on this engine.
            AdapterError: the engine refused it (the message quotes the hook as sent).
        """
        rendered, statements = self.statements(hook, what, node, extra)
        for sql in statements:
            try:
                self.adapter.execute(sql)
            except AdapterError as exc:
                sent = "" if sql == rendered else f"\n  sent as: {_one_line(sql)}"
                raise AdapterError(f"{what} failed: {exc.message}\n  hook: {_one_line(rendered)}{sent}",
                                   path=hook.origin, transient=exc.transient, hint=exc.hint) from None

    def statements(self, hook: Hook, what: str, node: Node | None,
                   extra: dict[str, Any]) -> tuple[str, list[str]]:
        """The hook rendered and resolved, and as the statements to send to the engine (none when it
        renders to nothing)."""
        name = node.name if node is not None else self.manifest.project.config.name
        try:
            state = self.renderer().render_text(str(hook), name, hook.origin, extra)
        except EltError as exc:
            exc.message = f"{what}: {exc.message}"
            raise
        sql = self._resolve(state.sql, node, what, hook)
        text = sql.strip().rstrip(";").strip()
        if not text:
            return text, []
        if self.adapter.dialect == self.manifest.dialect:
            return text, [text]
        return text, _translated(text, self.manifest.dialect, self.adapter.dialect, what, hook)

    def renderer(self) -> Renderer:
        """The Jinja renderer of the project's macros, made once, when a hook first needs it."""
        with self._lock:
            if self._renderer is None:
                from elt.compile.templating import Renderer

                nodes = self.manifest.nodes
                project = self.manifest.project
                refable = {n.name for n in nodes.values() if n.resource_type in REFABLE_TYPES}
                sources = {f"{n.source_name}.{n.name}": n for n in nodes.values() if n.resource_type == "source"}
                self._renderer = Renderer(project.config, self.manifest.target,
                                          [(m.rel_path, m.text) for m in project.macros],
                                          source_lookup(sources), ref_check(refable, project.models))
            return self._renderer

    def _resolve(self, sql: str, node: Node | None, what: str, hook: Hook) -> str:
        """`ref()` and `this` placeholders replaced by relation names."""
        if node is not None:
            return resolve_refs(self.manifest.nodes, node, sql)

        def replace(match: Any) -> str:
            if match.group(1) == THIS:
                raise TemplateError(f"{what}: `this` names a node's relation, and a project hook has none",
                                    path=hook.origin, hint="name the relation, or use ref('...')")
            return str(by_name(self.manifest.nodes, match.group(1)).relation)

        return PLACEHOLDER_RE.sub(replace, sql)


def _translated(text: str, read: str, write: str, what: str, hook: Hook) -> list[str]:
    """Each statement of a hook in dialect `read` as SQL for an engine speaking `write`.

    Raises:
        SqlError: not valid `read` SQL, or a statement whose meaning elt cannot keep on `write`.
    """
    import sqlglot

    from elt.dialects import translate
    from elt.dialects.hive_reader import reader

    hint = f"write it for both engines, or branch in Jinja: {{% if target.type != '{write}' %}} ... {{% endif %}}"
    try:
        parsed = [s for s in sqlglot.parse(text, read=reader(read)) if s is not None]
    except sqlglot.errors.SqlglotError as exc:
        raise SqlError(f"{what} is not valid {read} SQL: {str(exc).splitlines()[0]}\n  hook: {_one_line(text)}",
                       path=hook.origin) from None
    statements = []
    for statement in parsed:
        construct = _refused_construct(statement)
        if construct is not None:
            raise SqlError(f"{what}: {construct} cannot run on {write} with {read}'s meaning: elt translates "
                           f"queries, INSERT INTO, CREATE, DROP, DELETE and TRUNCATE in hooks\n"
                           f"  hook: {_one_line(text)}", path=hook.origin, hint=hint)
        try:
            statements.append(translate(statement, read, write, path=hook.origin))
        except SqlError as exc:
            exc.message = f"{what}: {exc.message}\n  hook: {_one_line(text)}"
            exc.line = exc.col = None  # a position in the hook's rendered text, not in the file
            raise
    return statements


def _refused_construct(statement: Any) -> str | None:
    """The statement's kind when hooks of that kind are not translated (None: translated)."""
    from sqlglot import exp

    if isinstance(statement, exp.Insert):
        return "INSERT OVERWRITE" if statement.args.get("overwrite") else None
    if isinstance(statement, (exp.Query, exp.Create, exp.Drop, exp.Delete, exp.TruncateTable)):
        return None
    if isinstance(statement, exp.Command):
        return str(statement.this).upper()
    return type(statement).__name__.upper()


def _is_incremental(answer: bool) -> Callable[[], bool]:
    return lambda: answer


def _one_line(sql: str) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= 200 else text[:197] + "..."


# -- what on-run-end sees ----------------------------------------------------------------------------

@dataclass(frozen=True)
class _This:
    """`this` in a hook: prints as the relation, with dbt's parts (`this.schema`, `this.identifier`)."""

    schema: str
    identifier: str
    database: str | None = None

    @classmethod
    def of(cls, relation: Relation | None) -> _This | None:
        return None if relation is None else cls(relation.schema, relation.name)

    @property
    def name(self) -> str:
        return self.identifier

    @property
    def table(self) -> str:
        return self.identifier

    def render(self) -> str:
        return str(self)

    def __str__(self) -> str:
        return f"{self.schema}.{self.identifier}"


@dataclass(frozen=True)
class ResultNode:
    """`result.node` in on-run-end: the node's names and config, as dbt's node objects have them."""

    unique_id: str
    name: str
    resource_type: str
    schema: str | None = None
    alias: str | None = None
    database: str | None = None
    original_file_path: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    fqn: tuple[str, ...] = ()

    @property
    def identifier(self) -> str | None:
        return self.alias

    @property
    def relation_name(self) -> str | None:
        return f"{self.schema}.{self.alias}" if self.schema and self.alias else None


@dataclass(frozen=True)
class RunResult:
    """One element of on-run-end's `results`, shaped as dbt's Result: `.node`, `.status` (dbt's words:
    success | error | skipped for models and seeds, pass | fail | warn | error | skipped for tests),
    `.message`, `.execution_time`, `.failures`."""

    node: ResultNode
    status: str
    message: str
    execution_time: float
    failures: int | None
    adapter_response: dict[str, Any] = field(default_factory=dict)
    thread_id: str = ""
    timing: tuple[Any, ...] = ()

    @classmethod
    def of(cls, manifest: Manifest, result: NodeResult) -> RunResult:
        node = manifest.nodes.get(result.unique_id)
        if node is None:  # a unit test: no node of the manifest
            kind, _, name = result.unique_id.partition(".")
            summary = ResultNode(result.unique_id, name, kind)
        else:
            relation = node.relation
            summary = ResultNode(node.unique_id, node.name, node.resource_type,
                                 relation.schema if relation else None, relation.name if relation else None,
                                 None, node.path, dict(node.config), node.tags, node.fqn)
        status: str = result.status
        if summary.resource_type in ("test", "unit_test") and status == "success":
            status = "pass"
        return cls(summary, status, result.message, result.execution_time, result.failures)


def built_schemas(manifest: Manifest, results: Sequence[NodeResult]) -> list[str]:
    """on-run-end's `schemas`: the schemas of the models and seeds built successfully, as dbt gives them."""
    found = set()
    for result in results:
        node = manifest.nodes.get(result.unique_id)
        if (node is not None and node.resource_type in ("model", "seed", "snapshot") and node.relation is not None
                and result.status == "success"):
            found.add(node.relation.schema)
    return sorted(found)
