"""`elt compile`: the project compiled and written to target/ (compiled/, translated/, manifest.json),
skipped when nothing it reads has changed since the last one (elt.compile.fast.stamp)."""

from __future__ import annotations

from dataclasses import dataclass

from elt.cli.invocation import Invocation, apply_defer, compile_manifest, render_live_models, select
from elt.compile.compiler import Manifest
from elt.errors import EltError, ErrorList, SqlError
from elt.report.console import Console


@dataclass
class CompileSummary:
    """What `elt compile` reports."""

    models: int
    #: resource type -> how many nodes of it the project has.
    kinds: dict[str, int]
    target_name: str
    target_type: str
    target_path: str
    #: nothing had changed since the last compile: its outputs were kept (elt.compile.fast.stamp).
    unchanged: bool = False


def compile_command(inv: Invocation, console: Console, *, stamped: bool = True) -> CompileSummary:
    """`elt compile`: write target/compiled/ and target/manifest.json.

    When the target's engine speaks another dialect than the project, each model is also translated
    (so constructs it cannot run faithfully are reported now) and written to target/translated/.
    With `stamped` (the command line), nothing is done when nothing the compile reads has changed since
    the last one, and a compile records what it read (elt.compile.fast.stamp); `elt airflow generate`
    compiles without the stamp.
    """
    from elt.compile import cache
    from elt.compile.context_names import volatile
    from elt.compile.fast import stamp as compile_stamp
    from elt.project.config import ENV_READS, load_project_config

    config = load_project_config(inv.project_dir, inv.vars)
    stamp_inputs = None
    # With --state, what is selected or deferred depends on a file the stamp does not follow: compiled anew.
    if stamped and cache.enabled() and inv.state_path is None:
        invocation = (str(config.root), str(inv.profiles_dir), inv.target, repr(sorted(inv.vars.items())),
                      inv.select, inv.exclude)
        stamp_inputs = compile_stamp.inputs_digest(config, invocation, inv.profiles_dir)
        stamp = compile_stamp.load(config, inv.target)
        if stamp is not None and compile_stamp.holds(stamp, config, stamp_inputs):
            for warning in stamp.summary.get("warnings", []):
                console.warning(warning)
            return CompileSummary(**{k: v for k, v in stamp.summary.items() if k != "warnings"}, unchanged=True)
        compile_stamp.forget(config, inv.target)
    manifest, written = _compile_and_write(inv, console)
    kinds: dict[str, int] = {}
    for node in manifest.nodes.values():
        kinds[node.resource_type] = kinds.get(node.resource_type, 0) + 1
    from elt.report.artifacts import output_path

    compiled = set(written)
    snapshots = sum(1 for node in manifest.nodes.values()
                    if node.resource_type == "snapshot" and f"compiled/{output_path(node)}" in compiled)
    summary = CompileSummary(
        models=sum(1 for rel in written if rel.startswith("compiled/")) - len(_selected_analyses(manifest, inv))
        - snapshots,
        kinds=kinds,
        target_name=manifest.target.name, target_type=manifest.target.type,
        target_path=manifest.project.config.target_path,
    )
    # A model whose SQL comes from the database (elt.run.introspection) is compiled again each time, as is
    # one reading run_started_at or invocation_id (another text at every compile).
    if stamp_inputs is not None and not volatile(manifest.render_reads.values()) and not manifest.introspective:
        files = compile_stamp.outputs(config.target_dir, written)
        if files is not None:
            record = {k: v for k, v in vars(summary).items() if k != "unchanged"}
            compile_stamp.save(config, inv.target, compile_stamp.Stamp(
                inputs=stamp_inputs, environment=compile_stamp.environment(ENV_READS), outputs=files,
                summary={**record, "warnings": list(console.warnings)},
            ))
    return summary


def _compile_and_write(inv: Invocation, console: Console) -> tuple[Manifest, list[str]]:
    """`compile_command`'s work; returns the manifest and the files written, relative to target/.

    Raises:
        ErrorList: the errors of every model that did not render, parse or translate, after all of
            them were tried (the only one when there is one); nothing is written then.
    """
    from elt.report import artifacts

    errors: list[EltError] = []
    manifest = compile_manifest(inv, console, errors)
    selected = select(manifest, inv, console, {"model", "snapshot"})
    apply_defer(manifest, inv, console, selected)
    render_live_models(manifest, [uid for uid in manifest.graph.topological_order() if uid in selected], errors)
    ordered = [uid for uid in manifest.graph.topological_order() if uid in selected and uid in manifest.compiled_sql]
    target_dialect = manifest.target.dialect
    if target_dialect != manifest.dialect:
        # Surfaces untranslatable constructs now rather than at run time (the translations are kept
        # in the manifest for write_translated).
        for uid in ordered:
            try:
                manifest.sql_for(uid, target_dialect)
            except SqlError as exc:
                errors.append(exc)
    if errors:
        errors.sort(key=lambda error: (error.path or "", error.line or 0))
        manifest.save_cache()
        raise errors[0] if len(errors) == 1 else ErrorList(errors)
    with artifacts.writing() as writer:  # the SQL files are written while the manifest is made
        artifacts.write_compiled(manifest, ordered, writer)
        written = [f"compiled/{artifacts.output_path(manifest.nodes[uid])}" for uid in ordered]
        analyses = _selected_analyses(manifest, inv)
        artifacts.write_compiled(manifest, analyses, writer)  # compiled, never run (elt.compile.analyses)
        written += [f"compiled/{manifest.analyses[uid].path}" for uid in analyses]
        if target_dialect != manifest.dialect:
            artifacts.write_translated(manifest, ordered, target_dialect, writer)
            written += [f"translated/{artifacts.output_path(manifest.nodes[uid])}" for uid in ordered]
            manifest.save_cache()
        artifacts.write_manifest(manifest)
    return manifest, [*written, "manifest.json"]


def _selected_analyses(manifest: Manifest, inv: Invocation) -> list[str]:
    """The analyses `elt compile` writes: all of them, or with `-s` those it names (by name, or
    `resource_type:analysis`)."""
    if not inv.select:
        return sorted(manifest.analyses)
    words = {word for argument in inv.select for word in argument.split()}
    return sorted(uid for uid, node in manifest.analyses.items()
                  if node.name in words or "resource_type:analysis" in words)

