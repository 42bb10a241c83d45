"""Snapshots as project nodes: `{% snapshot %}` blocks and yml `snapshots:` loaded, configured, named,
selected, listed and recorded in the artifacts (built through the commands: test_snapshot_commands.py)."""

from __future__ import annotations

import json

import pytest

PYPROJECT = """\
[tool.elt]
name = "shop"
profile = "test"

[tool.elt.snapshots]
schema = "history"
tags = ["hist"]

[tool.elt.snapshots.crm]
tags = ["crm"]
"""

SEED = "id,name,city,updated_at\n1,Ann,Paris,2024-01-01 00:00:00\n2,Bob,Rome,2024-01-01 00:00:00\n"

BLOCKS = """\
{# two snapshots in one file #}
{% snapshot people_history %}
{{ config(unique_key='id', strategy='timestamp', updated_at='updated_at') }}
select * from {{ ref('people') }}
{% endsnapshot %}

{%- snapshot city_history -%}
{{ config(unique_key='id', strategy='check', check_cols=['city'], alias='cities_over_time') }}
select id, city from {{ source('crm', 'people') }}
{%- endsnapshot -%}
"""

YML = """\
sources:
  - name: crm
    schema: main
    tables: [{name: people}]
snapshots:
  - name: people_checked
    relation: ref('people')
    description: every version of a person
    config:
      unique_key: id
      strategy: check
      check_cols: all
      target_schema: legacy_history
      invalidate_hard_deletes: true
  - name: people_history
    description: people, as they were
    columns:
      - name: id
        description: the person
        data_tests: [not_null]
"""


def files(**extra: str) -> dict[str, str]:
    return {"seeds/people.csv": SEED, "snapshots/crm/people.sql": BLOCKS, "snapshots/props.yml": YML,
            "models/current_people.sql": "select id, name from {{ ref('people_history') }} where dbt_valid_to is null",
            **extra}


def listed(proj, *args: str) -> dict[str, dict]:
    result = proj.elt("ls", "--output", "json", *args)
    assert result.exit_code == 0, result.output
    return {row["unique_id"]: row for row in map(json.loads, result.stdout.splitlines())}


def test_blocks_and_yml_snapshots_are_nodes_with_their_relations(project):
    proj = project(files(), pyproject=PYPROJECT)
    rows = listed(proj, "--resource-type", "snapshot")
    assert {uid: (row["path"], row["relation"], row["materialized"]) for uid, row in rows.items()} == {
        "snapshot.people_history": ("snapshots/crm/people.sql", "history.people_history", "snapshot"),
        "snapshot.city_history": ("snapshots/crm/people.sql", "history.cities_over_time", "snapshot"),
        # the legacy target_schema is the schema as written
        "snapshot.people_checked": ("snapshots/props.yml", "legacy_history.people_checked", "snapshot"),
    }
    assert rows["snapshot.people_history"]["tags"] == ["crm"]  # its folder's (deeper folders win, as for models)
    assert rows["snapshot.people_checked"]["tags"] == ["hist"]


def test_selectors_reach_snapshots(project):
    proj = project(files(), pyproject=PYPROJECT)
    assert set(listed(proj, "-s", "resource_type:snapshot")) == {
        "snapshot.people_history", "snapshot.city_history", "snapshot.people_checked"}
    assert set(listed(proj, "-s", "tag:crm")) == {"snapshot.people_history", "snapshot.city_history"}
    assert set(listed(proj, "-s", "path:snapshots/props.yml,resource_type:snapshot")) == {"snapshot.people_checked"}
    assert set(listed(proj, "-s", "people_history+", "--resource-type", "model", "--resource-type", "snapshot")) == {
        "snapshot.people_history", "model.current_people"}
    # the source reads the table the seed loads (main.people): the seed comes first
    assert set(listed(proj, "-s", "+city_history")) == {"snapshot.city_history", "source.crm.people", "seed.people"}
    assert set(listed(proj, "-s", "people_*", "--exclude", "people_checked")) == {"snapshot.people_history"}


def test_ref_to_a_snapshot_is_an_edge_and_yml_properties_apply(project):
    proj = project(files(), pyproject=PYPROJECT)
    result = proj.elt("compile")
    assert result.exit_code == 0, result.output
    manifest = json.loads((proj.root / "target" / "manifest.json").read_text())
    nodes = manifest["nodes"]
    assert nodes["model.current_people"]["depends_on"]["nodes"] == ["snapshot.people_history"]
    assert nodes["snapshot.people_history"]["depends_on"]["nodes"] == ["seed.people"]
    assert nodes["snapshot.city_history"]["depends_on"]["nodes"] == ["source.crm.people"]
    history = nodes["snapshot.people_history"]
    assert history["resource_type"] == "snapshot"
    assert history["description"] == "people, as they were"
    assert history["columns"]["id"]["description"] == "the person"
    assert history["config"]["unique_key"] == "id" and history["config"]["strategy"] == "timestamp"
    assert nodes["test.not_null_people_history_id"]["attached_node"] == "snapshot.people_history"
    assert nodes["snapshot.people_checked"]["config"]["invalidate_hard_deletes"] is True
    compiled = proj.root / "target" / "compiled" / "snapshots" / "crm" / "people.sql" / "city_history.sql"
    assert compiled.read_text().strip() == "select id, city from main.people"
    assert "model(s)" in result.stdout and "3 snapshots" in result.stdout


@pytest.mark.parametrize(("path", "text", "line", "words"), [
    ("snapshots/s.sql", "{% snapshot s %}\n{{ config(unique_key='id', strategy='check', check_cols='all', "
     "colour='red') }}\nselect 1 as id\n{% endsnapshot %}\n", 2, "unknown config key(s) colour for snapshot 's'"),
    ("snapshots/s.sql", "{% snapshot s %}\nselect 1 as id\n", 1, "snapshot 's' has no {% endsnapshot %}"),
    ("snapshots/s.sql", "select 1\n", 1, "text outside a {% snapshot %} block"),
    ("snapshots/s.sql", "{% snapshot s %}\n{{ config(unique_key='id', strategy='check', check_cols='all') }}\n"
     "select (1 as id\nfrom x\n{% endsnapshot %}\n", 4, "SQL syntax error"),
    ("snapshots/s.sql", "\n{% snapshot s %}\n{{ config(unique_key='id', check_cols='all') }}\nselect 1 as id\n"
     "{% endsnapshot %}\n", 2, "snapshot 's': has no strategy"),
    ("snapshots/s.yml", "snapshots:\n  - name: s\n    relation: people\n", 3, "`relation` of snapshot 's' must be"),
    ("snapshots/s.yml", "snapshots:\n  - name: s\n    relation: ref('peple')\n    config: {unique_key: id, "
     "strategy: check, check_cols: all}\n", 3, "ref to unknown model 'peple'"),
    ("snapshots/s.yml", "snapshots:\n  - name: people\n    relation: ref('people')\n", 2,
     "snapshot 'people' (snapshots/s.yml:2) has the same name as seed 'people'"),
])
def test_bad_snapshots_name_their_file_and_line(project, path, text, line, words):
    proj = project({"seeds/people.csv": SEED, path: text})
    result = proj.elt("compile")
    assert result.exit_code == 2
    assert f"{path}:{line}" in result.output and words in result.output, result.output
    assert "Traceback" not in result.output


def test_snapshot_config_keys_in_pyproject_are_checked(project):
    proj = project({"seeds/people.csv": SEED}, pyproject=PYPROJECT + "\n[tool.elt.snapshots.crm.deep]\nstratgy = 'x'\n")
    result = proj.elt("ls")
    assert result.exit_code == 2
    assert "unknown config key 'stratgy' in [tool.elt.snapshots.crm.deep]" in result.output


def test_a_yml_entry_for_a_missing_snapshot_is_a_warning(project):
    proj = project({"snapshots/props.yml": "snapshots:\n  - name: nowhere\n    description: x\n"})
    result = proj.elt("ls")
    assert result.exit_code == 0
    assert "snapshots/props.yml:2: yml describes snapshot 'nowhere', which does not exist" in result.output


DBT_PROJECT = """\
name: shop
profile: test
config-version: 2
snapshots:
  shop:
    +schema: snaps
    +tags: [hist]
"""


def test_dbt_format_project_names_snapshots_as_dbt(project):
    proj = project({
        "dbt_project.yml": DBT_PROJECT, "seeds/people.csv": SEED,
        "snapshots/people.sql": "{% snapshot people_history %}\n{{ config(unique_key='id', strategy='timestamp', "
                                "updated_at='updated_at') }}\nselect * from {{ ref('people') }}\n{% endsnapshot %}\n",
        "snapshots/legacy.yml": "snapshots:\n  - name: people_legacy\n    relation: ref('people')\n    config:\n"
                                "      unique_key: id\n      strategy: check\n      check_cols: [city]\n"
                                "      target_schema: snapshots\n",
        "models/current.sql": "select * from {{ ref('people_history') }}",
    }, pyproject=None)
    rows = listed(proj, "--resource-type", "snapshot")
    # dbt 1.9: `schema` goes through generate_schema_name (<target schema>_<schema>); target_schema as is
    assert rows["snapshot.people_history"]["relation"] == "main_snaps.people_history"
    assert rows["snapshot.people_legacy"]["relation"] == "snapshots.people_legacy"
    assert rows["snapshot.people_history"]["tags"] == ["hist"]
    result = proj.elt("compile")
    assert result.exit_code == 0, result.output
    assert "snapshot" not in result.stderr  # no "snapshots are not built" note any more
    built = proj.elt("build")
    assert built.exit_code == 0, built.output
    assert proj.query("select id, city, dbt_valid_to from main_snaps.people_history order by id") == [
        (1, "Paris", None), (2, "Rome", None)]
    assert proj.query("select count(*) from snapshots.people_legacy") == [(2,)]
    assert proj.query("select count(*) from main.current") == [(2,)]


def test_docs_draw_snapshots_and_follow_their_columns(project):
    proj = project(files(), pyproject=PYPROJECT)
    graph = proj.elt("docs", "graph")
    assert graph.exit_code == 0, graph.output
    assert 'snapshot_people_history["people_history (snapshot)"]' in graph.stdout
    assert "snapshot_people_history --> model_current_people" in graph.stdout
    lineage = proj.elt("docs", "lineage", "current_people.name")
    assert lineage.exit_code == 0, lineage.output
    assert "people_history.name" in lineage.stdout and "people.name" in lineage.stdout


def test_a_snapshot_folder_config_matching_no_folder_is_a_warning(project):
    proj = project(files(), pyproject=PYPROJECT + "\n[tool.elt.snapshots.cmr]\ntags = ['x']\n")
    result = proj.elt("ls")
    assert result.exit_code == 0, result.output
    assert "[tool.elt.snapshots.cmr] applies to no snapshot: no snapshot is in a folder snapshots/cmr " \
           "(did you mean crm?)" in result.output
