"""Column-level lineage: `elt docs lineage` trees, unresolvable columns said so, `docs graph --columns`."""

from __future__ import annotations

import doctest
import importlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PYPROJECT, ProjectDir
from tests.functional.test_docs_graph import graphviz_dot
from tests.functional.test_run import LAYERED

REPO = Path(__file__).resolve().parents[2]


def without_legend(output: str) -> str:
    """The trees of `elt docs lineage`, without the legend of marks that ends its output."""
    trees, legend = output.rsplit("\n\nMarks: ", 1)
    return trees + "\n"

DEMO_AVG_SCORE = """\
ƒ mart_course_monthly_scores.avg_score  double  [table gold.mart_course_monthly_scores]
└── ƒ int_scores_enriched.normalized_score  double  [table silver.int_scores_enriched]
    ├── = int_scores_checked.max_score  int  [ephemeral]
    │   └── = stg_courses.max_score  int  [view bronze.stg_courses]
    │       └──   courses.max_score  int  [seed raw.courses]
    └── = int_scores_checked.score  double  [ephemeral]
        └── ƒ stg_exam_scores.score  double  [view bronze.stg_exam_scores]
            └──   raw.exam_scores.score  double  [source raw.exam_scores]
                └──   exam_scores.score  double  [seed raw.exam_scores]
"""

# Sources that declare no columns, read with SELECT * and through an unqualified join.
UNKNOWN_COLUMNS = {
    "models/staging/sources.yml": """\
        version: 2
        sources:
          - name: app
            schema: app
            tables:
              - name: events
              - name: users
        models:
          - name: stg_events
            columns:
              - name: event_id
                description: Id of the event.
    """,
    "models/staging/stg_events.sql": "select * from {{ source('app', 'events') }}\n",
    "models/marts/event_counts.sql": """\
        select event_id, count(*) as n from {{ ref('stg_events') }} group by event_id
    """,
    "models/marts/user_events.sql": """\
        select u.id as user_id, kind
        from {{ source('app', 'events') }} e join {{ source('app', 'users') }} u on e.user_id = u.id
    """,
}


def test_demo_mart_column_is_traced_to_seed_columns_through_every_layer():
    result = ProjectDir(REPO).elt("docs", "lineage", "mart_course_monthly_scores.avg_score")
    assert result.exit_code == 0, result.output
    assert without_legend(result.stdout) == DEMO_AVG_SCORE


def test_demo_every_mart_column_resolves():
    from elt.cli.invocation import Invocation, compile_manifest
    from elt.docs.lineage import compute_lineage
    from elt.report.console import Console

    manifest = compile_manifest(Invocation(project_dir=REPO), Console())
    lineage = compute_lineage(manifest)
    marts = [uid for uid, node in manifest.nodes.items()
             if node.resource_type == "model" and node.path.startswith("models/marts/")]
    assert marts
    for uid in marts:
        assert lineage.nodes[uid].complete, uid
        assert [c.name for c in lineage.nodes[uid].columns.values() if c.unresolved] == [], uid


def test_source_column_follows_the_seed_that_loads_it():
    result = ProjectDir(REPO).elt("docs", "lineage", "raw.exam_scores.score")
    assert result.exit_code == 0, result.output
    assert without_legend(result.stdout) == (
        "  raw.exam_scores.score  double  [source raw.exam_scores]\n"
        "└──   exam_scores.score  double  [seed raw.exam_scores]\n"
    )


def test_downstream_lists_the_columns_reading_it(project):
    proj = project(LAYERED)
    result = proj.elt("docs", "lineage", "stg_scores.score", "--downstream")
    assert result.exit_code == 0, result.output
    assert without_legend(result.stdout) == (
        "ƒ stg_scores.score  double  [view bronze.stg_scores]\n"
        "└── ƒ int_pct.pct  double  [table silver.int_pct]\n"
        "    ├── ƒ course_avg.avg_pct  double  [table gold.course_avg]\n"
        "    └── = passed.pct  double  [ephemeral]\n"
    )


def test_select_star_over_undeclared_source_is_reported_per_column(project):
    proj = project(UNKNOWN_COLUMNS)
    result = proj.elt("docs", "lineage", "event_counts")
    assert result.exit_code == 0, result.output
    assert without_legend(result.stdout) == (
        "= event_counts.event_id  [table gold.event_counts]\n"
        "└──   stg_events.event_id  [view bronze.stg_events]\n"
        "    └── ? documented in yml, but comes from SELECT * over app.events, whose columns are unknown\n"
        "\n"
        "ƒ event_counts.n  bigint  [table gold.event_counts]\n"
        "└── (no upstream column: a constant or count(*))\n"
    )
    star = proj.elt("docs", "lineage", "stg_events")
    assert star.stdout.startswith(
        "? stg_events: SELECT * over app.events cannot be expanded: declare the columns of app.events in yml\n")


def test_ambiguous_column_is_not_guessed(project):
    proj = project(UNKNOWN_COLUMNS)
    result = proj.elt("docs", "lineage", "user_events.kind")
    assert result.exit_code == 0, result.output
    assert without_legend(result.stdout) == (
        "  user_events.kind  [table gold.user_events]\n"
        "└── ? cannot tell which table column 'kind' comes from (qualify it, or declare the columns of the "
        "tables it may come from)\n"
    )
    qualified = proj.elt("docs", "lineage", "user_events.user_id").stdout
    assert "└──   app.users.id  [source app.users]\n" in qualified
    assert "? app.users.id: source app.users declares no columns" in qualified


@pytest.mark.parametrize(("spec", "message"), [
    ("mart_nope.x", "Error: no model, seed or source named 'mart_nope.x'"),
    ("stg_scores.nope", "Error: stg_scores has no column 'nope'\n  hint: its columns: student_id, course, score, "
                        "exam_date"),
])
def test_unknown_model_or_column_is_a_clean_error(project, spec, message):
    result = project(LAYERED).elt("docs", "lineage", spec)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_graph_columns_json_has_every_column_edge(project):
    result = project(LAYERED).elt("docs", "graph", "--columns", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    edges = {(e["from"]["node"], e["from"]["column"], e["to"]["node"], e["to"]["column"])
             for e in data["column_edges"]}
    copies = [("seed.scores", "model.stg_scores"), ("model.stg_scores", "model.int_pct"),
              ("model.int_pct", "model.passed")]
    expected = {(a, c, b, c) for a, b in copies for c in ("student_id", "course", "exam_date")}
    expected |= {("seed.scores", "score", "model.stg_scores", "score"),
                 ("model.stg_scores", "score", "model.int_pct", "pct"),
                 ("model.int_pct", "pct", "model.passed", "pct"),
                 ("model.int_pct", "course", "model.course_avg", "course"),
                 ("model.int_pct", "pct", "model.course_avg", "avg_pct")}
    assert edges == expected
    columns = {n["unique_id"]: [c["name"] for c in n["columns"]] for n in data["nodes"]}
    assert columns["model.passed_count"] == ["n"]
    assert columns["model.passed"] == ["student_id", "course", "pct", "exam_date"]  # SELECT * expanded


def test_graph_columns_mermaid_nests_columns_in_their_node(project):
    text = project(LAYERED).elt("docs", "graph", "--columns").stdout
    assert '    subgraph model_int_pct["int_pct (table)"]\n      model_int_pct__student_id["student_id"]\n' in text
    assert "  model_stg_scores__score --> model_int_pct__pct\n" in text


def test_graph_columns_marks_unresolved_and_skips_unknown_columns(project):
    text = project(UNKNOWN_COLUMNS).elt("docs", "graph", "--columns").stdout
    assert 'model_stg_events["stg_events (view) ?"]' in text
    assert 'model_user_events__kind["kind ?"]' in text
    assert "source_app_users__id" not in text  # app.users has no known columns to draw


def test_graph_columns_dot_is_accepted_by_graphviz(project):
    dot_command = graphviz_dot()
    dot = project(LAYERED).elt("docs", "graph", "--columns", "--format", "dot").stdout
    assert '"model.stg_scores":c2:e -> "model.int_pct":c2:w;' in dot
    subprocess.run([dot_command, "-Tsvg"], input=dot, text=True, capture_output=True, check=True)


@pytest.mark.parametrize("name", ["elt.docs.lineage", "elt.docs.layout", "elt.docs.svg"])
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0


def test_docs_generate_stores_column_lineage_in_the_manifest(tmp_path):
    import json
    from pathlib import Path

    from tests.conftest import ProjectDir

    repo = Path(__file__).resolve().parents[2]
    root = tmp_path / "demo"
    for folder in ("models", "macros", "seeds"):
        shutil.copytree(repo / folder, root / folder)
    for name in ("pyproject.toml", "profiles.yml"):
        shutil.copy(repo / name, root / name)
    assert ProjectDir(root).elt("docs", "generate").exit_code == 0
    nodes = json.loads((root / "target" / "manifest.json").read_text())["nodes"]
    columns = {c["name"]: c for c in nodes["model.mart_course_monthly_scores"]["column_lineage"]["columns"]}
    assert columns["course_id"]["upstream"] == [{"node": "model.int_scores_enriched", "column": "course_id"}]


# A DuckDB-dialect project: column types only DuckDB reads as written (Hive reads TIMESTAMPTZ as a
# TIMESTAMP and does not know UBIGINT), and a list, which DuckDB writes `ubigint[]`.
DUCKDB_PROJECT = {
    "models/staging/sources.yml": """\
        version: 2
        sources:
          - name: app
            schema: app
            tables:
              - name: events
                columns:
                  - name: seen_at
                    data_type: TIMESTAMPTZ
                  - name: n
                    data_type: UBIGINT
    """,
    "models/staging/stg_events.sql": """\
        select seen_at, n, [n, n + 1] as ns from {{ source('app', 'events') }}
    """,
}


def test_a_duckdb_project_lineage_reads_types_as_duckdb(project):
    pyproject = PYPROJECT.replace('profile = "test"\n', 'profile = "test"\ndialect = "duckdb"\n')
    assert 'dialect = "duckdb"' in pyproject
    proj = project(DUCKDB_PROJECT, pyproject=pyproject)
    seen = proj.elt("docs", "lineage", "stg_events.seen_at")
    assert seen.exit_code == 0, seen.output
    assert without_legend(seen.stdout) == (
        "= stg_events.seen_at  timestamptz  [view bronze.stg_events]\n"
        "└──   app.events.seen_at  TIMESTAMPTZ  [source app.events]\n"
    )
    assert proj.elt("docs", "lineage", "stg_events.n").stdout.startswith("= stg_events.n  ubigint  [view")
    assert proj.elt("docs", "lineage", "stg_events.ns").stdout.startswith("ƒ stg_events.ns  ubigint[]  [view")


# A model reading columns only to filter, join and group its rows (through a CTE for customers).
FILTERS = {
    "seeds/orders.csv": "id,customer_id,status,amount\n1,1,paid,10\n2,2,open,20\n",
    "seeds/customers.csv": "id,region\n1,eu\n2,us\n",
    "models/marts/eu_paid.sql": """\
        with c as (select id as customer_key, region from {{ ref('customers') }})
        select o.id, sum(o.amount) as total
        from {{ ref('orders') }} o join c on o.customer_id = c.customer_key
        where o.status = 'paid' and c.region = 'eu'
        group by o.id
        having count(*) > 0
    """,
}


def test_downstream_shows_the_models_that_read_a_column_only_to_filter_join_or_group(project):
    proj = project(FILTERS)
    outputs = {spec: proj.elt("docs", "lineage", spec, "--downstream") for spec in
               ("orders.status", "orders.customer_id", "customers.id", "customers.region", "orders.id")}
    assert all(r.exit_code == 0 for r in outputs.values()), [r.output for r in outputs.values()]
    assert without_legend(outputs["orders.status"].stdout) == (
        "  orders.status  string  [seed raw.orders]\n"
        "└── ~ eu_paid  (WHERE)  [table gold.eu_paid]\n")
    assert "└── ~ eu_paid  (JOIN)  [table gold.eu_paid]\n" in outputs["orders.customer_id"].stdout
    assert "└── ~ eu_paid  (JOIN)  [table gold.eu_paid]\n" in outputs["customers.id"].stdout  # through the CTE
    assert "└── ~ eu_paid  (WHERE)  [table gold.eu_paid]\n" in outputs["customers.region"].stdout
    # id is an output column too: it is listed as such, not as a filter
    assert without_legend(outputs["orders.id"].stdout) == (
        "  orders.id  int  [seed raw.orders]\n"
        "└── = eu_paid.id  int  [table gold.eu_paid]\n")
    proj.elt("docs", "generate")
    lineage = json.loads((proj.root / "target" / "docs" / "lineage.json").read_text())
    filters = lineage["nodes"]["model.eu_paid"]["filters"]
    assert filters == [
        {"node": "seed.customers", "column": "id", "clauses": ["join"]},
        {"node": "seed.customers", "column": "region", "clauses": ["where"]},
        {"node": "seed.orders", "column": "customer_id", "clauses": ["join"]},
        {"node": "seed.orders", "column": "id", "clauses": ["group by"]},
        {"node": "seed.orders", "column": "status", "clauses": ["where"]},
    ]


def test_the_demo_mart_filtering_on_department_position_is_shown_downstream():
    result = ProjectDir(REPO).elt("docs", "lineage", "mart_student_ranking.department_position", "--downstream")
    assert result.exit_code == 0, result.output
    assert "└── ~ mart_department_summary  (WHERE)  [table gold.mart_department_summary]\n" in result.stdout


def test_the_output_ends_with_a_legend_of_its_marks(project):
    proj = project(FILTERS)
    up, down = (proj.elt("docs", "lineage", *args) for args in (["eu_paid.total"], ["orders.status", "--downstream"]))
    assert up.stdout.endswith(
        "\n\nMarks: = copied: the value of one upstream column, unchanged (perhaps renamed)\n"
        "       ƒ derived: computed by an expression, an aggregate or from several columns\n"
        "         a seed or source column: where the data enters the project\n")
    assert down.stdout.endswith(
        "         a seed or source column: where the data enters the project\n"
        "       ~ read only to filter, join or group rows (WHERE / JOIN / GROUP BY / HAVING)\n")
