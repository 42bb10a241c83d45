"""A project in dbt's format (dbt_project.yml, no [tool.elt]) builds on DuckDB with the relation names and
materializations dbt gives it.

The expected names were checked by hand with dbt-core 1.11 and dbt-duckdb 1.11 on the same files: `dbt build`
made the same schemas, relations, kinds and rows.
"""

from __future__ import annotations

import shutil

DBT_PROJECT = """\
name: shop
version: '1.0'
config-version: 2
profile: shop
require-dbt-version: ">=1.0.0"
vars:
  min_amount: 0
  shop:
    currency: EUR
models:
  +materialized: view
  shop:
    staging:
      +schema: stg
    marts:
      +materialized: table
      +docs:
        node_color: gold
      finance:
        +schema: finance
seeds:
  shop:
    +schema: raw
query-comment: "run by {{ target.name }}"
"""

PROFILES = """\
shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: target/test.duckdb
      schema: analytics
      threads: 2
"""

FILES = {
    "dbt_project.yml": DBT_PROJECT,
    "seeds/raw_payments.csv": "id,amount\n1,10\n2,20\n3,-5\n",
    "models/staging/stg_payments.sql":
        "select id, amount from {{ ref('raw_payments') }} where amount >= {{ var('min_amount') }}\n",
    "models/marts/payments_summary.sql":
        "select count(*) as n, sum(amount) as total, '{{ var(\"currency\") }}' as currency\n"
        "from {{ ref('stg_payments') }}\n",
    "models/marts/finance/big_payments.sql":
        "{{ config(alias='large_payments') }}\nselect * from {{ ref('stg_payments') }} where amount > 15\n",
    "models/marts/finance/revenue.sql":
        "{{ config(materialized='view', schema='reporting') }}\n"
        "select sum(amount) as revenue from {{ ref('stg_payments') }}\n",
}

#: what `dbt build` made of FILES (dbt-duckdb 1.11).
DBT_RELATIONS = {
    "analytics.payments_summary": "BASE TABLE",
    "analytics_finance.large_payments": "BASE TABLE",
    "analytics_raw.raw_payments": "BASE TABLE",
    "analytics_reporting.revenue": "VIEW",
    "analytics_stg.stg_payments": "VIEW",
}

NAMING_MACROS = """\
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}
    {%- elif node.resource_type == 'seed' -%}{{ custom_schema_name | trim }}
    {%- else -%}{{ node.fqn[1] }}_{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
{% macro generate_alias_name(custom_alias_name=none, node=none) -%}
    {%- if custom_alias_name -%}{{ custom_alias_name | trim }}
    {%- elif node.config.materialized == 'view' -%}v_{{ node.name }}
    {%- else -%}{{ default__generate_alias_name(custom_alias_name, node) }}{%- endif -%}
{%- endmacro %}
"""

#: what `dbt build` made of FILES with NAMING_MACROS in macros/ (dbt-duckdb 1.11).
DBT_RELATIONS_WITH_MACROS = {
    "analytics.payments_summary": "BASE TABLE",
    "marts_finance.large_payments": "BASE TABLE",
    "marts_reporting.v_revenue": "VIEW",
    "raw.raw_payments": "BASE TABLE",
    "staging_stg.v_stg_payments": "VIEW",
}


def dbt_project(project, files=None, profiles=PROFILES):
    return project({**FILES, **(files or {})}, pyproject=None, profiles=profiles)


def test_dbt_project_builds_with_dbts_relation_names_and_materializations(project):
    proj = dbt_project(project)
    result = proj.elt("build")
    assert result.exit_code == 0, result.output
    assert proj.relations() == DBT_RELATIONS
    assert proj.query("select * from analytics_finance.large_payments") == [(2, 20)]
    assert proj.query("select * from analytics.payments_summary") == [(2, 30, "EUR")]
    # one warning per ignored key, naming where it was set; the version requirement noted
    assert result.output.count("config `docs` is ignored") == 1
    assert "set in dbt_project.yml:17" in result.output
    assert "`require-dbt-version` is ignored" in result.output
    assert "`query-comment` is ignored: elt sends its statements without a query comment" in result.output


def test_the_projects_naming_macros_decide(project):
    proj = dbt_project(project, {"macros/naming.sql": NAMING_MACROS})
    result = proj.elt("build")
    assert result.exit_code == 0, result.output
    assert proj.relations() == DBT_RELATIONS_WITH_MACROS


def test_a_failing_naming_macro_names_the_node(project):
    macro = "{% macro generate_alias_name(custom_alias_name, node) %}\n\n{{ node.nothing.here }}{% endmacro %}\n"
    result = dbt_project(project, {"macros/naming.sql": macro}).elt("compile")
    assert result.exit_code == 2
    assert "macros/naming.sql:3:" in result.output  # the macro's own line
    assert "generate_alias_name" in result.output and "naming seed 'raw_payments'" in result.output


def test_debug_says_the_project_file_flavor_and_dialect(project):
    proj = dbt_project(project)
    result = proj.elt("debug")
    assert result.exit_code == 0, result.output
    assert "dbt_project.yml, dbt format" in result.output
    assert "dialect: duckdb (from profile 'shop'" in result.output


def test_a_profile_mixing_duckdb_and_spark_outputs_makes_hive_sql_whatever_the_target(project):
    profiles = PROFILES + "    prod:\n      type: spark\n      method: thrift\n      host: localhost\n" \
        "      port: 10000\n      schema: analytics\n"
    proj = dbt_project(project, {"models/staging/stg_payments.sql":
                                 "select id, amount from {{ ref('raw_payments') }} where amount >= 0\n"
                                 "and nvl(id, 0) > 0\n"}, profiles=profiles)
    result = proj.elt("debug")
    assert "dialect: hive (from profile 'shop'" in result.output
    result = proj.elt("build")
    assert result.exit_code == 0, result.output  # Hive's nvl, run on DuckDB through the translation
    assert proj.query("select count(*) from analytics_stg.stg_payments") == [(2,)]


def test_the_dialect_var_wins_over_the_profile(project):
    proj = dbt_project(project, {"dbt_project.yml": DBT_PROJECT.replace("  min_amount: 0",
                                                                        "  min_amount: 0\n  elt_dialect: hive")})
    result = proj.elt("debug")
    assert "dialect: hive (from vars: elt_dialect in dbt_project.yml:" in result.output


def test_an_output_of_a_type_elt_cannot_run_is_refused_for_the_dialect(project):
    profiles = PROFILES + "    prod:\n      type: snowflake\n      account: x\n"
    result = dbt_project(project, profiles=profiles).elt("compile")
    assert result.exit_code == 2
    assert "output 'prod' of profile 'shop' has type 'snowflake'" in result.output
    assert "elt_dialect" in result.output


def test_an_unknown_top_level_key_is_an_error_with_its_line(project):
    result = dbt_project(project, {"dbt_project.yml": DBT_PROJECT + "modles:\n  x: 1\n"}).elt("compile")
    assert result.exit_code == 2
    assert "dbt_project.yml:25" in result.output and "unknown key 'modles'" in result.output
    assert "model-paths" in result.output  # the valid keys


def test_a_refused_config_key_is_an_error_naming_where(project):
    result = dbt_project(project, {"models/marts/payments_summary.sql":
                                   "{{ config(sql_header='set x = 1') }}\nselect 1 as n\n"}).elt("compile")
    assert result.exit_code == 2
    assert "models/marts/payments_summary.sql:1" in result.output and "`sql_header`" in result.output


def test_a_contract_that_would_be_enforced_is_refused_but_an_unenforced_one_ignored(project):
    yml = "version: 2\nmodels:\n  - name: payments_summary\n    config:\n      contract: {enforced: %s}\n"
    ok = dbt_project(project, {"models/marts/schema.yml": yml % "false"}).elt("compile")
    assert ok.exit_code == 0, ok.output
    assert "config `contract` is ignored" in ok.output and "models/marts/schema.yml:3" in ok.output


def test_an_enforced_contract_is_refused(project):
    yml = "version: 2\nmodels:\n  - name: payments_summary\n    config:\n      contract: {enforced: true}\n"
    bad = dbt_project(project, {"models/marts/schema.yml": yml}).elt("compile")
    assert bad.exit_code == 2 and "contract" in bad.output and "models/marts/schema.yml:3" in bad.output


def test_a_database_other_than_the_targets_is_refused(project):
    result = dbt_project(project, {"models/marts/payments_summary.sql":
                                   "{{ config(database='elsewhere') }}\nselect 1 as n\n"}).elt("compile")
    assert result.exit_code == 2
    assert "database 'elsewhere'" in result.output and "'test'" in result.output


def test_the_targets_own_database_is_accepted(project):
    result = dbt_project(project, {"models/marts/payments_summary.sql":
                                   "{{ config(database='test') }}\nselect 1 as n\n"}).elt("build")
    assert result.exit_code == 0, result.output


def test_tool_elt_wins_over_dbt_project_yml(project):
    pyproject = '[tool.elt]\nname = "native"\nprofile = "shop"\ndialect = "duckdb"\n' \
        '[tool.elt.vars]\nmin_amount = 0\ncurrency = "EUR"\n'
    proj = project({**FILES, "pyproject.toml": pyproject}, pyproject=None, profiles=PROFILES)
    result = proj.elt("debug")
    assert "pyproject.toml, elt format" in result.output
    assert "[tool.elt] is the project's configuration, dbt_project.yml is not read" in result.output
    assert proj.elt("build").exit_code == 0
    assert "analytics.stg_payments" in proj.relations()  # elt's naming: no folder config, target schema


def test_profiles_from_dbt_profiles_dir_then_home_dbt(project, tmp_path):
    proj = dbt_project(project, profiles=None)
    home = tmp_path / "home"
    (home / ".dbt").mkdir(parents=True)
    (home / ".dbt" / "profiles.yml").write_text(PROFILES)
    result = proj.elt("debug", env={"HOME": str(home), "DBT_PROFILES_DIR": None})
    assert result.exit_code == 0, result.output
    assert f"shop in {home}/.dbt/profiles.yml" in result.output
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "profiles.yml").write_text(PROFILES)
    result = proj.elt("debug", env={"HOME": str(home), "DBT_PROFILES_DIR": str(elsewhere)})
    assert f"shop in {elsewhere}/profiles.yml" in result.output
    result = proj.elt("debug", env={"HOME": str(home), "DBT_PROFILES_DIR": str(tmp_path)})
    assert result.exit_code == 2 and "DBT_PROFILES_DIR" in result.output


def test_clean_removes_the_clean_targets_only_inside_the_project(project):
    proj = dbt_project(project, {"dbt_project.yml": DBT_PROJECT + "clean-targets: [target, logs]\n",
                                 "logs/dbt.log": "x"})
    assert proj.elt("build").exit_code == 0
    result = proj.elt("clean")
    assert result.exit_code == 0, result.output
    assert not (proj.root / "target").exists() and not (proj.root / "logs").exists()
    assert (proj.root / "models").is_dir()
    proj.write({"dbt_project.yml": DBT_PROJECT + "clean-targets: [target, ../outside]\n"})
    (proj.root.parent / "outside").mkdir()
    result = proj.elt("clean")
    assert result.exit_code == 2 and "not inside the project folder" in result.output
    assert (proj.root.parent / "outside").is_dir()
    proj.write({"dbt_project.yml": DBT_PROJECT + "clean-targets: [models]\n"})
    result = proj.elt("clean")
    assert result.exit_code == 2 and "holds project sources" in result.output


def test_a_plain_config_key_with_a_mapping_value_is_a_folder_as_in_dbt(project):
    tree = DBT_PROJECT.replace("      +docs:\n", "      docs:\n")
    result = dbt_project(project, {"dbt_project.yml": tree}).elt("compile")
    assert result.exit_code == 2  # `node_color` is then a config key of a folder `docs`, which elt has not
    assert "dbt_project.yml:18" in result.output and "node_color" in result.output
    assert "write `+docs`" in result.output


def test_the_data_tests_tree_configures_tests_by_folder(project):
    tree = DBT_PROJECT + "data_tests:\n  shop:\n    marts:\n      +severity: warn\n"
    yml = "version: 2\nmodels:\n  - name: payments_summary\n    columns:\n      - name: n\n" \
        "        data_tests:\n          - accepted_values: {values: [3]}\n"
    proj = dbt_project(project, {"dbt_project.yml": tree, "models/marts/schema.yml": yml,
                                 "tests/staging/no_rows.sql": "select * from {{ ref('stg_payments') }} where id > 1\n"})
    assert proj.elt("seed").exit_code == 0 and proj.elt("run").exit_code == 0
    result = proj.elt("test")
    # as `dbt test`: the singular test (tests/staging) fails, the generic one (models/marts) only warns
    assert result.exit_code == 1, result.output
    assert "FAIL test no_rows" in result.output
    assert "WARN test accepted_values_payments_summary_n" in result.output


def test_a_dbt_spark_output_elt_cannot_connect_to_is_refused_clearly(project):
    profiles = PROFILES + "    prod:\n      type: spark\n      method: http\n      host: example.com\n" \
        "      schema: analytics\n      token: x\n"
    result = dbt_project(project, profiles=profiles).elt("run", "--target", "prod")
    assert result.exit_code == 2
    assert "target 'prod': method: http is not supported" in result.output and "method: thrift" in result.output


def test_full_refresh_false_keeps_an_incremental_model_from_rebuilding(project):
    model = "{{ config(materialized='incremental', incremental_strategy='append', full_refresh=%s) }}\n" \
        "select 1 as id\n"
    for setting, rows_after in (("false", 3), ("none", 1)):
        proj = project({**FILES, f"models/marts/events_{setting}.sql": model % setting.capitalize()},
                       pyproject=None, profiles=PROFILES)
        assert proj.elt("build").exit_code == 0
        assert proj.elt("run", "-s", f"events_{setting}").exit_code == 0
        result = proj.elt("run", "-s", f"events_{setting}", "--full-refresh")
        assert result.exit_code == 0, result.output
        # as dbt: full_refresh=false appends even with --full-refresh; unset, the flag rebuilds
        assert proj.query(f"select count(*) from analytics.events_{setting}") == [(rows_after,)]
        shutil.rmtree(proj.root)


def test_values_of_dbt_project_yml_may_read_the_chosen_target(project):
    tree = DBT_PROJECT.replace("      +materialized: table\n",
                               "      +materialized: \"{{ 'table' if target.name == 'prod' else 'view' }}\"\n")
    profiles = PROFILES + "    prod:\n      type: duckdb\n      path: target/test.duckdb\n      schema: analytics\n"
    proj = dbt_project(project, {"dbt_project.yml": tree}, profiles=profiles)
    assert proj.elt("build").exit_code == 0
    assert proj.relations()["analytics.payments_summary"] == "VIEW"
    result = proj.elt("build", "--target", "prod")
    assert result.exit_code == 0, result.output
    assert proj.relations()["analytics.payments_summary"] == "BASE TABLE"
