"""Analyses: SQL files under the analysis paths, rendered and compiled like models, never run.

An analysis reads models with `ref()` and sources with `source()`; its refs are resolved to the
relations (an ephemeral model is inlined as a CTE, as in a model), and `elt compile` writes it to
target/compiled/<analysis path>. It is no node of the DAG: what it reads adds no edge, so it never
changes what is built or in which order; manifest.json lists it with `resource_type: analysis`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from elt.compile.render import check_syntax, parse_model_sql, ref_uid, resolve_refs
from elt.compile.sqlmap import line_of_call
from elt.errors import EltError, GraphError, ProjectError
from elt.nodes import ANALYSIS_CONFIG_KEYS, Node

if TYPE_CHECKING:
    from elt.compile.compiler import Manifest
    from elt.project.loader import Project


def compile_analyses(project: Project, manifest: Manifest, renders: Any,
                     errors: list[EltError] | None = None) -> None:
    """Render and resolve every enabled analysis into `manifest.analyses` / `manifest.compiled_sql`.

    Args:
        renders: the compile's renderer (`render(path, text, name) -> RenderState`).
        errors: as for `compile_project`: an analysis's error is appended there instead of raised.

    Raises:
        TemplateError, GraphError, SqlError, ProjectError: an analysis that does not render (an
            unknown ref, a Jinja error), at its file's line.
    """
    from elt.compile.compiler import inline_ephemerals_of

    for name, analysis in project.analyses.items():
        if analysis.config.get("enabled", True) is False:
            continue
        try:
            if not analysis.raw_sql.strip():
                raise ProjectError("analysis file is empty", path=analysis.path,
                                   hint="write a query, or delete the file")
            state = renders.render(analysis.path, analysis.raw_sql, name)
            config = {**analysis.config, **state.config}
            unknown = sorted(set(config) - set(ANALYSIS_CONFIG_KEYS))
            if unknown:
                raise ProjectError(f"unknown config key(s) {', '.join(unknown)} for analysis {name!r}",
                                   path=analysis.path, hint=f"valid keys: {', '.join(sorted(ANALYSIS_CONFIG_KEYS))}")
            if config.get("enabled", True) is False:
                continue
            analysis.config = config
            for ref in state.refs:
                if ref_uid(manifest.nodes, ref) not in manifest.nodes:
                    raise GraphError(f"ref to disabled model {ref!r}", path=analysis.path,
                                     line=line_of_call(analysis.raw_sql, "ref", ref),
                                     hint="enable it, or remove the ref")
            deps = [_ref_uid(ref, manifest) for ref in state.refs]
            analysis.depends_on = sorted(set(deps + [f"source.{s}.{t}" for s, t in state.sources]))
            sql = resolve_refs(manifest.nodes, analysis, state.sql)
            check_syntax(analysis, sql, manifest.dialect)  # any statements; a syntax error as a model's
            if _reads_ephemeral(manifest, analysis):
                query = parse_model_sql(analysis, sql, manifest.dialect)
                sql = inline_ephemerals_of(manifest, analysis, query)
        except EltError as exc:
            if errors is None:
                raise
            errors.append(exc)
            continue
        manifest.analyses[analysis.unique_id] = analysis
        manifest.compiled_sql[analysis.unique_id] = sql


def _ref_uid(name: str, manifest: Manifest) -> str:
    return ref_uid(manifest.nodes, name)


def _reads_ephemeral(manifest: Manifest, analysis: Node) -> bool:
    return any(manifest.nodes[uid].materialized == "ephemeral" for uid in analysis.depends_on
               if uid in manifest.nodes)
