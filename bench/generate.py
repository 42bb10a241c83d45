"""A deterministic generator of synthetic projects that both elt and dbt-core (+ dbt-duckdb) build.

One folder holds both projects over the same files: `models/`, `seeds/` and `macros/` are shared;
`pyproject.toml [tool.elt]` makes it an elt project and `dbt_project.yml` a dbt project. Each tool has
its own profile in `profiles.yml` (its own DuckDB file under `db/`) and its own output folder
(`target/` for elt, `dbt_target/` for dbt), so running one never touches the other's state.

The models use the subset both tools accept: Jinja `ref`, `source`, `config` and `var`, the project's
macros, and SQL that is valid Hive (elt parses it as Hive and translates it for DuckDB) and that
DuckDB runs as it is (dbt-duckdb sends it unchanged).

Layout for N models (same N, rows and seed => byte-identical files):

    seeds/raw_<k>.csv                 max(2, N // 50) seeds of R rows: id, grp, category, amount, qty
    models/staging/gNN/stg_<i>.sql    20%: views, one seed each (ref or source), typed and deduplicated
    models/intermediate/gNN/int_<i>   50%: tables, each reads 1-3 earlier staging/intermediate models
    models/marts/gNN/mart_<i>.sql     30%: tables, each reads 1-3 intermediate or earlier mart models
    models/**/gNN/_gNN.yml            column tests: not_null, unique, accepted_values, relationships
    macros/bench.sql                  macros the models call; dbt_macros/ only dbt reads

Every model returns the columns (id, grp, category, amount, qty) with `id` unique, so any model can
join any other on `id`, and the tests hold.

Usage: python bench/generate.py --models 1000 [--rows 500] [--seed 7] --out /tmp/elt-bench/n1000
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

CATEGORIES = ("alpha", "beta", "gamma", "delta")
GROUP_SIZE = 100  # models per sub-folder (and per yml file)

PYPROJECT = """\
[tool.elt]
name = "bench"
profile = "bench"
dialect = "hive"

[tool.elt.vars]
amount_floor = 5
scale = 1.5

[tool.elt.seeds]
schema = "raw"

[tool.elt.models.staging]
materialized = "view"
schema = "staging"

[tool.elt.models.intermediate]
materialized = "table"
schema = "intermediate"

[tool.elt.models.marts]
materialized = "table"
schema = "marts"
"""

DBT_PROJECT = """\
name: bench
version: "1.0.0"
config-version: 2
profile: bench_dbt
model-paths: [models]
seed-paths: [seeds]
macro-paths: [macros, dbt_macros]

flags:
  send_anonymous_usage_stats: false

vars:
  amount_floor: 5
  scale: 1.5

seeds:
  bench:
    +schema: raw

models:
  bench:
    staging:
      +materialized: view
      +schema: staging
    intermediate:
      +materialized: table
      +schema: intermediate
    marts:
      +materialized: table
      +schema: marts
"""

PROFILES = """\
# elt reads profile `bench`, dbt reads `bench_dbt`: one DuckDB file each, so neither sees the other's work.
bench:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: db/elt.duckdb
      threads: 4

bench_dbt:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: db/dbt.duckdb
      threads: 4
"""

# dbt prefixes custom schemas with the target schema (main_staging); elt uses them as they are. With
# this override dbt builds the same relation names as elt (staging.stg_1, ...). elt never reads it.
DBT_SCHEMA_MACRO = """\
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
"""

MACROS = """\
{# Macros shared by the generated models (valid for elt and dbt). #}

{% macro safe_ratio(numerator, denominator) -%}
case when {{ denominator }} = 0 then null else {{ numerator }} / {{ denominator }} end
{%- endmacro %}

{% macro bounded_qty(expr) -%}
cast(({{ expr }}) % 1000 as int)
{%- endmacro %}

{% macro scaled(expr) -%}
round(({{ expr }}) * {{ var('scale') }}, 4)
{%- endmacro %}

{% macro category_of(amount_col, fallback) -%}
case
        when {{ amount_col }} is null then {{ fallback }}
        when {{ amount_col }} >= 750 then 'alpha'
        when {{ amount_col }} >= 500 then 'beta'
        when {{ amount_col }} >= 250 then 'gamma'
        else 'delta'
    end
{%- endmacro %}
"""

COLUMNS = "id, grp, category, amount, qty"


def _staging(i: int, seed_name: str, via_source: bool) -> str:
    relation = f"{{{{ source('raw', '{seed_name}') }}}}" if via_source else f"{{{{ ref('{seed_name}') }}}}"
    return f"""\
-- Staging model {i}: typed and deduplicated rows of {seed_name}.
with source_rows as (
    select * from {relation}
),
deduplicated as (
    select
        id, grp, category, amount, qty,
        row_number() over (partition by id order by amount desc, qty) as version_rank
    from source_rows
    where id is not null
)
select
    cast(id as int) as id,
    cast(grp as int) as grp,
    cast(category as string) as category,
    cast(amount as double) as amount,
    cast(qty as int) as qty
from deduplicated
where version_rank = 1
"""


def _join_window(parents: list[str]) -> str:
    """Left joins on id (ids stay a subset of the first parent's), then window functions."""
    first, *others = parents
    joins = "".join(f"\n    left join {{{{ ref('{p}') }}}} p{k} on p0.id = p{k}.id" for k, p in enumerate(others, 1))
    extra = "".join(f" + coalesce(p{k}.amount, 0)" for k in range(1, len(parents)))
    qty = "".join(f" + coalesce(p{k}.qty, 0)" for k in range(1, len(parents)))
    return f"""\
with joined as (
    select
        p0.id,
        p0.grp,
        p0.category,
        (p0.amount{extra}) / {len(parents)} as amount,
        {{{{ bounded_qty('p0.qty{qty}') }}}} as qty
    from {{{{ ref('{first}') }}}} p0{joins}
),
ranked as (
    select
        {COLUMNS},
        row_number() over (partition by grp order by amount desc, id) as grp_rank,
        sum(amount) over (partition by grp) as grp_amount,
        lag(amount, 1) over (partition by grp order by id) as previous_amount
    from joined
)
select
    id,
    grp,
    case when grp_rank <= 3 then 'alpha' else category end as category,
    round(coalesce(amount, previous_amount, 0) + {{{{ safe_ratio('grp_amount', '1000') }}}}, 4) as amount,
    qty
from ranked
"""


def _group_join_back(parents: list[str]) -> str:
    """GROUP BY grp over the first parent, joined back to its rows (ids: the first parent's)."""
    first, *others = parents
    joins = "".join(f"\n    left join {{{{ ref('{p}') }}}} p{k} on b.id = p{k}.id" for k, p in enumerate(others, 1))
    extra = "".join(f" + coalesce(p{k}.qty, 0)" for k in range(1, len(parents)))
    return f"""\
{{{{ config(tags=['grouped']) }}}}
with base as (
    select {COLUMNS} from {{{{ ref('{first}') }}}}
    where amount >= {{{{ var('amount_floor') }}}} or amount is null
),
per_group as (
    select
        grp,
        count(*) as group_rows,
        sum(amount) as group_amount,
        max(qty) as max_qty,
        count(distinct category) as categories
    from base
    group by grp
)
select
    b.id,
    b.grp,
    {{{{ category_of('b.amount', 'b.category') }}}} as category,
    {{{{ scaled("coalesce(" ~ safe_ratio('b.amount * g.group_rows', 'g.group_amount') ~ ", 0)") }}}} as amount,
    {{{{ bounded_qty('b.qty + g.max_qty + g.categories{extra}') }}}} as qty
from base b
join per_group g on b.grp = g.grp{joins}
"""


def _union_aggregate(parents: list[str]) -> str:
    """UNION ALL of the parents, aggregated per id (ids: the union of the parents')."""
    selects = "\n    union all\n".join(f"    select {COLUMNS} from {{{{ ref('{p}') }}}}" for p in parents)
    return f"""\
with unioned as (
{selects}
),
per_id as (
    select
        id,
        max(grp) as grp,
        max(category) as category,
        avg(amount) as amount,
        sum(qty) as qty,
        count(*) as sources
    from unioned
    group by id
)
select
    id,
    grp,
    category,
    round(amount, 4) as amount,
    {{{{ bounded_qty('qty + sources') }}}} as qty
from per_id
"""


TEMPLATES = (_join_window, _group_join_back, _union_aggregate)
#: templates whose ids are a subset of their first parent's (a relationships test holds).
SUBSET_OF_FIRST = (_join_window, _group_join_back)


def layer_sizes(n: int) -> tuple[int, int, int]:
    """(staging, intermediate, marts) model counts for n models.

    >>> layer_sizes(1000)
    (200, 500, 300)
    """
    staging = max(1, round(n * 0.2))
    intermediate = max(1, round(n * 0.5))
    return staging, intermediate, max(1, n - staging - intermediate)


def seed_count(n: int) -> int:
    return max(2, n // 50)


def generate(out: Path, n: int, rows: int = 500, seed: int = 7) -> Path:
    """Write the project for `n` models into `out` (replacing it). Returns `out`."""
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    files: dict[str, str] = {
        "pyproject.toml": PYPROJECT,
        "dbt_project.yml": DBT_PROJECT,
        "profiles.yml": PROFILES,
        "macros/bench.sql": MACROS,
        "dbt_macros/generate_schema_name.sql": DBT_SCHEMA_MACRO,
    }
    n_seeds = seed_count(n)
    seeds = [f"raw_{k}" for k in range(n_seeds)]
    for name in seeds:
        files[f"seeds/{name}.csv"] = _seed_rows(rng, rows)
    files["models/staging/_sources.yml"] = _sources_yml(seeds)

    n_stg, n_int, n_mart = layer_sizes(n)
    stg = [f"stg_{i}" for i in range(n_stg)]
    ints = [f"int_{i}" for i in range(n_int)]
    marts = [f"mart_{i}" for i in range(n_mart)]
    tests: dict[str, list[str]] = {}  # yml path -> entries

    for i, name in enumerate(stg):
        folder = f"models/staging/g{i // GROUP_SIZE:02d}"
        files[f"{folder}/{name}.sql"] = _staging(i, seeds[i % n_seeds], via_source=i % 2 == 1)
        tests.setdefault(f"{folder}/_g{i // GROUP_SIZE:02d}.yml", []).append(_staging_tests(name))
    for layer, names, upstream_of in (
        ("intermediate", ints, lambda i: stg + ints[:i]),
        ("marts", marts, lambda i: ints + marts[:i]),
    ):
        for i, name in enumerate(names):
            pool = upstream_of(i)
            parents = rng.sample(pool, k=min(len(pool), rng.randint(1, 3)))
            template = TEMPLATES[rng.randrange(len(TEMPLATES))]
            folder = f"models/{layer}/g{i // GROUP_SIZE:02d}"
            header = f"-- {layer} model {name}: reads {', '.join(parents)}.\n"
            files[f"{folder}/{name}.sql"] = header + template(parents)
            entry = _model_tests(rng, name, parents[0] if template in SUBSET_OF_FIRST else None)
            if entry:
                tests.setdefault(f"{folder}/_g{i // GROUP_SIZE:02d}.yml", []).append(entry)
    for path, entries in tests.items():
        files[path] = "version: 2\n\nmodels:\n" + "".join(entries)

    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (out / "db").mkdir(exist_ok=True)
    return out


def _seed_rows(rng: random.Random, rows: int) -> str:
    lines = ["id,grp,category,amount,qty"]
    for row_id in range(1, rows + 1):
        # A few duplicated ids (resent rows) give the staging dedup something to do.
        repeat = 2 if rng.random() < 0.02 else 1
        for _ in range(repeat):
            lines.append(f"{row_id},{rng.randrange(10)},{rng.choice(CATEGORIES)},"
                         f"{rng.uniform(0, 1000):.2f},{rng.randrange(1, 100)}")
    return "\n".join(lines) + "\n"


def _sources_yml(seeds: list[str]) -> str:
    tables = "".join(f"      - name: {name}\n" for name in seeds)
    return f"version: 2\n\nsources:\n  - name: raw\n    schema: raw\n    tables:\n{tables}"


def _staging_tests(name: str) -> str:
    values = ", ".join(CATEGORIES)
    return f"""\
  - name: {name}
    description: Staging model {name}.
    columns:
      - name: id
        data_tests: [not_null, unique]
      - name: category
        data_tests:
          - accepted_values:
              values: [{values}]
"""


def _model_tests(rng: random.Random, name: str, subset_of: str | None) -> str:
    columns = []
    if rng.random() < 0.5:
        id_tests = ["not_null", "unique"]
        if subset_of and rng.random() < 0.5:
            id_tests.append(f"relationships: {{to: \"ref('{subset_of}')\", field: id}}")
        columns.append("      - name: id\n        data_tests:\n"
                       + "".join(f"          - {t}\n" for t in id_tests))
    if rng.random() < 0.25:
        columns.append("      - name: category\n        data_tests:\n          - accepted_values:\n"
                       f"              values: [{', '.join(CATEGORIES)}]\n")
    if not columns:
        return ""
    return f"  - name: {name}\n    columns:\n" + "".join(columns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=int, required=True, help="number of models (N)")
    parser.add_argument("--rows", type=int, default=500, help="rows per seed (R)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (same seed, same files)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write (replaced)")
    args = parser.parse_args()
    out = generate(args.out, args.models, args.rows, args.seed)
    print(f"wrote {out}: {args.models} models, {seed_count(args.models)} seeds of {args.rows} rows")


if __name__ == "__main__":
    main()
