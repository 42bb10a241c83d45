"""How many models a typical one-model change rebuilds with `elt run --plan` against `state:modified+`
(`--plan-all`, dbt's way), on the demo project (the repository's models/) and on a generated one.

For each project: compiled once (its manifest.json is the state), then for each model of a sample
and each kind of change, that model's query is changed in the compiled project as an edit of its
file would change it, and `elt plan` is computed against the state:
    add a column          the outermost SELECT gains `1 AS bench_added`
    change an expression  one output column (not the first) is wrapped in ROUND(..., 2)
    change a filter       the outermost SELECT gains (or its WHERE is ANDed with) `1 = 1`
Counted: the models `--plan` rebuilds and the models `state:modified+` builds (models, seeds and
snapshots built; ephemeral models left out), mean and median over the sample, and over the staging
models of the sample alone (a change there has the most descendants).

    .venv/bin/python bench/plan.py [--models 1000] [--sample 40]
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlglot import exp

ROOT = Path(__file__).resolve().parents[1]


def add_column(query: exp.Select) -> bool:
    query.select(exp.alias_(exp.Literal.number(1), "bench_added"), copy=False)
    return True


def change_expression(query: exp.Select) -> bool:
    columns = [c for c in query.expressions if not isinstance(c, exp.Star)]
    if len(columns) < 2:
        return False
    target = columns[len(columns) // 2]
    inner = target.this if isinstance(target, exp.Alias) else target
    name = target.alias_or_name
    target.replace(exp.alias_(exp.func("ROUND", inner.copy(), exp.Literal.number(2)), name))
    return True


def change_filter(query: exp.Select) -> bool:
    query.where("1 = 1", copy=False)
    return True


CHANGES: dict[str, Callable[[exp.Select], bool]] = {
    "add a column": add_column, "change an expression": change_expression, "change a filter": change_filter}


Counts = dict[str, list[tuple[str, int, int]]]


def measure(project: Path, sample: int, seed: int) -> Counts:
    from elt.cli.invocation import Invocation, compile_manifest
    from elt.compile.canonical import tree_checksum
    from elt.report.console import Console
    from elt.state import load_state
    from elt.state.reach import plan_changes

    subprocess.run([str(Path(sys.executable).parent / "elt"), "compile", "--project-dir", str(project)],
                   check=True, capture_output=True)
    state = load_state(project / "target")
    manifest = compile_manifest(Invocation(project_dir=project), Console())
    models = sorted(uid for uid, node in manifest.nodes.items() if node.resource_type == "model"
                    and node.materialized != "ephemeral" and uid in manifest.compiled_sql)
    chosen = models if len(models) <= sample else random.Random(seed).sample(models, sample)
    found: Counts = {kind: [] for kind in CHANGES}
    shapes: dict = {}  # the unchanged models' shapes, made once
    for uid in chosen:
        original = manifest.queries[uid]
        checksum = manifest.tree_checksum(uid)
        for kind, change in CHANGES.items():
            query = original.copy()
            if not isinstance(query, exp.Select) or not change(query):
                continue
            # the model's parsed query as the edited file would give it; its checksum made again
            manifest.queries[uid] = query
            manifest.tree_checksums[uid] = tree_checksum(query, manifest.canonical_names)
            plan = plan_changes(manifest, state, shapes)
            found[kind].append((manifest.nodes[uid].path, len(plan.buildable(set(plan.rebuild), manifest)),
                                len(plan.buildable(plan.descendants, manifest))))
            manifest.queries[uid] = original
            manifest.tree_checksums[uid] = checksum
    return found


def report(name: str, found: Counts, seconds: float) -> None:
    print(f"\n{name} ({seconds:.0f} s)")
    print(f"  {'change':<31} {'models':>6}  {'--plan mean':>11} {'median':>6}  {'modified+ mean':>14} {'median':>6}")
    for which, keep in (("", lambda path: True), ("staging: ", lambda path: "staging" in path)):
        for kind, rows in found.items():
            counts = [(plan, every) for path, plan, every in rows if keep(path)]
            if not counts:
                continue
            plan, every = [p for p, _ in counts], [e for _, e in counts]
            print(f"  {which + kind:<31} {len(counts):>6}  {statistics.mean(plan):>11.1f} "
                  f"{statistics.median(plan):>6.0f}  {statistics.mean(every):>14.1f} {statistics.median(every):>6.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=1000, help="models of the generated project")
    parser.add_argument("--sample", type=int, default=40, help="models changed, one at a time, per project")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="elt-bench-plan-") as tmp:
        demo = Path(tmp) / "demo"
        demo.mkdir()
        for part in ("models", "seeds", "macros", "snapshots"):
            shutil.copytree(ROOT / part, demo / part)
        for part in ("pyproject.toml", "profiles.yml"):
            shutil.copy(ROOT / part, demo / part)
        start = time.perf_counter()
        report("demo (the repository's models/)", measure(demo, args.sample, args.seed), time.perf_counter() - start)
        generated = Path(tmp) / "generated"
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--models", str(args.models),
                        "--out", str(generated)], check=True, capture_output=True)
        start = time.perf_counter()
        report(f"generated project, {args.models} models (bench/generate.py), {args.sample} changed models",
               measure(generated, args.sample, args.seed), time.perf_counter() - start)


if __name__ == "__main__":
    main()
