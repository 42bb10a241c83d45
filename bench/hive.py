"""Benchmark elt against dbt-spark and dbt-hive on a Spark Thrift Server (the Hive engine).

The same generated project (bench/generate.py) is copied once per tool, each copy with its own schema
names (elt `el_raw`..., dbt-spark `ds_raw`..., dbt-hive `dh_raw`...) so the tools never touch each
other's relations on the one server. Steps: `seed`, `run (empty schemas)` (the model schemas dropped
first, untimed), `run (tables exist)`, `test`. For each repetition the tools run one after the other
(alternating, so a change in the machine's load hits all alike); medians are reported.

Measured per command: wall time; the server's CPU time (utime + stime of the server's JVM, from
/proc/<pid>/stat, before and after); statements sent, counted by a small TCP proxy between the tools
and the server (`hive_proxy.py`: it counts Thrift `ExecuteStatement` calls). With `--breakdown`, elt's
run is repeated once more with `--debug`, and the statements of its log (each with its time, logged by
the Hive adapter) are summed by kind.

Start your own server (its pid is read from the data folder's pid file):
    scripts/hive-server install
    ELT_HIVE_DATA=/work/.hive-bench ELT_HIVE_PORT=10030 scripts/hive-server start
    .venv/bin/python bench/hive.py --sizes 50,200 --port 10030 --data /work/.hive-bench \
        --dbt-spark /work/venv-dbt-spark/bin/dbt --dbt-hive /work/venv-dbt-hive/bin/dbt
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate, seed_count
from hive_proxy import CountingProxy

STEPS = ["seed", "run (empty schemas)", "run (tables exist)", "test"]
LAYERS = ("raw", "staging", "intermediate", "marts")
CLK_TCK = os.sysconf("SC_CLK_TCK")
# dbt-hive reads Hive's `SHOW TABLES` column `tab_name`; Spark names it `tableName` (KeyError otherwise);
# its drop also sends `drop materialized view`, which Spark cannot parse (so rebuilds and reseeds fail).
DBT_HIVE_ON_SPARK = """\
{% macro hive__drop_relation(relation) -%}
  {% call statement('drop_relation_if_exists_table') %}
    drop table if exists {{ relation }}
  {% endcall %}
  {% call statement('drop_relation_if_exists_view') %}
    drop view if exists {{ relation }}
  {% endcall %}
{% endmacro %}

{% macro hive__list_tables_without_caching(schema) %}
  {% call statement('list_tables_without_caching', fetch_result=True) -%}
    show tables in {{ schema }}
  {% endcall %}
  {% do return(load_result('list_tables_without_caching').table.rename(column_names={'tableName': 'tab_name'})) %}
{% endmacro %}

{% macro hive__list_views_without_caching(schema) %}
  {% call statement('list_views_without_caching', fetch_result=True) -%}
    show views in {{ schema }}
  {% endcall %}
  {% do return(load_result('list_views_without_caching').table.rename(column_names={'viewName': 'tab_name'})) %}
{% endmacro %}
"""


@dataclass
class Measure:
    wall: float
    server_cpu: float
    statements: int
    code: int


@dataclass
class Tool:
    name: str
    exe: str
    prefix: str
    project: Path = Path()
    env: dict[str, str] = field(default_factory=dict)

    def command(self, step: str) -> list[str]:
        verb = {"seed": "seed", "test": "test"}.get(step, "run")
        extra = ["--threads", "4"] if self.name == "elt" and verb == "run" else []
        return [self.exe, verb, *extra]


def server_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)


def make_project(base: Path, tool: Tool, port: int, host: str) -> Path:
    """A copy of the generated project whose schemas carry the tool's prefix, with a profile for it."""
    out = base.parent / f"{base.name}-{tool.name}"
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(base, out)
    for rel in ("pyproject.toml", "dbt_project.yml"):
        text = (out / rel).read_text()
        for layer in LAYERS:
            text = text.replace(f'schema = "{layer}"', f'schema = "{tool.prefix}{layer}"')
            text = text.replace(f"+schema: {layer}", f"+schema: {tool.prefix}{layer}")
        (out / rel).write_text(text.replace("profile: bench_dbt", f"profile: bench_{tool.name.replace('-', '_')}"))
    sources = out / "models/staging/_sources.yml"
    sources.write_text(sources.read_text().replace("schema: raw", f"schema: {tool.prefix}raw"))
    profiles = {
        "elt": f"bench:\n  target: dev\n  outputs:\n    dev:\n      type: spark\n      host: {host}\n"
               f"      port: {port}\n      schema: {tool.prefix}default\n      threads: 4\n",
        "dbt-spark": f"bench_dbt_spark:\n  target: dev\n  outputs:\n    dev:\n      type: spark\n"
                     f"      method: thrift\n      host: {host}\n      port: {port}\n"
                     f"      schema: {tool.prefix}default\n      threads: 4\n",
        "dbt-hive": f"bench_dbt_hive:\n  target: dev\n  outputs:\n    dev:\n      type: hive\n      host: {host}\n"
                    f"      port: {port}\n      schema: {tool.prefix}default\n      threads: 4\n"
                    "      use_http_transport: false\n",
    }
    (out / "profiles.yml").write_text(profiles[tool.name])
    if tool.name == "dbt-hive":
        (out / "dbt_macros/hive_on_spark.sql").write_text(DBT_HIVE_ON_SPARK)
    return out


def drop_schemas(host: str, port: int, schemas: list[str]) -> None:
    from pyhive import hive

    connection = hive.connect(host=host, port=port, username="bench")
    cursor = connection.cursor()
    for schema in schemas:
        cursor.execute(f"DROP DATABASE IF EXISTS {schema} CASCADE")
    connection.close()


def measure(tool: Tool, step: str, proxy: CountingProxy, pid: int, logs: Path, rep: int) -> Measure:
    log = logs / f"{tool.name}-{re.sub(r'[^a-z]+', '_', step)}-{rep}.log"
    before_cpu, before_count = server_cpu(pid), proxy.statements
    with open(log, "wb") as out:
        start = time.perf_counter()
        code = subprocess.run(tool.command(step), cwd=tool.project, env=tool.env, stdout=out,
                              stderr=subprocess.STDOUT, check=False).returncode
        wall = time.perf_counter() - start
    return Measure(wall, server_cpu(pid) - before_cpu, proxy.statements - before_count, code)


def breakdown(tool: Tool, n: int, logs: Path) -> str:
    """elt's statements by kind (count, summed seconds) from a `--debug` run, tables existing."""
    log = logs / "elt-breakdown.log"
    with open(log, "wb") as out:
        subprocess.run([tool.exe, "--debug", "run", "--threads", "4"], cwd=tool.project, env=tool.env,
                       stdout=out, stderr=subprocess.STDOUT, check=False)
    pattern = re.compile(r"hive: ([0-9.]+) s: (.*)")
    kinds: dict[str, list[float]] = collections.defaultdict(list)
    for line in log.read_text(errors="replace").splitlines():
        found = pattern.search(line)
        if found:
            words = found.group(2).split()
            kind = " ".join(words[:3] if words[:1] in (["SHOW"], ["ALTER"], ["DESCRIBE"]) else words[:2])
            kinds[re.sub(r"\S+\.\S+", "<relation>", kind)].append(float(found.group(1)))
    lines = [f"elt statements at N={n}, tables existing (--debug run; seconds summed over threads):", "",
             "| statement | count | per model | total s | mean s |", "| --- | ---: | ---: | ---: | ---: |"]
    for kind, times in sorted(kinds.items(), key=lambda kv: -sum(kv[1])):
        lines.append(f"| `{kind}` | {len(times)} | {len(times) / n:.2f} | {sum(times):.1f} | "
                     f"{statistics.mean(times):.3f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark elt, dbt-spark and dbt-hive on a Spark Thrift Server.")
    parser.add_argument("--sizes", default="50,200")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=10030, help="the server's port")
    parser.add_argument("--data", type=Path, default=Path("/work/.hive-bench"),
                        help="the server's data folder (its pid file tells whose CPU to read)")
    parser.add_argument("--out", type=Path, default=Path("/tmp/elt-bench-hive"))
    parser.add_argument("--elt", default=str(Path(sys.executable).with_name("elt")))
    parser.add_argument("--dbt-spark", default=None, help="dbt executable of a venv with dbt-spark[PyHive]")
    parser.add_argument("--dbt-hive", default=None, help="dbt executable of a venv with dbt-hive")
    parser.add_argument("--steps", default=",".join(STEPS))
    parser.add_argument("--breakdown", action="store_true", help="print elt's statements by kind")
    args = parser.parse_args()
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    pid = int((args.data / "hive.pid").read_text().split()[0])
    proxy = CountingProxy(args.host, args.port)
    proxy.start()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    env.update({"DBT_PROFILES_DIR": ".", "DBT_TARGET_PATH": "dbt_target", "DBT_LOG_PATH": "dbt_logs",
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1",
                "PYTHONPYCACHEPREFIX": str(args.out.resolve() / "pycache")})
    tools = [Tool("elt", args.elt, "el_")]
    if args.dbt_spark:
        tools.append(Tool("dbt-spark", args.dbt_spark, "ds_"))
    if args.dbt_hive:
        tools.append(Tool("dbt-hive", args.dbt_hive, "dh_"))
    print(f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, server pid {pid}, tools "
          f"{', '.join(t.name for t in tools)}", flush=True)
    tables = []
    for n in (int(s) for s in args.sizes.split(",")):
        base = generate(args.out / f"n{n}", n)
        logs = args.out / "logs" / f"n{n}"
        logs.mkdir(parents=True, exist_ok=True)
        for tool in tools:
            tool.project = make_project(base, tool, proxy.port, args.host)
            tool.env = env
            drop_schemas(args.host, args.port, [tool.prefix + s for s in (*LAYERS, "default")])
            subprocess.run([tool.exe, "--help"], env=env, stdout=subprocess.DEVNULL, check=False)
            if "seed" not in steps:  # the runs read the seeds
                subprocess.run(tool.command("seed"), cwd=tool.project, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, check=False)
        results: dict[str, dict[str, list[Measure]]] = {}
        for step in steps:
            for rep in range(args.repeat):
                for tool in tools:
                    if step == "run (empty schemas)":
                        drop_schemas(args.host, args.port, [tool.prefix + s for s in LAYERS[1:]])
                    m = measure(tool, step, proxy, pid, logs, rep)
                    results.setdefault(step, {}).setdefault(tool.name, []).append(m)
                    print(f"  N={n:<4} {step:<20} {tool.name:<9} {m.wall:7.1f} s  server CPU {m.server_cpu:6.1f} s"
                          f"  {m.statements:5d} statements" + ("" if m.code == 0 else f"  EXIT {m.code} ({logs})"),
                          flush=True)
        tables.append(table(n, results, [t.name for t in tools]))
        print("\n" + tables[-1] + "\n", flush=True)
        if args.breakdown:
            tables.append(breakdown(tools[0], n, logs))
            print(tables[-1] + "\n", flush=True)
    proxy.stop()
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    (args.out / f"results-{stamp}.md").write_text("\n\n".join(tables) + "\n")
    print(f"wrote {args.out}/results-{stamp}.md")


def table(n: int, results: dict[str, dict[str, list[Measure]]], names: list[str]) -> str:
    head = "| step | " + " | ".join(f"{t} s" for t in names)
    head += " | " + " | ".join(f"{t}/elt" for t in names[1:]) + " | statements per model | server CPU s |"
    lines = [f"N = {n} models ({seed_count(n)} seeds), medians of the repetitions", "", head,
             "| --- |" + " ---: |" * (2 * len(names) - 1) + " --- | --- |"]
    for step, by_tool in results.items():
        def med(tool: str, attr: str, by_tool: dict[str, list[Measure]] = by_tool) -> float:
            runs = by_tool.get(tool, [])
            return statistics.median(getattr(m, attr) for m in runs) if runs else float("nan")

        failed = {t for t in names if any(m.code for m in by_tool.get(t, []))}
        walls = [("FAILED" if t in failed else f"{med(t, 'wall'):.1f}") for t in names]
        ratios = [f"{med(t, 'wall') / med('elt', 'wall'):.2f}x" for t in names[1:]]
        per_model = " / ".join(f"{med(t, 'statements') / n:.1f}" for t in names)
        cpu = " / ".join(f"{med(t, 'server_cpu'):.0f}" for t in names)
        lines.append(f"| {step} | " + " | ".join(walls) + " | " + " | ".join(ratios) + f" | {per_model} | {cpu} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
